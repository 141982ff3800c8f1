//! `POST {prefix}/files`: a streamed multipart upload.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use tokio::io::AsyncWriteExt;

use crate::body::SharedBody;
use crate::dialect::Dialect;
use crate::envelope::ApiError;
use crate::ids;
use crate::record::FilePart;
use crate::state::AppState;
use crate::store::{StoredFile, TempUpload, unix_now};

/// The longest accepted text field (`purpose`, `url`, ...), in bytes.
const MAX_TEXT_FIELD: usize = 64 * 1024;
/// The accepted range of `expires_after[seconds]`: one hour to thirty days.
const EXPIRES_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 3600..=2_592_000;
/// How long OpenAI keeps `batch` files when no `expires_after` is given: thirty days.
const BATCH_DEFAULT_EXPIRY: u64 = 2_592_000;

/// The `file` part as received.
#[derive(Debug)]
struct ReceivedFile {
    temp: TempUpload,
    filename: String,
    bytes: u64,
    too_large: bool,
}

/// The fields of an upload form this dialect cares about.
#[derive(Debug, Default)]
struct Form {
    purpose: Option<String>,
    anchor: Option<String>,
    seconds: Option<String>,
    url: Option<String>,
    file: Option<ReceivedFile>,
}

/// Handles an upload: parses the form while streaming the file to disk, validates, stores.
///
/// `file_part` is filled in as soon as a `file` part starts, so the request log has it even
/// when the upload is rejected.
pub(crate) async fn upload(
    state: &AppState,
    headers: &HeaderMap,
    body: SharedBody,
    file_part: &mut Option<FilePart>,
) -> Result<Response, ApiError> {
    let dialect = state.config.dialect;
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let boundary = content_type
        .as_deref()
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                None,
                format!(
                    "Invalid Content-Type header {}: expected multipart/form-data with a boundary.",
                    content_type
                        .as_deref()
                        .map_or("(none)".to_owned(), |ct| format!("'{ct}'"))
                ),
            )
        })?;
    let form = read_form(state, body, boundary, file_part).await?;

    if let Some(max) = state.config.max_upload_bytes
        && form.file.as_ref().is_some_and(|file| file.too_large)
    {
        return Err(ApiError::too_large(max));
    }
    let purpose = validate_purpose(dialect, form.purpose)?;
    let expires_after = match dialect {
        Dialect::OpenAi => validate_expires_after(form.anchor, form.seconds)?,
        Dialect::StepFun => None,
    };
    let (temp, filename, bytes) = match (form.file, form.url) {
        (Some(file), _) => (file.temp, file.filename, file.bytes),
        (None, Some(url)) if dialect == Dialect::StepFun => {
            let temp = TempUpload::new(state.store.temp_path());
            let fetched = state
                .fetcher
                .fetch(
                    &url,
                    &temp,
                    remote_limit(&purpose, state.config.max_upload_bytes),
                )
                .await?;
            (temp, fetched.filename, fetched.bytes)
        }
        _ => {
            let message = match dialect {
                Dialect::OpenAi => "Missing required parameter: 'file'.",
                Dialect::StepFun => "Missing required parameter: 'file' (or 'url').",
            };
            return Err(ApiError::bad_request(Some("file"), message));
        }
    };

    let id = ids::file_id();
    temp.persist(&state.store.path_of(&id))
        .await
        .map_err(|e| ApiError::internal(format!("Could not store the upload: {e}")))?;
    let created_at = unix_now();
    let expires_at = match dialect {
        Dialect::OpenAi => expires_after
            .or((purpose == "batch").then_some(BATCH_DEFAULT_EXPIRY))
            .map(|seconds| created_at + seconds),
        Dialect::StepFun => None,
    };
    let stored = state.store.insert(StoredFile {
        id,
        bytes,
        created_at,
        filename,
        purpose,
        expires_at,
        seq: 0,
    });
    Ok(Json(stored.object(dialect)).into_response())
}

/// The most bytes a remote `url` upload for `purpose` may fetch: StepFun's limit for the
/// purpose (128 MB for `storage`, 64 MB for the others), or the configured limit if lower.
fn remote_limit(purpose: &str, configured: Option<u64>) -> Option<u64> {
    const MB: u64 = 1024 * 1024;
    let purpose_limit = if purpose == "storage" {
        128 * MB
    } else {
        64 * MB
    };
    Some(configured.map_or(purpose_limit, |c| c.min(purpose_limit)))
}

/// Reads every field, streaming the first `file` part to a temporary file.
async fn read_form(
    state: &AppState,
    body: SharedBody,
    boundary: String,
    file_part: &mut Option<FilePart>,
) -> Result<Form, ApiError> {
    let dialect = state.config.dialect;
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().map(str::to_owned);
        let slot = match (name.as_deref(), dialect) {
            (Some("file"), _) if form.file.is_none() => {
                form.file = Some(receive_file(state, &mut field, file_part).await?);
                continue;
            }
            (Some("purpose"), _) => &mut form.purpose,
            (Some("expires_after[anchor]"), Dialect::OpenAi) => &mut form.anchor,
            (Some("expires_after[seconds]"), Dialect::OpenAi) => &mut form.seconds,
            (Some("url"), Dialect::StepFun) => &mut form.url,
            // Unknown fields (and repeats of the file) are skipped by multer when dropped.
            _ => continue,
        };
        if slot.is_none() {
            let field_name = name.unwrap_or_default();
            *slot = Some(read_text(&mut field, &field_name).await?);
        }
    }
    Ok(form)
}

/// A 400 for a body that is not valid multipart/form-data.
fn malformed(error: multer::Error) -> ApiError {
    ApiError::bad_request(None, format!("Could not parse the multipart body: {error}"))
}

