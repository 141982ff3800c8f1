//! Pure builders for the Uploads API: create an Upload, add a part, complete, cancel.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::body::{Body, PathRange, Segment};
use crate::dialect::Dialect;
use crate::error::{Error, ValidationError};
use crate::extras::refuse_reserved;
use crate::provider::Provider;
use crate::rules::RuleKind;
use crate::uploads::NewUpload;
use crate::wire::multipart::{Boundary, MultipartBody};
use crate::wire::request::{
    check_id, invalid_request, json_request_builder, resource_url, without_body,
};

#[derive(Serialize)]
struct CreateBody<'a> {
    filename: &'a str,
    purpose: &'a str,
    bytes: u64,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_after: Option<ExpiresAfter>,
}

#[derive(Serialize)]
struct ExpiresAfter {
    anchor: &'static str,
    seconds: u64,
}

#[derive(Serialize)]
struct CompleteBody<'a> {
    part_ids: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<&'a str>,
}

/// The provider's dialect and the Uploads API's root path, or the error that it has none.
fn require_uploads(provider: &dyn Provider) -> Result<(Arc<Dialect>, String), Error> {
    let dialect = provider.dialect();
    if provider.uploads().is_some()
        && let Some(root) = dialect.paths.uploads.clone()
    {
        return Ok((dialect, root));
    }
    Err(ValidationError::new(
        "Uploads API",
        provider.name(),
        format!(
            "{} has no Uploads API; upload the file through POST /files",
            provider.name()
        ),
    )
    .with_kind(RuleKind::Unsupported)
    .into())
}

/// The fields of the create request's body, sent or not.
const CREATE_FIELDS: &[&str] = &["filename", "purpose", "bytes", "mime_type", "expires_after"];
/// The fields of the complete request's body, sent or not.
const COMPLETE_FIELDS: &[&str] = &["part_ids", "md5"];

/// The JSON body `value` with the caller's `extra` fields added, as a `POST` to `url`;
/// `request` names the request and the fields its body may hold, which an extra may not.
fn json_body(
    provider: &dyn Provider,
    dialect: &Dialect,
    url: &str,
    value: &impl Serialize,
    extra: &[(String, serde_json::Value)],
    (request, own): (&str, &[&str]),
) -> Result<http::Request<Body>, Error> {
    let unwritable = |e: serde_json::Error| {
        ValidationError::new(
            "request body",
            e.to_string(),
            "could not be written as JSON",
        )
    };
    for (name, _) in extra {
        refuse_reserved("JSON field", name, own, request)?;
    }
    let json = if extra.is_empty() {
        serde_json::to_vec(value).map_err(unwritable)?
    } else {
        let mut object = match serde_json::to_value(value).map_err(unwritable)? {
            serde_json::Value::Object(object) => object,
            other => {
                return Err(ValidationError::new(
                    "request body",
                    other.to_string(),
                    "is not a JSON object",
                )
                .into());
            }
        };
        object.extend(extra.iter().cloned());
        serde_json::to_vec(&object).map_err(unwritable)?
    };
    let body = Body::from_bytes(json);
    json_request_builder(provider, dialect, Method::POST, url)?
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(body)
        .map_err(invalid_request)
}

/// `POST /uploads` with the file's name, purpose, size, MIME type and optional expiry, and
/// the caller's `extra` fields ([`RequestOptions::json_field`](crate::RequestOptions::json_field)).
pub fn build_create_upload(
    provider: &dyn Provider,
    upload: &NewUpload,
    extra: &[(String, serde_json::Value)],
) -> Result<http::Request<Body>, Error> {
    let (dialect, root) = require_uploads(provider)?;
    upload.check()?;
    let body = CreateBody {
        filename: &upload.filename,
        purpose: upload.purpose.as_str(),
        bytes: upload.bytes,
        mime_type: &upload.mime_type,
        expires_after: upload.expires_after.map(|seconds| ExpiresAfter {
            anchor: "created_at",
            seconds,
        }),
    };
    let url = resource_url(provider, &dialect, &root, &[]);
    let request = ("the Upload's creation", CREATE_FIELDS);
    json_body(provider, &dialect, &url, &body, extra, request)
}

