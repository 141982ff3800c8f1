//! The one error type of the SDK, and the parts that make it up.
//!
//! Every failure says what went wrong and what a person can do about it: a validation error
//! names the rule, the limit and the value; an API error carries the provider's message, type,
//! param, code and request id (or the raw body text when a proxy answered instead of the API);
//! a transport error says whether connecting, waiting or moving bytes failed. No HTTP-client
//! type appears here, so transports can change without touching this API.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error_kind::ApiErrorKind;
use crate::rules::RuleKind;
use crate::uploads::UploadFailure;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any failure of a Files API call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before a byte was sent: it breaks a provider rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The server answered with a non-success status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request or response could not be carried: connect, timeout or IO failure.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered with success, but the body is not what the API documents.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A local file (or the caller's reader, stream or writer) could not be read or written.
    #[error(transparent)]
    LocalFile(#[from] LocalFileError),
    /// A file was still being processed when waiting for it ran out of time.
    #[error(transparent)]
    ProcessingTimeout(Box<ProcessingTimeout>),
    /// An upload through the Uploads API failed: the step, the Upload, what became of it
    /// (cancelled, or expired), and the cause — which the methods below look through.
    #[error(transparent)]
    Upload(Box<UploadFailure>),
}

impl From<UploadFailure> for Error {
    fn from(e: UploadFailure) -> Self {
        Error::Upload(Box::new(e))
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

impl From<ProcessingTimeout> for Error {
    fn from(e: ProcessingTimeout) -> Self {
        Error::ProcessingTimeout(Box::new(e))
    }
}

impl Error {
    /// The HTTP status when the server answered with an error, else `None`.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Upload(e) => e.source.status(),
            _ => None,
        }
    }

    /// The server's request id (`x-request-id`) of the last response the operation saw, when
    /// the server answered at all.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            Error::Transport(e) => e.request_id.as_deref(),
            Error::Upload(e) => e.source.request_id(),
            _ => None,
        }
    }

    /// Whether the failure is of a kind the official SDKs retry: a connection failure, a
    /// timeout, a cut transfer, or the statuses 408, 409, 429 and 5xx (unless the server said
    /// `x-should-retry: false`, or a 429 says the quota is used up). This looks at the failure
    /// alone; the client also stops when its retries are spent or the body cannot be re-sent.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::Transport(e) => e.is_retryable(),
            Error::Upload(e) => !e.expired() && e.source.is_retryable(),
            _ => false,
        }
    }

    /// What kind of API error this is, when the server answered with one.
    pub fn api_error_kind(&self) -> Option<ApiErrorKind> {
        match self {
            Error::Api(e) => Some(e.kind()),
            Error::Upload(e) => e.source.api_error_kind(),
            _ => None,
        }
    }

    /// How long the server asked the client to wait before trying again (`retry-after-ms`,
    /// or `retry-after` as seconds or an HTTP date), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::Upload(e) => e.source.retry_after(),
            _ => None,
        }
    }

    /// How many times the request was sent before the operation gave up, for the failures
    /// that come from sending (API and transport errors).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempts),
            Error::Transport(e) => Some(e.attempts),
            Error::Upload(e) => e.source.attempts(),
            _ => None,
        }
    }
}

/// An error as an IO error, for `Read` and `AsyncRead` faces: a timeout is
/// [`std::io::ErrorKind::TimedOut`], anything else [`std::io::ErrorKind::Other`], and the
/// error itself is the source.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        let kind = match &error {
            Error::Transport(t) if t.kind == TransportErrorKind::Timeout => {
                std::io::ErrorKind::TimedOut
            }
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, error)
    }
}

/// A request that breaks a rule of the provider, found before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value}: {rule}")]
#[non_exhaustive]
pub struct ValidationError {
    /// What was checked, e.g. `purpose` or `file size`.
    pub what: String,
    /// The rule or limit that was broken, and how to satisfy it.
    pub rule: String,
    /// The offending value, as the caller gave it (never a secret).
    pub value: String,
    /// The limit that applies, when the rule is a numeric one (e.g. `1..=10000`).
    pub limit: Option<String>,
    /// Which rule was broken, for callers that match on it.
    pub kind: RuleKind,
}

