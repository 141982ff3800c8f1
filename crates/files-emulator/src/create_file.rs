//! `POST {prefix}/files`: a streamed multipart upload.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::header::CONTENT_TYPE;

use files_core::RuleKind;
use files_core::extend::probe::PROBE_PREFIX_LEN;
use files_core::extend::provider::UploadCheck;
use files_core::extend::rules::{ExpiresAfterRule, FormatRule, GifImages, ProviderRules, SiteRule};

use crate::body::SharedBody;
use crate::dialect::Dialect;
use crate::disk::DiskWriter;
use crate::envelope::ApiError;
use crate::ids;
use crate::record::{BodySeen, FilePart};
use crate::state::AppState;
use crate::store::{StoredFile, TempUpload};

/// The longest accepted text field (`purpose`, `url`, ...), in bytes.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// The `file` part as received.
#[derive(Debug)]
struct ReceivedFile {
    temp: TempUpload,
    filename: String,
    bytes: u64,
    too_large: bool,
    /// The first bytes, for the format rules.
    prefix: Vec<u8>,
    /// How many images the whole file holds, when its name says GIF.
    gif_images: usize,
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
/// `seen.file_part` is filled in as soon as a `file` part starts, so the request log has it
/// even when the upload is rejected, and `seen.form_fields` as each text field is read.
pub(crate) async fn upload(
    state: &AppState,
    headers: &HeaderMap,
    body: SharedBody,
    seen: &mut BodySeen,
) -> Result<Response, ApiError> {
    let dialect = &state.config.dialect;
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
    let form = read_form(state, body, boundary, seen).await?;

    if let Some(max) = state.config.max_upload_bytes
        && form.file.as_ref().is_some_and(|file| file.too_large)
    {
        return Err(ApiError::too_large(max));
    }
    let rules = dialect.rules();
    let site = state.config.site_rule();
    let purpose = validate_purpose(dialect, site, form.purpose)?;
    let expires_after = match rules.expires_after {
        Some(range) => validate_expires_after(range, form.anchor, form.seconds)?,
        None => None,
    };
    let cap = state.config.file_cap();
    if let Some(cap) = cap
        && state.store.count() as u64 >= cap
    {
        return Err(account_full(cap));
    }
    let wire_purpose = files_core::Purpose::new(purpose.clone());
    let (temp, filename, bytes) = match (form.file, form.url) {
        (Some(file), _) => {
            let len = (!state.config.any_size).then_some(file.bytes);
            // The emulator answers as the documented API: an unknown purpose is refused.
            let check = UploadCheck::new(&wire_purpose, Some(&file.filename), len)
                .with_prefix(&file.prefix)
                .with_strict_purpose(true);
            check_rules(rules, site, &check)?;
            // The whole file was walked: an animation the prefix did not show is one too.
            if file.gif_images > 1 && rules.purpose(&purpose).is_some_and(|p| p.static_gif) {
                let refusal = files_core::extend::rules::animated_gif(
                    &purpose,
                    &file.filename,
                    file.gif_images,
                );
                return Err(ApiError::bad_request(Some("file"), refusal.to_string()));
            }
            (file.temp, file.filename, file.bytes)
        }
        (None, Some(url)) if rules.url_upload => {
            let temp = TempUpload::new(state.store.temp_path());
            let fetched = state
                .fetcher
                .fetch(
                    &url,
                    &temp,
                    remote_limit(rules, &purpose, state.config.max_upload_bytes),
                )
                .await?;
            // Like the provider's documents, no format rule for a fetched file: its name is
            // the URL's, which need not say what it is.
            let check =
                UploadCheck::new(&wire_purpose, Some(&fetched.filename), Some(fetched.bytes))
                    .with_url(&url);
            check_rules(rules, site, &check)?;
            (temp, fetched.filename, fetched.bytes)
        }
        _ => {
            let message = if rules.url_upload {
                "Missing required parameter: 'file' (or 'url')."
            } else {
                "Missing required parameter: 'file'."
            };
            return Err(ApiError::bad_request(Some("file"), message));
        }
    };

    let id = ids::file_id();
    let path = state.store.path_of(&id);
    let created_at = state.now();
    let default_expiry = rules
        .purpose(&purpose)
        .and_then(|p| p.default_expires_after);
    let expires_at = expires_after
        .or(default_expiry)
        .map(|seconds| created_at + seconds);
    let file = StoredFile {
        id,
        bytes,
        created_at,
        filename,
        purpose,
        expires_at,
        seq: 0,
    };
    // From here to the answer there is no `.await`: a client that goes away cannot leave a
    // file stored without its record. The cap is counted and the file recorded under one
    // lock, so concurrent uploads cannot pass it.
    temp.persist(&path)
        .map_err(|e| ApiError::internal(format!("Could not store the upload: {e}")))?;
    let Some(stored) = state.store.insert_within(file, cap) else {
        let _ = std::fs::remove_file(&path);
        return Err(account_full(cap.unwrap_or_default()));
    };
    Ok(Json(stored.object(dialect)).into_response())
}

/// The provider's rules applied to what was received; a refusal is a 400 naming the field.
fn check_rules(
    rules: &ProviderRules,
    site: Option<&SiteRule>,
    check: &UploadCheck<'_>,
) -> Result<(), ApiError> {
    rules
        .check(site, check)
        .map(drop)
        .map_err(|refusal| ApiError::bad_request(Some(param_of(refusal.kind)), refusal.to_string()))
}

/// The refusal of an upload to an account that holds `cap` files.
fn account_full(cap: u64) -> ApiError {
    ApiError::bad_request(
        None,
        format!(
            "The account holds {cap} files, the most allowed. Delete files you no longer need \
             before uploading more."
        ),
    )
}

/// The most bytes a remote `url` upload for `purpose` may fetch: the purpose's limit in the
/// rules (StepFun: 128 MB for `storage`, 64 MB for the others), or the configured limit if
/// lower.
fn remote_limit(rules: &ProviderRules, purpose: &str, configured: Option<u64>) -> Option<u64> {
    let purpose_limit = rules.purpose(purpose).map_or(u64::MAX, |p| p.max_bytes);
    Some(configured.map_or(purpose_limit, |c| c.min(purpose_limit)))
}

/// The form field a refused rule is about.
fn param_of(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::PurposeNotAccepted | RuleKind::PurposeNotOnSite => "purpose",
        RuleKind::ExpiresAfterOutOfRange => "expires_after",
        RuleKind::UrlScheme => "url",
        _ => "file",
    }
}