/// `POST /uploads/{id}/parts`: a form with one field, `data`, whose content is `range` of the
/// file, read from disk as it is sent (the range is the body's payload, what progress counts).
pub fn build_add_part(
    provider: &dyn Provider,
    upload_id: &str,
    range: PathRange,
    boundary: Boundary,
) -> Result<http::Request<Body>, Error> {
    add_part_request(provider, upload_id, Segment::Path(range), boundary)
}

/// `POST /uploads/{id}/parts` with a part in memory (a piece of bytes, or of a reader or
/// stream, cut as it arrived): sending it again costs no copy.
pub fn build_add_part_bytes(
    provider: &dyn Provider,
    upload_id: &str,
    data: Bytes,
    boundary: Boundary,
) -> Result<http::Request<Body>, Error> {
    add_part_request(provider, upload_id, Segment::Bytes(data), boundary)
}

fn add_part_request(
    provider: &dyn Provider,
    upload_id: &str,
    data: Segment,
    boundary: Boundary,
) -> Result<http::Request<Body>, Error> {
    let (dialect, root) = require_uploads(provider)?;
    check_id("upload id", upload_id)?;
    if data.is_empty() {
        return Err(ValidationError::new("part", "0 bytes", "must hold at least one byte").into());
    }
    let mut form = MultipartBody::new(boundary);
    form.file("data", "blob", "application/octet-stream", data);
    let form_type = form.content_type();
    let body = form.finish();
    let url = resource_url(provider, &dialect, &root, &[upload_id, "parts"]);
    json_request_builder(provider, &dialect, Method::POST, &url)?
        .header(http::header::CONTENT_TYPE, form_type)
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(body)
        .map_err(invalid_request)
}

/// `POST /uploads/{id}/complete` with the part ids in file order and, optionally, the MD5
/// of the whole file (32 lowercase hex digits), and the caller's `extra` fields.
pub fn build_complete_upload(
    provider: &dyn Provider,
    upload_id: &str,
    part_ids: &[String],
    md5: Option<&str>,
    extra: &[(String, serde_json::Value)],
) -> Result<http::Request<Body>, Error> {
    let (dialect, root) = require_uploads(provider)?;
    check_id("upload id", upload_id)?;
    if part_ids.is_empty() {
        return Err(ValidationError::new(
            "part ids",
            "[]",
            "an Upload is completed with at least one part",
        )
        .into());
    }
    for id in part_ids {
        check_id("part id", id)?;
    }
    if let Some(md5) = md5
        && !(md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ValidationError::new("md5", md5, "must be 32 hexadecimal digits").into());
    }
    let url = resource_url(provider, &dialect, &root, &[upload_id, "complete"]);
    let body = CompleteBody { part_ids, md5 };
    let request = ("the Upload's completion", COMPLETE_FIELDS);
    json_body(provider, &dialect, &url, &body, extra, request)
}

