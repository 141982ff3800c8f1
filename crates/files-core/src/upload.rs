//! [`UploadRequest`]: what to upload and how, and the pure function that turns it into an
//! `http::Request` with a multipart [`Body`] description.

use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use futures_core::Stream;

use crate::body::{Body, OneShotReader, OneShotStream, PathRange, Segment};
use crate::error::{Error, ValidationError};
use crate::multipart::{Boundary, MultipartBody, file_name_of, guess_content_type};
use crate::provider::Provider;
use crate::purpose::Purpose;
use crate::request::{files_url, json_request_builder};

/// The shortest and longest expiry OpenAI accepts, in seconds (one hour to 30 days).
pub const EXPIRES_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 3_600..=2_592_000;

/// Where an upload's bytes come from.
#[non_exhaustive]
pub enum UploadSource {
    /// A local file, opened by the transport when sent (and again for a retry).
    Path(PathBuf),
    /// Bytes in memory, sent without a copy.
    Bytes(Bytes),
    /// A blocking reader with a declared length; sent once.
    Reader(OneShotReader),
    /// An async stream with a declared length; sent once, by an async transport.
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
}

impl UploadRequest {
    /// Uploads the file at `path`; its name on the server is the path's base name.
    pub fn from_path(path: impl Into<PathBuf>, purpose: Purpose) -> Self {
        UploadRequest::new(UploadSource::Path(path.into()), purpose)
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

    /// Uploads exactly `len` bytes from an async `stream`, under `filename` (async clients
    /// only). The stream is read once, so such an upload is not retried.
    pub fn from_stream(
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        len: u64,
        filename: impl Into<String>,
        purpose: Purpose,
    ) -> Self {
        UploadRequest::new(
            UploadSource::Stream(OneShotStream::new(stream, len)),
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

    /// The local path, when the source is one: the client asks its transport for the file's
    /// length (and first bytes) before building the request.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        match &self.source {
            UploadSource::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The source's length when it is known without IO.
    fn declared_len(&self) -> Option<u64> {
        match &self.source {
            UploadSource::Bytes(b) => Some(b.len() as u64),
            UploadSource::Reader(r) => Some(r.len()),
            UploadSource::Stream(s) => Some(s.len()),
            UploadSource::Path(_) | UploadSource::Url(_) => None,
        }
    }
}

/// What a provider's rules look at before an upload is sent.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct UploadCheck<'a> {
    /// The purpose.
    pub purpose: &'a Purpose,
    /// The file name that will be sent (absent for a URL upload with no name).
    pub filename: Option<&'a str>,
    /// The file part's Content-Type.
    pub content_type: Option<&'a str>,
    /// The exact size in bytes; `None` for a URL upload.
    pub len: Option<u64>,
    /// The remote URL, for a URL upload.
    pub url: Option<&'a str>,
    /// The requested expiry in seconds.
    pub expires_after: Option<u64>,
    /// The first bytes of the file, when the caller had them (for format checks).
    pub prefix: &'a [u8],
}

/// What the client learned about a local file before uploading it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileProbe {
    /// The file's size in bytes.
    pub len: u64,
    /// Its first bytes (up to what was asked for).
    pub prefix: Bytes,
}

/// How many leading bytes of a local file the client reads for the provider's checks.
pub const PROBE_PREFIX_LEN: usize = 64;

/// Builds the upload request: checks it against the provider's features and rules, then lays
/// out the multipart body. `probe` is required for a path source (its length); the boundary
/// is the caller's so the result is reproducible.
pub fn build_upload(
    provider: &dyn Provider,
    upload: &UploadRequest,
    probe: Option<&FileProbe>,
    boundary: Boundary,
) -> Result<http::Request<Body>, Error> {
    let features = provider.features();
    let filename = upload.filename();
    let len = match (upload.declared_len(), probe) {
        (Some(len), _) => Some(len),
        (None, Some(probe)) if upload.local_path().is_some() => Some(probe.len),
        (None, _) => None,
    };
    let url = match &upload.source {
        UploadSource::Url(url) => Some(url.as_str()),
        _ => None,
    };
    if let Some(url) = url {
        if !features.url_upload {
            return Err(ValidationError::new(
                "upload source",
                url,
                format!(
                    "{} does not upload from a URL; download it and upload the file",
                    provider.name()
                ),
            )
            .into());
        }
        if let Some(name) = upload.filename.as_ref().or(upload.content_type.as_ref()) {
            return Err(ValidationError::new(
                "URL upload option",
                name.as_str(),
                "a URL upload sends only the URL: the provider names and types the file it fetches; \
                 drop with_filename / with_content_type",
            )
            .into());
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ValidationError::new(
                "upload URL",
                url,
                "must start with http:// or https://",
            )
            .into());
        }
    }
    let Some(len) = len.or(url.map(|_| 0)) else {
        return Err(ValidationError::new(
            "upload source",
            format!("{:?}", upload.source),
            "the file's size is unknown: the client must inspect the path first",
        )
        .into());
    };
    if url.is_none() {
        match filename.as_deref() {
            None => {
                return Err(ValidationError::new(
                    "file name",
                    format!("{:?}", upload.source),
                    "is missing: give one with with_filename",
                )
                .into());
            }
            Some(name) if name.trim().is_empty() => {
                return Err(ValidationError::new("file name", "\"\"", "must not be empty").into());
            }
            Some(_) => {}
        }
    }
    if let Some(seconds) = upload.expires_after {
        if !features.expires_after {
            return Err(ValidationError::new(
                "expires_after",
                seconds.to_string(),
                format!("{} does not support an expiry on upload", provider.name()),
            )
            .into());
        }
        if !EXPIRES_AFTER_SECONDS.contains(&seconds) {
            return Err(ValidationError::new(
                "expires_after",
                seconds.to_string(),
                "must be between 3600 (one hour) and 2592000 (30 days) seconds",
            )
            .with_limit("3600..=2592000")
            .into());
        }
    }
    let content_type = match (&upload.content_type, filename.as_deref()) {
        (Some(ct), _) => ct.clone(),
        (None, Some(name)) => guess_content_type(name),
        (None, None) => "application/octet-stream".to_owned(),
    };
    let prefix = match (&upload.source, probe) {
        (UploadSource::Bytes(b), _) => &b[..b.len().min(PROBE_PREFIX_LEN)],
        (UploadSource::Path(_), Some(p)) => &p.prefix[..],
        _ => &[][..],
    };
    provider.check_upload(&UploadCheck {
        purpose: &upload.purpose,
        filename: filename.as_deref(),
        content_type: Some(&content_type),
        len: url.is_none().then_some(len),
        url,
        expires_after: upload.expires_after,
        prefix,
    })?;

