//! The Uploads API (OpenAI): `POST {prefix}/uploads`, then `/uploads/{id}/parts`,
//! `/complete` and `/cancel`. An Upload is open (`pending`) for the spec's hour after its
//! creation, measured on the emulator's clock (which tests move on); parts are stored on disk
//! as they arrive; completing one joins its parts in the order given into a stored file,
//! checking their total against the declared size and the MD5 when one is given.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::Json;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use files_core::Purpose;
use files_core::extend::provider::UploadCheck;
use files_core::extend::rules::{RuleKind, UploadsRule, size_label};

use crate::body::SharedBody;
use crate::dialect::Dialect;
use crate::disk::DiskWriter;
use crate::envelope::ApiError;
use crate::ids;
use crate::record::FilePart;
use crate::state::AppState;
use crate::store::{StoredFile, TempUpload};

/// The longest JSON body the create and complete requests may have.
const MAX_JSON: usize = 1 << 20;

/// One part as stored.
#[derive(Debug, Clone)]
struct StoredPart {
    path: PathBuf,
    bytes: u64,
}

/// One Upload.
#[derive(Debug, Clone)]
struct UploadRecord {
    id: String,
    bytes: u64,
    created_at: u64,
    expires_at: u64,
    filename: String,
    purpose: String,
    status: &'static str,
    file_expires_after: Option<u64>,
    parts: HashMap<String, StoredPart>,
    file: Option<StoredFile>,
    /// A completion is joining the parts: cancels and other completions wait their turn.
    completing: bool,
}

/// Every Upload the emulator has seen.
#[derive(Debug, Default)]
pub(crate) struct Uploads {
    records: Mutex<HashMap<String, UploadRecord>>,
}

impl Uploads {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, UploadRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Expires every pending Upload past its hour, dropping its parts: run on each create,
    /// so a server that runs for days does not keep the parts of abandoned Uploads.
    fn sweep(&self, now: u64) {
        for record in self.lock().values_mut() {
            record.expire_if_due(now);
        }
    }
}

/// Marks an Upload as being completed for as long as it lives (a completion whose client
/// went away clears the mark too).
struct Completing<'a> {
    uploads: &'a Uploads,
    id: String,
}

impl Drop for Completing<'_> {
    fn drop(&mut self) {
        if let Some(record) = self.uploads.lock().get_mut(&self.id) {
            record.completing = false;
        }
    }
}

/// A `409` for an Upload another request is completing.
fn busy(id: &str) -> ApiError {
    ApiError {
        status: http::StatusCode::CONFLICT,
        message: format!("Upload {id} is being completed by another request; try again shortly."),
        kind: "invalid_request_error",
        param: None,
        code: None,
    }
}

/// An Upload on the wire.
#[derive(Debug, Serialize)]
struct UploadObject<'a> {
    id: &'a str,
    object: &'static str,
    bytes: u64,
    created_at: u64,
    filename: &'a str,
    purpose: &'a str,
    status: &'static str,
    expires_at: u64,
    file: Option<crate::store::FileObject<'a>>,
}

impl UploadRecord {
    fn object<'a>(&'a self, dialect: &'a Dialect) -> UploadObject<'a> {
        UploadObject {
            id: &self.id,
            object: "upload",
            bytes: self.bytes,
            created_at: self.created_at,
            filename: &self.filename,
            purpose: &self.purpose,
            status: self.status,
            expires_at: self.expires_at,
            file: self.file.as_ref().map(|f| f.object(dialect)),
        }
    }

    /// Marks a pending Upload past its hour as expired and drops its parts.
    fn expire_if_due(&mut self, now: u64) {
        if self.status == "pending" && now >= self.expires_at {
            self.status = "expired";
            self.drop_parts();
        }
    }

    fn drop_parts(&mut self) {
        for (_, part) in self.parts.drain() {
            let _ = std::fs::remove_file(part.path);
        }
    }

    /// Refuses anything but a pending Upload.
    fn require_pending(&self) -> Result<(), ApiError> {
        if self.status == "pending" {
            return Ok(());
        }
        let why = match self.status {
            "expired" => format!(
                "it expired at {} (an Upload is open for an hour after it is created); create a \
                 new Upload",
                httpdate::fmt_http_date(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(self.expires_at)
                )
            ),
            other => format!("it is {other}"),
        };
        Err(ApiError::bad_request(
            None,
            format!("Upload {} cannot take this request: {why}.", self.id),
        ))
    }
}