/// Reads a small text field.
async fn read_text(field: &mut multer::Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(ApiError::bad_request(
                None,
                format!("The '{name}' field is longer than {MAX_TEXT_FIELD} bytes."),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(None, format!("The '{name}' field is not UTF-8 text.")))
}

/// Streams the `file` part to a temporary file, counting its bytes.
async fn receive_file(
    state: &AppState,
    field: &mut multer::Field<'_>,
    file_part: &mut Option<FilePart>,
) -> Result<ReceivedFile, ApiError> {
    let filename = field.file_name().map(str::to_owned);
    let part = file_part.insert(FilePart {
        filename: filename.clone(),
        content_type: field.content_type().map(ToString::to_string),
        bytes: 0,
    });
    let Some(filename) = filename.filter(|f| !f.is_empty()) else {
        return Err(ApiError::bad_request(
            Some("file"),
            "The 'file' field must be a file upload: its Content-Disposition has no filename.",
        ));
    };
    let temp = TempUpload::new(state.store.temp_path());
    let store_error =
        |e: std::io::Error| ApiError::internal(format!("Could not store the upload: {e}"));
    let mut out = tokio::fs::File::create(temp.path())
        .await
        .map_err(store_error)?;
    let max = state.config.max_upload_bytes;
    let mut too_large = false;
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        part.bytes += chunk.len() as u64;
        // Past the limit, keep counting (for the request log) but stop writing.
        too_large = max.is_some_and(|max| part.bytes > max);
        if !too_large {
            out.write_all(&chunk).await.map_err(store_error)?;
        }
    }
    out.flush().await.map_err(store_error)?;
    Ok(ReceivedFile {
        temp,
        filename,
        bytes: part.bytes,
        too_large,
    })
}

/// Checks `purpose` against the dialect's accepted values.
fn validate_purpose(dialect: Dialect, purpose: Option<String>) -> Result<String, ApiError> {
    let Some(purpose) = purpose else {
        return Err(ApiError::bad_request(
            Some("purpose"),
            "Missing required parameter: 'purpose'.",
        ));
    };
    let accepted = dialect.upload_purposes();
    if accepted.contains(&purpose.as_str()) {
        return Ok(purpose);
    }
    let list = accepted
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ApiError::bad_request(
        Some("purpose"),
        format!("Invalid value for 'purpose': '{purpose}'. Expected one of: {list}."),
    ))
}

/// Checks OpenAI's `expires_after[anchor]` and `expires_after[seconds]`; returns the seconds.
fn validate_expires_after(
    anchor: Option<String>,
    seconds: Option<String>,
) -> Result<Option<u64>, ApiError> {
    let invalid = |message: String| ApiError::bad_request(Some("expires_after"), message);
    match (anchor, seconds) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(invalid(
            "Missing required parameter: 'expires_after[seconds]'.".to_owned(),
        )),
        (None, Some(_)) => Err(invalid(
            "Missing required parameter: 'expires_after[anchor]'.".to_owned(),
        )),
        (Some(anchor), Some(seconds)) => {
            if anchor != "created_at" {
                return Err(invalid(format!(
                    "Invalid value for 'expires_after[anchor]': '{anchor}'. Expected 'created_at'."
                )));
            }
            match seconds.trim().parse::<u64>() {
                Ok(n) if EXPIRES_AFTER_SECONDS.contains(&n) => Ok(Some(n)),
                _ => Err(invalid(format!(
                    "Invalid value for 'expires_after[seconds]': '{seconds}'. Expected an integer \
                     between {} and {}.",
                    EXPIRES_AFTER_SECONDS.start(),
                    EXPIRES_AFTER_SECONDS.end()
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_checked_per_dialect() {
        assert!(validate_purpose(Dialect::OpenAi, Some("batch".into())).is_ok());
        let err = validate_purpose(Dialect::OpenAi, Some("storage".into())).err();
        let err = err.map(|e| (e.param, e.message)).unwrap_or_default();
        assert_eq!(err.0, Some("purpose"));
        assert!(err.1.contains("'user_data'"));
        assert!(validate_purpose(Dialect::StepFun, Some("storage".into())).is_ok());
        assert!(validate_purpose(Dialect::StepFun, None).is_err());
    }

    #[test]
    fn expires_after_is_range_checked() {
        let check = |a: Option<&str>, s: Option<&str>| {
            validate_expires_after(a.map(Into::into), s.map(Into::into)).map_err(|e| e.param)
        };
        assert_eq!(check(None, None), Ok(None));
        assert_eq!(check(Some("created_at"), Some("3600")), Ok(Some(3600)));
        assert_eq!(
            check(Some("created_at"), Some("2592000")),
            Ok(Some(2_592_000))
        );
        assert_eq!(
            check(Some("created_at"), Some("3599")),
            Err(Some("expires_after"))
        );
        assert_eq!(
            check(Some("created_at"), Some("2592001")),
            Err(Some("expires_after"))
        );
        assert_eq!(
            check(Some("created_at"), Some("soon")),
            Err(Some("expires_after"))
        );
        assert_eq!(
            check(Some("updated_at"), Some("3600")),
            Err(Some("expires_after"))
        );
        assert_eq!(check(Some("created_at"), None), Err(Some("expires_after")));
    }

    #[test]
    fn a_remote_fetch_is_capped_at_the_purpose_limit() {
        const MB: u64 = 1024 * 1024;
        assert_eq!(remote_limit("storage", None), Some(128 * MB));
        assert_eq!(remote_limit("file-extract", None), Some(64 * MB));
        assert_eq!(remote_limit("storage", Some(10)), Some(10));
        assert_eq!(
            remote_limit("retrieval-image", Some(100 * MB)),
            Some(64 * MB)
        );
    }
}