    let mut form = MultipartBody::new(boundary);
    form.text("purpose", upload.purpose.as_str());
    if let Some(seconds) = upload.expires_after {
        form.text("expires_after[anchor]", "created_at");
        form.text("expires_after[seconds]", &seconds.to_string());
    }
    let content = match &upload.source {
        UploadSource::Path(path) => Some(Segment::Path(PathRange::whole(path.clone(), len))),
        UploadSource::Bytes(b) => Some(Segment::Bytes(b.clone())),
        UploadSource::Reader(r) => Some(Segment::Reader(r.clone())),
        UploadSource::Stream(s) => Some(Segment::Stream(s.clone())),
        UploadSource::Url(_) => None,
    };
    match (content, url) {
        (Some(content), _) => {
            let name = filename.as_deref().unwrap_or("upload");
            form.file("file", name, &content_type, content);
        }
        (None, Some(url)) => {
            form.text("url", url);
        }
        (None, None) => {}
    }
    let form_type = form.content_type();
    let body = form.finish();
    let request = json_request_builder(provider, http::Method::POST, &files_url(provider, &[]))?
        .header(http::header::CONTENT_TYPE, form_type)
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(body)
        .map_err(crate::request::invalid_request)?;
    Ok(request)
}

/// The last path segment of a URL, as a file name.
fn url_file_name(url: &str) -> Option<String> {
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