fn rules(state: &AppState) -> Result<UploadsRule, ApiError> {
    state
        .config
        .dialect
        .rules()
        .uploads
        .ok_or_else(|| ApiError::invalid_url("POST", "/uploads"))
}

fn no_such_upload(id: &str) -> ApiError {
    ApiError {
        status: http::StatusCode::NOT_FOUND,
        message: format!("No such Upload object: {id}"),
        kind: "invalid_request_error",
        param: Some("upload_id"),
        code: None,
    }
}

/// Reads a small JSON body.
async fn read_json(mut body: SharedBody) -> Result<Value, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(None, format!("Could not read the body: {e}")))?;
        if bytes.len() + chunk.len() > MAX_JSON {
            return Err(ApiError::bad_request(None, "The JSON body is too long."));
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            None,
            format!("We could not parse the JSON body of your request: {e}"),
        )
    })
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    filename: Option<String>,
    purpose: Option<String>,
    bytes: Option<u64>,
    mime_type: Option<String>,
    expires_after: Option<ExpiresAfter>,
}

#[derive(Debug, Deserialize)]
struct ExpiresAfter {
    anchor: Option<String>,
    seconds: Option<u64>,
}

/// `POST /uploads`.
pub(crate) async fn create(state: &AppState, body: SharedBody) -> Result<Response, ApiError> {
    let rule = rules(state)?;
    let json = read_json(body).await?;
    let body: CreateBody = serde_json::from_value(json)
        .map_err(|e| ApiError::bad_request(None, format!("Invalid request body: {e}")))?;
    let missing = |name: &'static str| {
        ApiError::bad_request(Some(name), format!("Missing required parameter: '{name}'."))
    };
    let filename = body
        .filename
        .filter(|f| !f.is_empty())
        .ok_or_else(|| missing("filename"))?;
    let purpose = body.purpose.ok_or_else(|| missing("purpose"))?;
    let bytes = body.bytes.ok_or_else(|| missing("bytes"))?;
    let mime_type = body
        .mime_type
        .filter(|m| !m.is_empty())
        .ok_or_else(|| missing("mime_type"))?;
    if !rule.purposes.contains(&purpose.as_str()) {
        return Err(ApiError::bad_request(
            Some("purpose"),
            format!(
                "Invalid purpose '{purpose}' for an Upload: expected one of {}.",
                rule.purposes.join(", ")
            ),
        ));
    }
    let wire_purpose = Purpose::new(purpose.clone());
    let check = UploadCheck::new(&wire_purpose, Some(&filename), Some(bytes))
        .with_size_limit(rule.max_bytes, "the Uploads API")
        .with_content_type(Some(&mime_type))
        .with_strict_purpose(true);
    let rules = state.config.dialect.rules();
    if let Err(refusal) = rules.check(None, &check) {
        let param = match refusal.kind {
            RuleKind::FileTooLarge | RuleKind::EmptyFile => "bytes",
            RuleKind::PurposeNotAccepted => "purpose",
            _ => "filename",
        };
        return Err(ApiError::bad_request(Some(param), refusal.to_string()));
    }
    let file_expires_after = match body.expires_after {
        None => None,
        Some(ExpiresAfter { anchor, seconds }) => {
            let range = rules.expires_after.ok_or_else(|| {
                ApiError::bad_request(Some("expires_after"), "An expiry is not supported.")
            })?;
            match (anchor.as_deref(), seconds) {
                (Some(a), Some(s))
                    if a == range.anchor
                        && (range.min_seconds..=range.max_seconds).contains(&s) =>
                {
                    Some(s)
                }
                _ => {
                    return Err(ApiError::bad_request(
                        Some("expires_after"),
                        format!(
                            "expires_after must be {{\"anchor\": \"{}\", \"seconds\": {}..={}}}.",
                            range.anchor, range.min_seconds, range.max_seconds
                        ),
                    ));
                }
            }
        }
    };
    let now = state.now();
    state.uploads.sweep(now);
    let record = UploadRecord {
        id: ids::prefixed_id("upload_"),
        bytes,
        created_at: now,
        expires_at: now + rule.expires_after_seconds,
        filename,
        purpose,
        status: "pending",
        file_expires_after,
        parts: HashMap::new(),
        file: None,
        completing: false,
    };
    let answer = Json(record.object(&state.config.dialect)).into_response();
    state.uploads.lock().insert(record.id.clone(), record);
    Ok(answer)
}

