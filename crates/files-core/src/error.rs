//! The one error type of the SDK, and the parts that make it up.
//!
//! Every failure says what went wrong and what a person can do about it: a validation error
//! names the rule, the limit and the value; an API error carries the provider's message, type,
//! param, code and request id (or the raw body text when a proxy answered instead of the API);
//! a transport error says whether connecting, waiting or moving bytes failed. No HTTP-client
//! type appears here, so transports can change without touching this API.

use std::fmt;
use std::path::PathBuf;

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
    /// A local file could not be read or written.
    #[error(transparent)]
    LocalFile(#[from] LocalFileError),
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

impl Error {
    /// The HTTP status when the server answered with an error, else `None`.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The server's request id (`x-request-id`), when the server answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
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
}

impl ValidationError {
    /// A validation error for `what`, whose `value` breaks `rule`.
    pub fn new(what: impl Into<String>, value: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            what: what.into(),
            rule: rule.into(),
            value: value.into(),
            limit: None,
        }
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
    /// The provider's `error.type`, e.g. `invalid_request_error`.
    pub kind: Option<String>,
    /// The provider's `error.param`: which request parameter was wrong.
    pub param: Option<String>,
    /// The provider's `error.code`, e.g. `invalid_api_key`.
    pub code: Option<String>,
    /// The `x-request-id` response header, to quote to the provider's support.
    pub request_id: Option<String>,
    /// The raw body text (truncated) when it was not the JSON error envelope, e.g. a proxy's
    /// HTML page.
    pub raw_body: Option<String>,
    /// The server's `Retry-After` wait in milliseconds, when it sent one as a number.
    pub retry_after_ms: Option<u64>,
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
        if let Some(kind) = &self.kind {
            tags.push(kind.clone());
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
        if let Some(hint) = status_hint(self.status) {
            write!(f, " — {hint}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// What a person can usually do about a status, when the message may not say.
fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("check the API key: set, complete, and issued for this provider and base URL"),
        402 => Some("the account's balance is insufficient"),
        403 => Some("the key is not allowed to do this (organization, project or region)"),
        413 => Some("the file is larger than the server accepts"),
        429 => Some("rate limited: wait and try again"),
        451 => Some("the content was refused by moderation"),
        500..=599 => Some("a server-side failure: try again later"),
        _ => None,
    }
}

/// How carrying a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, refused, TLS handshake).
    Connect,
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
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "connection failed while transferring",
            TransportErrorKind::Unsupported => "not supported by this transport",
            TransportErrorKind::Other => "HTTP client error",
        })
    }
}

/// A request that could not be carried to the server or back.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// Which stage failed.
    pub kind: TransportErrorKind,
    /// What happened, in words.
    pub message: String,
    /// The underlying error from the HTTP client or the OS.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind` with a message and no source.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
        }
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
            kind,
            message,
            source: Some(source),
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

/// A local file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} {}: {source}", .path.display())]
#[non_exhaustive]
pub struct LocalFileError {
    /// What was being done.
    pub op: LocalFileOp,
    /// The file concerned.
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
            status: 404,
            message: "No such File object: file-x".into(),
            kind: Some("invalid_request_error".into()),
            param: Some("id".into()),
            code: None,
            request_id: Some("req_1".into()),
            raw_body: None,
            retry_after_ms: None,
        };
        assert_eq!(
            e.to_string(),
            "HTTP 404 Not Found (invalid_request_error, param id): No such File object: file-x [request id req_1]"
        );
    }

    #[test]
    fn validation_error_reads_as_a_sentence() {
        let e = ValidationError::new("limit", "0", "must be between 1 and 10000");
        assert_eq!(e.to_string(), "limit 0: must be between 1 and 10000");
    }

    #[test]
    fn transport_error_includes_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline");
        let e = TransportError::io("reading the response", io);
        assert_eq!(e.kind, TransportErrorKind::Timeout);
        assert_eq!(e.to_string(), "timed out: reading the response: deadline");
    }
}