impl ValidationError {
    /// A validation error for `what`, whose `value` breaks `rule`.
    pub fn new(what: impl Into<String>, value: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            what: what.into(),
            rule: rule.into(),
            value: value.into(),
            limit: None,
            kind: RuleKind::Input,
        }
    }

    /// Records which rule the value broke.
    pub fn with_kind(mut self, kind: RuleKind) -> Self {
        self.kind = kind;
        self
    }

    /// Records the numeric limit the value broke.
    pub fn with_limit(mut self, limit: impl Into<String>) -> Self {
        self.limit = Some(limit.into());
        self
    }
}

/// The server refused the request: a non-success HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The provider's `error.message`, or a readable summary of a non-JSON body.
    pub message: String,
    /// The provider's `error.type`, e.g. `invalid_request_error`. [`ApiError::kind`] sorts
    /// the error into a kind a caller can match.
    pub error_type: Option<String>,
    /// The provider's `error.param`: which request parameter was wrong.
    pub param: Option<String>,
    /// The provider's `error.code`, e.g. `invalid_api_key`.
    pub code: Option<String>,
    /// The `x-request-id` response header, to quote to the provider's support.
    pub request_id: Option<String>,
    /// The raw body text (truncated) when it was not the JSON error envelope, e.g. a proxy's
    /// HTML page.
    pub raw_body: Option<String>,
    /// How long the server asked the client to wait before trying again, when it said
    /// (`retry-after-ms`, or `retry-after` as seconds or an HTTP date).
    pub retry_after: Option<Duration>,
    /// The server's `x-should-retry` header, which overrides the status rule when present.
    pub should_retry: Option<bool>,
    /// How many times the request was sent (1 when it was not retried).
    pub attempts: u32,
    /// Why the client did not retry a failure that is usually retried, when that is not
    /// the spent retry budget.
    pub not_retried: Option<String>,
}

impl ApiError {
    /// An error for `status` with `message` and nothing else known.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            error_type: None,
            param: None,
            code: None,
            request_id: None,
            raw_body: None,
            retry_after: None,
            should_retry: None,
            attempts: 1,
            not_retried: None,
        }
    }

    /// Whether the provider says the account's quota is used up (`insufficient_quota` as the
    /// error type or code): waiting does not help.
    pub fn is_quota_exhausted(&self) -> bool {
        let quota = |v: &Option<String>| v.as_deref() == Some("insufficient_quota");
        quota(&self.error_type) || quota(&self.code)
    }

    /// What kind of failure this is, from the status and the provider's type and code; see
    /// [`ApiErrorKind::classify`].
    pub fn kind(&self) -> ApiErrorKind {
        ApiErrorKind::classify(
            self.status,
            self.error_type.as_deref(),
            self.code.as_deref(),
        )
    }

    /// Whether the official SDKs would retry this answer: `x-should-retry` when the server
    /// sent it, else the statuses 408, 409, 429 and 5xx; never a 429 for a spent quota.
    pub fn is_retryable(&self) -> bool {
        if self.status == 429 && self.is_quota_exhausted() {
            return false;
        }
        match self.should_retry {
            Some(decided) => decided,
            None => matches!(self.status, 408 | 409 | 429 | 500..),
        }
    }
}

