//! What an upload in parts sends: where its bytes are ([`Data`]: a file, bytes, or a
//! one-shot reader or stream) and what the Upload records of it ([`Source`]).

use std::path::PathBuf;

use bytes::Bytes;

use crate::body::OneShotSource;
use crate::error::{Error, LocalFileError, LocalFileOp, ValidationError};
use crate::purpose::Purpose;
use crate::rules::RuleKind;
use crate::upload_request::{UploadRequest, UploadSource};

/// Where the bytes are.
#[derive(Debug, Clone)]
pub(super) enum Data {
    Path(PathBuf),
    Bytes(Bytes),
    OneShot(OneShotSource),
}

/// What is sent: a local file (or bytes, or a one-shot source), its name, purpose, type and
/// expiry.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub(super) data: Data,
    pub(super) filename: String,
    pub(super) purpose: Purpose,
    pub(super) content_type: Option<String>,
    pub(super) expires_after: Option<u64>,
}

impl Source {
    /// What `upload` sends, or why the Uploads API cannot send it (a URL; no file name).
    pub(super) fn of(upload: &UploadRequest) -> Result<Source, Error> {
        let data = match upload.source() {
            UploadSource::Path(path) => Data::Path(path.clone()),
            UploadSource::Bytes(bytes) => Data::Bytes(bytes.clone()),
            UploadSource::Reader(reader) => Data::OneShot(OneShotSource::Reader(reader.clone())),
            UploadSource::Stream(stream) => Data::OneShot(OneShotSource::Stream(stream.clone())),
            UploadSource::Url(url) => {
                return Err(ValidationError::new(
                    "upload source",
                    url.clone(),
                    "the Uploads API sends bytes the client has; a URL the provider fetches \
                     goes through POST /files",
                )
                .with_kind(RuleKind::Unsupported)
                .into());
            }
        };
        let Some(filename) = upload.filename() else {
            let shown = match upload.source() {
                UploadSource::Path(path) => path.display().to_string(),
                other => format!("{other:?}"),
            };
            return Err(ValidationError::new(
                "file name",
                shown,
                "is missing: give the upload a file name",
            )
            .into());
        };
        Ok(Source {
            data,
            filename,
            purpose: upload.purpose().clone(),
            content_type: upload.content_type().map(ToOwned::to_owned),
            expires_after: upload.expires_after(),
        })
    }
}

/// What a one-shot source is called in an error.
pub(super) fn one_shot_name(source: &OneShotSource) -> &'static str {
    match source {
        OneShotSource::Reader(_) => "the upload's reader",
        OneShotSource::Stream(_) => "the upload's stream",
    }
}

/// The error for a one-shot source that ended after `got` of its declared `len` bytes.
pub(super) fn ended_early(source: &OneShotSource, got: u64, len: u64) -> Error {
    wrong_length(
        source,
        std::io::ErrorKind::UnexpectedEof,
        format!("it ended after {got} bytes, though the upload declared {len}"),
    )
}

/// The error for a one-shot source that gave a byte past its declared `len`.
pub(super) fn ran_long(source: &OneShotSource, len: u64) -> Error {
    wrong_length(
        source,
        std::io::ErrorKind::InvalidData,
        format!("it holds more than the {len} bytes the upload declared"),
    )
}

fn wrong_length(source: &OneShotSource, kind: std::io::ErrorKind, what: String) -> Error {
    let message = format!("{what}: give the exact size");
    LocalFileError::new(
        LocalFileOp::Read,
        one_shot_name(source),
        std::io::Error::new(kind, message),
    )
    .into()
}