/// Reads every field, streaming the first `file` part to a temporary file.
async fn read_form(
    state: &AppState,
    body: SharedBody,
    boundary: String,
    seen: &mut BodySeen,
) -> Result<Form, ApiError> {
    let dialect = &state.config.dialect;
    let fields = &dialect.wire().form;
    let expires = dialect.rules().expires_after.is_some();
    let url_upload = dialect.rules().url_upload;
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().map(str::to_owned);
        let name = name.as_deref();
        let slot = match name {
            Some(n) if n == fields.file && form.file.is_none() => {
                // A file over its purpose's limit is refused once counted; when the purpose
                // came first, its bytes past the limit are not stored meanwhile.
                let purpose_limit = form
                    .purpose
                    .as_deref()
                    .and_then(|p| dialect.rules().purpose(p))
                    .map(|p| p.max_bytes)
                    .filter(|_| !state.config.any_size);
                form.file = Some(
                    receive_file(state, &mut field, &mut seen.file_part, purpose_limit).await?,
                );
                continue;
            }
            Some(n) if n == fields.purpose => &mut form.purpose,
            Some("expires_after[anchor]") if expires => &mut form.anchor,
            Some("expires_after[seconds]") if expires => &mut form.seconds,
            Some(n) if url_upload && n == fields.url => &mut form.url,
            // Repeats of the file are skipped by multer when dropped.
            Some(n) if n == fields.file => continue,
            // Other fields are not the API's: recorded, and otherwise ignored.
            Some(n) => {
                let text = read_text(&mut field, n).await?;
                seen.form_fields.push((n.to_owned(), text));
                continue;
            }
            None => continue,
        };
        if slot.is_none() {
            let field_name = name.unwrap_or_default().to_owned();
            let text = read_text(&mut field, &field_name).await?;
            seen.form_fields.push((field_name, text.clone()));
            *slot = Some(text);
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

/// Streams the `file` part to a temporary file, counting its bytes; past `purpose_limit` (or
/// the configured limit) the bytes are counted, not stored.
async fn receive_file(
    state: &AppState,
    field: &mut multer::Field<'_>,
    file_part: &mut Option<FilePart>,
    purpose_limit: Option<u64>,
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
    let mut out = DiskWriter::create(temp.path()).await.map_err(store_error)?;
    let max = state.config.max_upload_bytes;
    let keep = [max, purpose_limit].into_iter().flatten().min();
    let mut too_large = false;
    let mut prefix = Vec::new();
    let mut gif = FormatRule::of_file_name(&filename)
        .filter(|f| f.name == "gif")
        .map(|_| GifImages::new());
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if let Some(gif) = &mut gif {
            gif.feed(&chunk);
        }
        let room = PROBE_PREFIX_LEN.saturating_sub(prefix.len());
        prefix.extend_from_slice(&chunk[..room.min(chunk.len())]);
        part.bytes += chunk.len() as u64;
        // Past a limit, keep counting (for the request log and the size rule) but stop
        // writing.
        too_large = max.is_some_and(|max| part.bytes > max);
        if keep.is_none_or(|keep| part.bytes <= keep) {
            out.write(&chunk).await.map_err(store_error)?;
        }
    }
    out.finish().await.map_err(store_error)?;
    Ok(ReceivedFile {
        temp,
        filename,
        bytes: part.bytes,
        too_large,
        prefix,
        gif_images: gif.map_or(0, |g| g.images()),
    })
}

/// Checks `purpose` against the values the dialect accepts at `site`.
fn validate_purpose(
    dialect: &Dialect,
    site: Option<&SiteRule>,
    purpose: Option<String>,
) -> Result<String, ApiError> {
    let required = dialect.wire().form.purpose_required;
    let Some(purpose) = purpose.or_else(|| (!required).then(String::new)) else {
        return Err(ApiError::bad_request(
            Some("purpose"),
            "Missing required parameter: 'purpose'.",
        ));
    };
    let accepted = dialect.upload_purposes(site);
    if accepted.contains(&purpose.as_str()) || (purpose.is_empty() && !required) {
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

/// Checks OpenAI's `expires_after[anchor]` and `expires_after[seconds]` against `range`;
/// returns the seconds.
fn validate_expires_after(
    range: ExpiresAfterRule,
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
            if anchor != range.anchor {
                return Err(invalid(format!(
                    "Invalid value for 'expires_after[anchor]': '{anchor}'. Expected '{}'.",
                    range.anchor
                )));
            }
            match seconds.trim().parse::<u64>() {
                Ok(n) if (range.min_seconds..=range.max_seconds).contains(&n) => Ok(Some(n)),
                _ => Err(invalid(format!(
                    "Invalid value for 'expires_after[seconds]': '{seconds}'. Expected an integer \
                     between {} and {}.",
                    range.min_seconds, range.max_seconds
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
        assert!(validate_purpose(&Dialect::openai(), None, Some("batch".into())).is_ok());
        let err = validate_purpose(&Dialect::openai(), None, Some("storage".into())).err();
        let err = err.map(|e| (e.param, e.message)).unwrap_or_default();
        assert_eq!(err.0, Some("purpose"));
        assert!(err.1.contains("'user_data'"));
        assert!(validate_purpose(&Dialect::stepfun(), None, Some("storage".into())).is_ok());
        assert!(validate_purpose(&Dialect::stepfun(), None, None).is_err());
        let international = Dialect::stepfun().rules().site("international");
        let err = validate_purpose(
            &Dialect::stepfun(),
            international,
            Some("file-extract".into()),
        );
        assert!(err.is_err(), "the international site takes only storage");
    }

    #[test]
    fn expires_after_is_range_checked() {
        let range = Dialect::openai().rules().expires_after.unwrap();
        let check = |a: Option<&str>, s: Option<&str>| {
            validate_expires_after(range, a.map(Into::into), s.map(Into::into)).map_err(|e| e.param)
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
        let rules = Dialect::stepfun().rules();
        assert_eq!(remote_limit(rules, "storage", None), Some(128 * MB));
        assert_eq!(remote_limit(rules, "file-extract", None), Some(64 * MB));
        assert_eq!(remote_limit(rules, "storage", Some(10)), Some(10));
        assert_eq!(
            remote_limit(rules, "retrieval-image", Some(100 * MB)),
            Some(64 * MB)
        );
    }
}