impl std::error::Error for ApiError {}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        write!(f, "HTTP {} {}", self.status, reason)?;
        let mut tags: Vec<String> = Vec::new();
        if let Some(error_type) = &self.error_type {
            tags.push(error_type.clone());
        }
        if let Some(code) = &self.code {
            tags.push(format!("code {code}"));
        }
        if let Some(param) = &self.param {
            tags.push(format!("param {param}"));
        }
        if !tags.is_empty() {
            write!(f, " ({})", tags.join(", "))?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = self.kind().hint() {
            write!(f, " — {hint}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        write_retry_facts(f, self.attempts, self.not_retried.as_deref())
    }
}

/// Appends how many attempts were made and why no more were, when there is something to say.
fn write_retry_facts(f: &mut fmt::Formatter<'_>, attempts: u32, note: Option<&str>) -> fmt::Result {
    if attempts > 1 {
        write!(f, "; gave up after {attempts} attempts")?;
    }
    if let Some(note) = note {
        write!(f, "; not retried: {note}")?;
    }
    Ok(())
}

impl ApiErrorKind {
    /// The kind of an error with `status`, given the provider's error `type` and `code` when
    /// it sent them: a 429 whose code or type is `insufficient_quota` is
    /// [`ApiErrorKind::InsufficientQuota`]; a status `spec/errors.toml` names is its kind; any
    /// other 3xx is a redirect, 4xx a bad request, 5xx a server error.
    ///
    /// ```
    /// use files_core::ApiErrorKind;
    /// assert_eq!(ApiErrorKind::classify(402, None, None), ApiErrorKind::InsufficientBalance);
    /// assert_eq!(
    ///     ApiErrorKind::classify(429, None, Some("insufficient_quota")),
    ///     ApiErrorKind::InsufficientQuota
    /// );
    /// assert_eq!(ApiErrorKind::classify(418, None, None), ApiErrorKind::BadRequest);
    /// ```
    pub fn classify(status: u16, error_type: Option<&str>, code: Option<&str>) -> ApiErrorKind {
        if let Some(kind) = [code, error_type]
            .into_iter()
            .flatten()
            .find_map(|c| ApiErrorKind::of_code(status, c))
        {
            return kind;
        }
        ApiErrorKind::of_status(status).unwrap_or(match status {
            300..=399 => ApiErrorKind::Redirect,
            400..=499 => ApiErrorKind::BadRequest,
            500..=599 => ApiErrorKind::ServerError,
            _ => ApiErrorKind::Other,
        })
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How carrying a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, refused, TLS handshake).
    Connect,
    /// The server's certificate is not trusted: not signed by a known root, expired, or for
    /// another name. Retrying does not help; trusting the right root does.
    Certificate,
    /// A time limit passed.
    Timeout,
    /// Reading or writing bytes failed mid-way, including reading an upload's source.
    Io,
    /// The request cannot be carried by this transport as described.
    Unsupported,
    /// Anything else the HTTP client reported.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Certificate => "the server's certificate was refused",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "connection failed while transferring",
            TransportErrorKind::Unsupported => "not supported by this transport",
            TransportErrorKind::Other => "HTTP client error",
        })
    }
}

/// A request that could not be carried to the server or back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub struct TransportError {
    /// Which stage failed.
    pub kind: TransportErrorKind,
    /// What happened, in words.
    pub message: String,
    /// The underlying error from the HTTP client or the OS.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// How many times the request was sent (1 when it was not retried).
    pub attempts: u32,
    /// The `x-request-id` of the last response an earlier attempt received, if any.
    pub request_id: Option<String>,
    /// Why the client did not retry a failure that is usually retried, when that is not
    /// the spent retry budget.
    pub not_retried: Option<String>,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [last request id {id}]")?;
        }
        write_retry_facts(f, self.attempts, self.not_retried.as_deref())
    }
}

impl TransportError {
    /// A transport error of `kind` with a message and no source.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
            attempts: 1,
            request_id: None,
            not_retried: None,
        }
    }

    /// Whether the official SDKs retry this kind of failure: connecting, a timeout, or a
    /// transfer cut mid-way.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }

    /// A transport error of `kind` caused by `source`; the message includes the text of the
    /// source and of each error below it, so the root cause (a refused connection, a missing
    /// file) is never hidden behind a generic one.
    pub fn with_source(
        kind: TransportErrorKind,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        let mut message = message.into();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(e) = cause {
            let text = e.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            cause = e.source();
        }
        TransportError {
            source: Some(source),
            ..TransportError::new(kind, message)
        }
    }

    /// An IO failure while moving bytes.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        let kind = match source.kind() {
            std::io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        };
        TransportError::with_source(kind, context, source)
    }
}

/// A success response whose body is not what the API documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} (HTTP {status}), but the body {problem}: {snippet:?}{}", request_id_suffix(.request_id))]
#[non_exhaustive]
pub struct DecodeError {
    /// What the body should have been, e.g. `a file object`.
    pub expected: String,
    /// What was wrong with it, e.g. the JSON parser's message.
    pub problem: String,
    /// The first bytes of what came, as text.
    pub snippet: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// The `x-request-id` response header, if any.
    pub request_id: Option<String>,
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" [request id {id}]"))
        .unwrap_or_default()
}

/// A file that was still being processed when [`wait_for_processing`] ran out of time.
///
/// [`wait_for_processing`]: crate::ops::WaitForProcessing
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file_id} was still {} after waiting {}s ({checks} checks); wait longer, or check it again later",
    status_text(.status), .waited.as_secs()
)]
#[non_exhaustive]
pub struct ProcessingTimeout {
    /// The file waited for.
    pub file_id: String,
    /// Its status at the last check.
    pub status: Option<crate::FileStatus>,
    /// How long the client waited.
    pub waited: Duration,
    /// How many times it asked.
    pub checks: u32,
}