/// The Upload `id`, which must be open (pending, and not past its hour at `now`).
fn open_record<'a>(
    records: &'a mut HashMap<String, UploadRecord>,
    id: &str,
    now: u64,
) -> Result<&'a mut UploadRecord, ApiError> {
    let record = records.get_mut(id).ok_or_else(|| no_such_upload(id))?;
    record.expire_if_due(now);
    record.require_pending()?;
    Ok(record)
}

/// Looks up a pending Upload.
fn pending(state: &AppState, id: &str) -> Result<UploadRecord, ApiError> {
    let now = state.now();
    Ok(open_record(&mut state.uploads.lock(), id, now)?.clone())
}

/// `POST /uploads/{id}/parts`: one multipart field, `data`, of at most the part limit.
pub(crate) async fn add_part(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    body: SharedBody,
    file_part: &mut Option<FilePart>,
) -> Result<Response, ApiError> {
    let rule = rules(state)?;
    pending(state, id)?;
    let boundary = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                None,
                "Invalid Content-Type header: expected multipart/form-data with a boundary.",
            )
        })?;
    let malformed = |e: multer::Error| {
        ApiError::bad_request(None, format!("Could not parse the multipart body: {e}"))
    };
    let store_error =
        |e: std::io::Error| ApiError::internal(format!("Could not store the part: {e}"));
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut received = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        if field.name() != Some("data") || received.is_some() {
            continue;
        }
        let part = file_part.insert(FilePart {
            filename: field.file_name().map(str::to_owned),
            content_type: field.content_type().map(ToString::to_string),
            bytes: 0,
        });
        let temp = TempUpload::new(state.store.temp_path());
        let mut out = DiskWriter::create(temp.path()).await.map_err(store_error)?;
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            part.bytes += chunk.len() as u64;
            if part.bytes > rule.max_part_bytes {
                continue; // counted, not stored: refused below
            }
            out.write(&chunk).await.map_err(store_error)?;
        }
        out.finish().await.map_err(store_error)?;
        received = Some((temp, part.bytes));
    }
    let Some((temp, bytes)) = received else {
        return Err(ApiError::bad_request(
            Some("data"),
            "Missing required parameter: 'data'.",
        ));
    };
    if bytes > rule.max_part_bytes {
        return Err(ApiError::bad_request(
            Some("data"),
            format!(
                "The part is {} ({bytes} bytes): a part holds at most {} ({} bytes).",
                size_label(bytes),
                size_label(rule.max_part_bytes),
                rule.max_part_bytes
            ),
        ));
    }
    if bytes == 0 {
        return Err(ApiError::bad_request(Some("data"), "The part is empty."));
    }
    let part_id = ids::prefixed_id("part_");
    let path = state.store.path_of(&format!("{id}-{part_id}"));
    let now = state.now();
    // No `.await` from here: the part is stored and recorded, or neither.
    let mut records = state.uploads.lock();
    let record = open_record(&mut records, id, now)?;
    temp.persist(&path).map_err(store_error)?;
    record
        .parts
        .insert(part_id.clone(), StoredPart { path, bytes });
    Ok(Json(serde_json::json!({
        "id": part_id,
        "object": "upload.part",
        "created_at": now,
        "upload_id": id,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct CompleteBody {
    part_ids: Option<Vec<String>>,
    md5: Option<String>,
}

/// `POST /uploads/{id}/complete`: joins the parts in the order given into a stored file.
pub(crate) async fn complete(
    state: &AppState,
    id: &str,
    body: SharedBody,
) -> Result<Response, ApiError> {
    rules(state)?;
    let json = read_json(body).await?;
    let body: CompleteBody = serde_json::from_value(json)
        .map_err(|e| ApiError::bad_request(None, format!("Invalid request body: {e}")))?;
    let part_ids = body.part_ids.filter(|ids| !ids.is_empty()).ok_or_else(|| {
        ApiError::bad_request(Some("part_ids"), "Missing required parameter: 'part_ids'.")
    })?;
    let record = {
        let now = state.now();
        let mut records = state.uploads.lock();
        let record = open_record(&mut records, id, now)?;
        if record.completing {
            return Err(busy(id));
        }
        record.completing = true;
        record.clone()
    };
    let _completing = Completing {
        uploads: &state.uploads,
        id: id.to_owned(),
    };
    let mut paths = Vec::with_capacity(part_ids.len());
    let mut total = 0u64;
    for (n, part_id) in part_ids.iter().enumerate() {
        if part_ids[..n].contains(part_id) {
            return Err(ApiError::bad_request(
                Some("part_ids"),
                format!("Part {part_id} is listed twice."),
            ));
        }
        let part = record.parts.get(part_id).ok_or_else(|| {
            ApiError::bad_request(
                Some("part_ids"),
                format!("Part {part_id} does not belong to Upload {id}."),
            )
        })?;
        total += part.bytes;
        paths.push(part.path.clone());
    }
    if total != record.bytes {
        return Err(ApiError::bad_request(
            Some("part_ids"),
            format!(
                "The parts add up to {total} bytes, but the Upload was created with bytes={}.",
                record.bytes
            ),
        ));
    }
    let temp = TempUpload::new(state.store.temp_path());
    let target = temp.path().to_owned();
    let joined = tokio::task::spawn_blocking(move || join_parts(&paths, &target))
        .await
        .map_err(|e| ApiError::internal(format!("Could not join the parts: {e}")))?
        .map_err(|e| ApiError::internal(format!("Could not join the parts: {e}")))?;
    if let Some(expected) = body.md5
        && !expected.eq_ignore_ascii_case(&joined)
    {
        return Err(ApiError::bad_request(
            Some("md5"),
            format!("The md5 checksum {expected} does not match the uploaded data ({joined})."),
        ));
    }
    let now = state.now();
    let file_id = ids::file_id();
    // Like `POST /files`: the purpose's default expiry when none was asked for.
    let default_expiry = state
        .config
        .dialect
        .rules()
        .purpose(&record.purpose)
        .and_then(|p| p.default_expires_after);
    let file = StoredFile {
        id: file_id.clone(),
        bytes: record.bytes,
        created_at: now,
        filename: record.filename.clone(),
        purpose: record.purpose.clone(),
        expires_at: record
            .file_expires_after
            .or(default_expiry)
            .map(|s| now + s),
        seq: 0,
    };
    let cap = state.config.file_cap();
    // No `.await` from here: the Upload is completed and its file stored, or neither.
    let mut records = state.uploads.lock();
    let record = open_record(&mut records, id, now)?;
    temp.persist(&state.store.path_of(&file_id))
        .map_err(|e| ApiError::internal(format!("Could not store the file: {e}")))?;
    let Some(stored) = state.store.insert_within(file, cap) else {
        let _ = std::fs::remove_file(state.store.path_of(&file_id));
        return Err(ApiError::bad_request(
            None,
            format!(
                "The account holds its most files ({}); delete some and complete the Upload again.",
                cap.unwrap_or_default()
            ),
        ));
    };
    record.status = "completed";
    record.drop_parts();
    record.file = Some(stored);
    Ok(Json(record.object(&state.config.dialect)).into_response())
}

/// Writes the parts at `paths` one after another to `target`; returns the MD5 of it all.
fn join_parts(paths: &[PathBuf], target: &std::path::Path) -> std::io::Result<String> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(target)?);
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    for path in paths {
        let mut part = std::fs::File::open(path)?;
        loop {
            let n = part.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
    }
    out.flush()?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `POST /uploads/{id}/cancel`.
pub(crate) fn cancel(state: &AppState, id: &str) -> Result<Response, ApiError> {
    rules(state)?;
    let now = state.now();
    let mut records = state.uploads.lock();
    let record = open_record(&mut records, id, now)?;
    if record.completing {
        return Err(busy(id));
    }
    record.status = "cancelled";
    record.drop_parts();
    Ok(Json(record.object(&state.config.dialect)).into_response())
}
