//! The upload request: the provider's rules applied to it ([`check_upload`]), then a multipart
//! body whose file part is a [`Segment`] of the source (never a copy of it).

use crate::body::{Body, PathRange, Segment};
use crate::error::{Error, ValidationError};
use crate::extras::refuse_reserved;
use crate::probe::{FileProbe, PROBE_PREFIX_LEN};
use crate::provider::{Provider, UploadCheck};
use crate::rules::{RuleKind, UploadWarning};
use crate::upload_request::{UploadRequest, UploadSource};
use crate::wire::multipart::{Boundary, MultipartBody, guess_content_type};
use crate::wire::request::{invalid_request, json_request_builder, url_of};

/// The form field of an expiry's anchor.
const EXPIRES_ANCHOR: &str = "expires_after[anchor]";
/// The form field of an expiry's seconds.
const EXPIRES_SECONDS: &str = "expires_after[seconds]";

/// Builds the upload request: checks that the provider has the features it needs and that it
/// is well-formed, then lays out the multipart body. The provider's rules are checked by the
/// machine before this ([`Provider::check_upload`]), unless the caller turned validation off. `probe` is
/// required for a path source (its length); the boundary is the caller's so the result is
/// reproducible. `extra_fields` are the caller's own text fields
/// ([`RequestOptions::form_field`](crate::RequestOptions::form_field)), sent after the
/// purpose; one the form has itself is refused.
pub fn build_upload(
    provider: &dyn Provider,
    upload: &UploadRequest,
    probe: Option<&FileProbe>,
    boundary: Boundary,
    extra_fields: &[(String, String)],
) -> Result<http::Request<Body>, Error> {
    let features = provider.features();
    let filename = upload.filename();
    let len = known_len(upload, probe);
    let url = source_url(upload);
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
            .with_kind(RuleKind::Unsupported)
            .into());
        }
        if let Some(name) = upload.filename_override().or(upload.content_type()) {
            return Err(ValidationError::new(
                "URL upload option",
                name,
                "a URL upload sends only the URL: the provider names and types the file it \
                 fetches; give no file name or content type with it",
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
                    "is missing: give the upload a file name",
                )
                .into());
            }
            Some(name) if name.trim().is_empty() => {
                return Err(ValidationError::new("file name", "\"\"", "must not be empty").into());
            }
            Some(_) => {}
        }
    }
    if let Some(seconds) = upload.expires_after()
        && !features.expires_after
    {
        return Err(ValidationError::new(
            "expires_after",
            seconds.to_string(),
            format!("{} does not support an expiry on upload", provider.name()),
        )
        .with_kind(RuleKind::Unsupported)
        .into());
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

    let dialect = provider.dialect();
    let fields = &dialect.form;
    let mut form = MultipartBody::new(boundary);
    form.text(&fields.purpose, upload.purpose().as_str());
    if let Some(seconds) = upload.expires_after() {
        form.text(EXPIRES_ANCHOR, "created_at");
        form.text(EXPIRES_SECONDS, &seconds.to_string());
    }
    let own = [
        fields.file.as_str(),
        fields.purpose.as_str(),
        fields.url.as_str(),
        EXPIRES_ANCHOR,
        EXPIRES_SECONDS,
    ];
    for (name, value) in extra_fields {
        refuse_reserved("form field", name, &own, "the upload form")?;
        form.text(name, value);
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
            form.file(&fields.file, name, &content_type, content);
        }
        (None, Some(url)) => {
            form.text(&fields.url, url);
        }
        (None, None) => {}
    }
    let form_type = form.content_type();
    let body = form.finish();
    let url = url_of(provider, &dialect, &dialect.paths.files, "");
    let request = json_request_builder(provider, &dialect, http::Method::POST, &url)?
        .header(http::header::CONTENT_TYPE, form_type)
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(body)
        .map_err(invalid_request)?;
    Ok(request)
}

/// The upload's length, when it is known: declared, or the path's inspected size.
fn known_len(upload: &UploadRequest, probe: Option<&FileProbe>) -> Option<u64> {
    match (upload.declared_len(), probe) {
        (Some(len), _) => Some(len),
        (None, Some(probe)) if upload.local_path().is_some() => Some(probe.len),
        (None, _) => None,
    }
}

fn source_url(upload: &UploadRequest) -> Option<&str> {
    match upload.source() {
        UploadSource::Url(url) => Some(url.as_str()),
        _ => None,
    }
}

/// Applies the provider's rules to `upload` and returns their warnings. `probe` is a path's
/// inspection; with `content` false only what needs no byte of the file is checked (the size
/// from the metadata comes first), with it true the first bytes too — of the probe, or of
/// bytes in memory. A reader or a stream is checked by its name and length alone. `strict`
/// refuses a purpose the rules do not know.
pub fn check_upload(
    provider: &dyn Provider,
    upload: &UploadRequest,
    probe: Option<&FileProbe>,
    content: bool,
    strict: bool,
) -> Result<Vec<UploadWarning>, Error> {
    let filename = upload.filename();
    let prefix = match (upload.source(), probe) {
        _ if !content => None,
        (UploadSource::Bytes(b), _) => Some(&b[..b.len().min(PROBE_PREFIX_LEN)]),
        (UploadSource::Path(_), Some(p)) => Some(&p.prefix[..]),
        _ => None,
    };
    let url = source_url(upload);
    let mut check = UploadCheck::new(
        upload.purpose(),
        filename.as_deref(),
        known_len(upload, probe).filter(|_| url.is_none()),
    )
    .with_expires_after(upload.expires_after())
    .with_content_type(upload.content_type())
    .with_strict_purpose(strict);
    if let Some(url) = url {
        check = check.with_url(url);
    }
    if let Some(prefix) = prefix {
        check = check.with_prefix(prefix);
    }
    Ok(provider.check_upload(&check)?)
}
