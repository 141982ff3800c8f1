//! The upload request: checks against the provider's features and rules, then a multipart
//! body whose file part is a [`Segment`] of the source (never a copy of it).

use crate::body::{Body, PathRange, Segment};
use crate::error::{Error, ValidationError};
use crate::local::{FileProbe, PROBE_PREFIX_LEN};
use crate::provider::{Provider, UploadCheck};
use crate::upload::{EXPIRES_AFTER_SECONDS, UploadRequest, UploadSource};
use crate::wire::multipart::{Boundary, MultipartBody, guess_content_type};
use crate::wire::request::{files_url, invalid_request, json_request_builder};

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
    let url = match upload.source() {
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
        if let Some(name) = upload.filename_override().or(upload.content_type()) {
            return Err(ValidationError::new(
                "URL upload option",
                name,
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
            format!("{:?}", upload.source()),
            "the file's size is unknown: the client must inspect the path first",
        )
        .into());
    };
    if url.is_none() {
        match filename.as_deref() {
            None => {
                return Err(ValidationError::new(
                    "file name",
                    format!("{:?}", upload.source()),
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
    if let Some(seconds) = upload.expires_after() {
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
    let content_type = match (upload.content_type(), filename.as_deref()) {
        (Some(ct), _) if ct.chars().any(char::is_control) => {
            return Err(ValidationError::new(
                "content type",
                format!("{ct:?}"),
                "must not contain line breaks or other control characters",
            )
            .into());
        }
        (Some(ct), _) => ct.to_owned(),
        (None, Some(name)) => guess_content_type(name),
        (None, None) => "application/octet-stream".to_owned(),
    };
    let prefix = match (upload.source(), probe) {
        (UploadSource::Bytes(b), _) => &b[..b.len().min(PROBE_PREFIX_LEN)],
        (UploadSource::Path(_), Some(p)) => &p.prefix[..],
        _ => &[][..],
    };
    provider.check_upload(&UploadCheck {
        purpose: upload.purpose(),
        filename: filename.as_deref(),
        content_type: Some(&content_type),
        len: url.is_none().then_some(len),
        url,
        expires_after: upload.expires_after(),
        prefix,
    })?;

    let mut form = MultipartBody::new(boundary);
    form.text("purpose", upload.purpose().as_str());
    if let Some(seconds) = upload.expires_after() {
        form.text("expires_after[anchor]", "created_at");
        form.text("expires_after[seconds]", &seconds.to_string());
    }
    let content = match upload.source() {
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
        .map_err(invalid_request)?;
    Ok(request)
}