fn status_text(status: &Option<crate::FileStatus>) -> String {
    match status {
        Some(s) => format!("'{s}'"),
        None => "unprocessed".to_owned(),
    }
}

/// What was being done to a local file when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalFileOp {
    /// Finding the file's size and first bytes before an upload.
    Inspect,
    /// Reading the file to send it.
    Read,
    /// Creating the download's destination.
    Create,
    /// Writing downloaded bytes.
    Write,
    /// Moving the finished download into place.
    Persist,
}

impl fmt::Display for LocalFileOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LocalFileOp::Inspect => "open",
            LocalFileOp::Read => "read",
            LocalFileOp::Create => "create",
            LocalFileOp::Write => "write",
            LocalFileOp::Persist => "finish writing",
        })
    }
}

/// A local file could not be read or written; also a caller's reader, stream or writer that
/// failed or held a different number of bytes than declared.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} {}: {source}", .path.display())]
#[non_exhaustive]
pub struct LocalFileError {
    /// What was being done.
    pub op: LocalFileOp,
    /// The file concerned, or a description of the caller's reader or writer.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

impl LocalFileError {
    /// `path` is a directory or other non-file where `op` needs a regular file: an upload's
    /// source, or a download's destination.
    pub fn not_a_file(op: LocalFileOp, path: impl Into<PathBuf>) -> Self {
        let hint = match op {
            LocalFileOp::Create | LocalFileOp::Write | LocalFileOp::Persist => {
                "is a directory; give the path of the file to write"
            }
            _ => "not a regular file; give the path of a file to upload",
        };
        LocalFileError::new(
            op,
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, hint),
        )
    }

    /// A failure of `op` on `path`.
    pub fn new(op: LocalFileOp, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LocalFileError {
            op,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_display_names_everything_a_person_needs() {
        let e = ApiError {
            error_type: Some("invalid_request_error".into()),
            param: Some("id".into()),
            code: None,
            request_id: Some("req_1".into()),
            ..ApiError::new(404, "No such File object: file-x")
        };
        assert_eq!(e.kind(), ApiErrorKind::NotFound);
        assert_eq!(
            e.to_string(),
            "HTTP 404 Not Found (invalid_request_error, param id): No such File object: file-x — no \
             such file or path: check the id, and that the base URL ends in /v1 [request id req_1]"
        );
    }

    #[test]
    fn validation_error_reads_as_a_sentence() {
        let e = ValidationError::new("limit", "0", "must be between 1 and 10000");
        assert_eq!(e.to_string(), "limit 0: must be between 1 and 10000");
    }

    #[test]
    fn retry_facts_show_in_the_message() {
        let mut e = ApiError::new(502, "bad gateway");
        e.attempts = 3;
        assert_eq!(
            e.to_string(),
            "HTTP 502 Bad Gateway: bad gateway — a server-side failure: try again later; gave up after 3 attempts"
        );
        let mut t = TransportError::new(TransportErrorKind::Io, "the connection was reset");
        t.not_retried = Some("the upload's reader was already read".into());
        t.request_id = Some("req_7".into());
        assert_eq!(
            t.to_string(),
            "connection failed while transferring: the connection was reset [last request id req_7]; not retried: the upload's reader was already read"
        );
    }

    #[test]
    fn retryable_statuses_follow_the_sdks() {
        let status = |s: u16| ApiError::new(s, "m").is_retryable();
        assert!(status(408) && status(409) && status(429) && status(500) && status(599));
        assert!(!status(400) && !status(401) && !status(404) && !status(422));
        let mut quota = ApiError::new(429, "m");
        quota.code = Some("insufficient_quota".into());
        quota.should_retry = Some(true);
        assert!(!quota.is_retryable(), "a spent quota is never retried");
        let mut told = ApiError::new(503, "m");
        told.should_retry = Some(false);
        assert!(!told.is_retryable());
        told.status = 400;
        told.should_retry = Some(true);
        assert!(told.is_retryable());
    }

    #[test]
    fn transport_error_includes_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline");
        let e = TransportError::io("reading the response", io);
        assert_eq!(e.kind, TransportErrorKind::Timeout);
        assert_eq!(e.to_string(), "timed out: reading the response: deadline");
    }
}
