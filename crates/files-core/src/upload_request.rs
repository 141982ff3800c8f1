//! [`UploadRequest`]: what to upload and how. `wire::build_upload` turns it into an
//! `http::Request` with a multipart body description.

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::body::{OneShotReader, OneShotStream};
use crate::purpose::Purpose;
use crate::uploads::PartOptions;
use crate::wire::file_name_of;

/// Where an upload's bytes come from.
#[non_exhaustive]
pub enum UploadSource {
    /// A local file, opened by the transport when sent (and again for a retry).
    Path(PathBuf),
    /// Bytes in memory, sent without a copy.
    Bytes(Bytes),
    /// A blocking reader with a declared length; sent once.
    Reader(OneShotReader),
    /// An async stream with a declared length; sent once, by an async client. Made by
    /// `files_io::StreamUpload::from_stream`.
    Stream(OneShotStream),
    /// A remote URL the provider fetches itself (StepFun).
    Url(String),
}

impl std::fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadSource::Path(p) => f.debug_tuple("Path").field(p).finish(),
            UploadSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            UploadSource::Reader(r) => write!(f, "Reader({} bytes)", r.len()),
            UploadSource::Stream(s) => write!(f, "Stream({} bytes)", s.len()),
            UploadSource::Url(u) => f.debug_tuple("Url").field(u).finish(),
        }
    }
}

/// An upload: the source, its purpose, and optional name, content type and expiry.
///
/// ```
/// use files_core::{Purpose, UploadRequest};
/// let upload = UploadRequest::from_path("train.jsonl", Purpose::FINE_TUNE)
///     .with_filename("training-set.jsonl")
///     .with_expires_after(86_400);
/// assert_eq!(upload.filename().as_deref(), Some("training-set.jsonl"));
/// ```
#[derive(Debug)]
pub struct UploadRequest {
    source: UploadSource,
    purpose: Purpose,
    filename: Option<String>,
    content_type: Option<String>,
    expires_after: Option<u64>,
    parts: Option<PartOptions>,
}

impl UploadRequest {
    /// Uploads the file at `path`; its name on the server is the path's base name.
    pub fn from_path(path: impl AsRef<Path>, purpose: Purpose) -> Self {
        UploadRequest::new(UploadSource::Path(path.as_ref().to_owned()), purpose)
    }

    /// Uploads bytes from memory under `filename`.
    pub fn from_bytes(
        bytes: impl Into<Bytes>,
        filename: impl Into<String>,
        purpose: Purpose,
    ) -> Self {
        UploadRequest::new(UploadSource::Bytes(bytes.into()), purpose).with_filename(filename)
    }

    /// Uploads exactly `len` bytes read from `reader`, under `filename`. The reader is read
    /// once, so such an upload is not retried.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        len: u64,
        filename: impl Into<String>,
        purpose: Purpose,
    ) -> Self {
        UploadRequest::new(
            UploadSource::Reader(OneShotReader::new(reader, len)),
            purpose,
        )
        .with_filename(filename)
    }

    /// Has the provider fetch the file from a remote `url` (StepFun only).
    pub fn from_url(url: impl Into<String>, purpose: Purpose) -> Self {
        UploadRequest::new(UploadSource::Url(url.into()), purpose)
    }

    /// An upload of `source` for `purpose`.
    pub fn new(source: UploadSource, purpose: Purpose) -> Self {
        UploadRequest {
            source,
            purpose,
            filename: None,
            content_type: None,
            expires_after: None,
            parts: None,
        }
    }

    /// Sets the file name the server records (default: the path's base name).
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// Sets the file part's Content-Type (default: guessed from the file name).
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Has the file expire `seconds` after creation (OpenAI: 3,600 to 2,592,000).
    pub fn with_expires_after(mut self, seconds: u64) -> Self {
        self.expires_after = Some(seconds);
        self
    }

    /// Sends the file through the Uploads API, in parts as `parts` says, whatever its size
    /// (on a provider that has the API; OpenAI): a local file, bytes, or a reader or stream,
    /// whose parts are cut as its bytes arrive (memory holds the parts in flight). Without
    /// this, an upload larger than the provider's `POST /files` limit (512 MB on OpenAI) goes
    /// that way with the default [`PartOptions`]. A URL cannot.
    pub fn with_parts(mut self, parts: PartOptions) -> Self {
        self.parts = Some(parts);
        self
    }

    /// How the file is sent in parts, if that was asked for.
    pub fn parts(&self) -> Option<PartOptions> {
        self.parts
    }

    /// The source.
    pub fn source(&self) -> &UploadSource {
        &self.source
    }

    /// The purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The file name that will be sent: the override, else the path's base name.
    pub fn filename(&self) -> Option<String> {
        match (&self.filename, &self.source) {
            (Some(name), _) => Some(name.clone()),
            (None, UploadSource::Path(path)) => file_name_of(path),
            (None, UploadSource::Url(url)) => url_file_name(url),
            _ => None,
        }
    }

    /// The local path, when the source is one: the client inspects the file (its length and
    /// first bytes) before building the request.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        match &self.source {
            UploadSource::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The file part's Content-Type override, if one was given.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file name override, if one was given (not the name derived from a path).
    pub fn filename_override(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The requested expiry in seconds, if any.
    pub fn expires_after(&self) -> Option<u64> {
        self.expires_after
    }

    /// The source's length when it is known without IO.
    pub(crate) fn declared_len(&self) -> Option<u64> {
        match &self.source {
            UploadSource::Bytes(b) => Some(b.len() as u64),
            UploadSource::Reader(r) => Some(r.len()),
            UploadSource::Stream(s) => Some(s.len()),
            UploadSource::Path(_) | UploadSource::Url(_) => None,
        }
    }
}

/// The last path segment of a URL, as a file name.
pub(crate) fn url_file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, path) = after_scheme.split_once('/')?;
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_file_names() {
        assert_eq!(
            url_file_name("https://x.com/a/b.png?sig=1").as_deref(),
            Some("b.png")
        );
        assert_eq!(url_file_name("https://x.com/").as_deref(), None);
        assert_eq!(url_file_name("https://x.com").as_deref(), None);
    }
}