/// `POST /uploads/{id}/cancel`.
pub fn build_cancel_upload(
    provider: &dyn Provider,
    upload_id: &str,
) -> Result<http::Request<Body>, Error> {
    let (dialect, root) = require_uploads(provider)?;
    check_id("upload id", upload_id)?;
    let url = resource_url(provider, &dialect, &root, &[upload_id, "cancel"]);
    let builder = json_request_builder(provider, &dialect, Method::POST, &url)?
        .header(http::header::CONTENT_LENGTH, 0);
    without_body(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Purpose;
    use crate::testing::MemoryFiles;
    use crate::wire::tests::TestProvider;

    fn text(request: http::Request<Body>) -> (http::request::Parts, String) {
        let (parts, body) = request.into_parts();
        let bytes = MemoryFiles::new()
            .with("/data/big.bin", &b"0123456789"[..])
            .render(body)
            .unwrap();
        (parts, String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn create_sends_the_documented_json() {
        let provider = TestProvider::openai_like();
        let upload = NewUpload::new("big.jsonl", Purpose::BATCH, 10, "application/jsonl")
            .with_expires_after(Some(7200));
        let (parts, body) = text(build_create_upload(&provider, &upload, &[]).unwrap());
        assert_eq!(parts.uri.path(), "/v1/openai/v1/uploads");
        assert_eq!(parts.headers["content-type"], "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"filename":"big.jsonl","purpose":"batch","bytes":10,
                "mime_type":"application/jsonl",
                "expires_after":{"anchor":"created_at","seconds":7200}})
        );
    }

    #[test]
    fn a_part_is_one_data_field_holding_its_range() {
        let provider = TestProvider::openai_like();
        let range = PathRange {
            path: "/data/big.bin".into(),
            offset: 3,
            len: 4,
        };
        let request =
            build_add_part(&provider, "upload_1", range, Boundary::new("b").unwrap()).unwrap();
        assert_eq!(request.body().payload(), Some(109..113));
        let (parts, body) = text(request);
        assert_eq!(parts.uri.path(), "/v1/openai/v1/uploads/upload_1/parts");
        assert_eq!(
            body,
            "--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"blob\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n3456\r\n--b--\r\n"
        );
        assert_eq!(
            parts.headers["content-length"],
            body.len().to_string().as_str()
        );
    }

    #[test]
    fn complete_lists_the_parts_in_order_with_the_md5() {
        let provider = TestProvider::openai_like();
        let ids = ["part_b".to_owned(), "part_a".to_owned()];
        let md5 = "0123456789abcdef0123456789abcdef";
        let (parts, body) =
            text(build_complete_upload(&provider, "upload_1", &ids, Some(md5), &[]).unwrap());
        assert_eq!(parts.uri.path(), "/v1/openai/v1/uploads/upload_1/complete");
        assert_eq!(
            body,
            format!("{{\"part_ids\":[\"part_b\",\"part_a\"],\"md5\":\"{md5}\"}}")
        );
        assert!(build_complete_upload(&provider, "upload_1", &ids, Some("xyz"), &[]).is_err());
        assert!(build_complete_upload(&provider, "upload_1", &[], None, &[]).is_err());
        let (parts, body) = text(build_cancel_upload(&provider, "upload_1").unwrap());
        assert_eq!(parts.uri.path(), "/v1/openai/v1/uploads/upload_1/cancel");
        assert!(body.is_empty());
    }

    #[test]
    fn extra_json_fields_are_added_but_never_replace_the_clients() {
        let provider = TestProvider::openai_like();
        let upload = NewUpload::new("big.jsonl", Purpose::BATCH, 10, "application/jsonl");
        let extra = [
            ("target_model_names".to_owned(), serde_json::json!("gpt-4o")),
            ("tags".to_owned(), serde_json::json!(["a", 1])),
        ];
        let (_, body) = text(build_create_upload(&provider, &upload, &extra).unwrap());
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["target_model_names"], "gpt-4o");
        assert_eq!(json["tags"], serde_json::json!(["a", 1]));
        assert_eq!(json["filename"], "big.jsonl");
        // An expiry the client did not send this time is still the client's.
        for own in ["purpose", "Bytes", "expires_after"] {
            let extra = [(own.to_owned(), serde_json::json!(1))];
            let err = build_create_upload(&provider, &upload, &extra).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("JSON field {own}: is sent by the client")),
                "{err}"
            );
        }
        let ids = ["part_a".to_owned()];
        let extra = [("md5".to_owned(), serde_json::json!("x"))];
        let err = build_complete_upload(&provider, "upload_1", &ids, None, &extra).unwrap_err();
        assert!(err.to_string().contains("the Upload's completion"), "{err}");
        let extra = [("note".to_owned(), serde_json::json!("x"))];
        let (_, body) =
            text(build_complete_upload(&provider, "upload_1", &ids, None, &extra).unwrap());
        assert_eq!(body, r#"{"note":"x","part_ids":["part_a"]}"#);
    }

    #[test]
    fn a_provider_without_uploads_refuses_before_sending() {
        let provider = TestProvider::stepfun_like();
        let err = build_cancel_upload(&provider, "upload_1").unwrap_err();
        assert!(err.to_string().contains("has no Uploads API"), "{err}");
        let err = build_cancel_upload(&TestProvider::openai_like(), "..").unwrap_err();
        assert!(err.to_string().contains("upload id"), "{err}");
    }
}
