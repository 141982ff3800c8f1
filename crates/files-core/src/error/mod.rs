//! The one error type of the SDK, and the parts that make it up.
//!
//! Every failure says what went wrong and what a person can do about it: a validation error
//! names the rule, the limit and the value; an API error carries the provider's message, type,
//! param, code and request id (or the raw body text when a proxy answered instead of the API);
//! a transport error says whether connecting, waiting or moving bytes failed. No HTTP-client
//! type appears here, so transports can change without touching this API.

mod api;
mod decode;
mod local;
mod transport;
mod upload_failure;
mod validation;

pub use api::ApiError;
pub use decode::{DecodeError, ProcessingTimeout};
pub use local::{LocalFileError, LocalFileOp};
pub use transport::{TransportError, TransportErrorKind};
pub use upload_failure::{UploadAfterFailure, UploadFailure, UploadStep};
pub use validation::ValidationError;

use std::time::Duration;

use crate::error_kind::ApiErrorKind;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_error_keeps_its_cause_and_a_proxy_refusal_is_not_retried() {
        let cause = std::io::Error::other("reset by peer");
        let e = TransportError::with_source(TransportErrorKind::Io, "reading", cause);
        let source = std::error::Error::source(&e).expect("the cause is kept");
        assert_eq!(source.to_string(), "reset by peer");
        assert_eq!(e.message, "reading: reset by peer");
        let refused = TransportError::new(TransportErrorKind::Proxy, "407");
        assert!(!refused.is_retryable());
        assert_eq!(refused.to_string(), "the proxy refused the request: 407");
    }

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

    fn upload_failure(after: UploadAfterFailure, source: Error) -> Error {
        UploadFailure {
            upload_id: Some("upload_1".into()),
            step: UploadStep::Complete,
            after,
            source,
        }
        .into()
    }

    fn rate_limited() -> Error {
        ApiError {
            request_id: Some("req_429".into()),
            retry_after: Some(Duration::from_secs(3)),
            attempts: 2,
            ..ApiError::new(429, "slow down")
        }
        .into()
    }

    #[test]
    fn an_upload_failure_answers_for_its_source() {
        let failed = upload_failure(UploadAfterFailure::Cancelled, rate_limited());
        assert_eq!(failed.request_id(), Some("req_429"));
        assert!(failed.is_retryable());
        assert_eq!(failed.api_error_kind(), Some(ApiErrorKind::RateLimited));
        assert_eq!(failed.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(failed.attempts(), Some(2));
        let expired = upload_failure(UploadAfterFailure::Expired { at: 1 }, rate_limited());
        assert!(
            !expired.is_retryable(),
            "an expired Upload takes nothing more"
        );
        let refused = upload_failure(
            UploadAfterFailure::Cancelled,
            ValidationError::new("part", "1", "too large").into(),
        );
        assert!(!refused.is_retryable());
        assert_eq!(
            (
                refused.request_id(),
                refused.api_error_kind(),
                refused.attempts()
            ),
            (None, None, None)
        );
    }

    #[test]
    fn each_kind_answers_the_questions_it_can() {
        let decode: Error = DecodeError {
            expected: "a file object".into(),
            problem: "is not JSON".into(),
            snippet: "<html>".into(),
            status: 200,
            request_id: Some("req_d".into()),
        }
        .into();
        assert_eq!(decode.request_id(), Some("req_d"));
        assert_eq!(decode.api_error_kind(), None);
        let timeout: Error = TransportError::new(TransportErrorKind::Timeout, "no answer").into();
        assert_eq!(timeout.api_error_kind(), None);
        assert_eq!(timeout.retry_after(), None);
    }

    #[test]
    fn as_an_io_error_only_a_timeout_is_timed_out() {
        let timeout: Error = TransportError::new(TransportErrorKind::Timeout, "no answer").into();
        assert_eq!(
            std::io::Error::from(timeout).kind(),
            std::io::ErrorKind::TimedOut
        );
        let cut: Error = TransportError::new(TransportErrorKind::Io, "reset").into();
        assert_eq!(std::io::Error::from(cut).kind(), std::io::ErrorKind::Other);
        let io = std::io::Error::from(rate_limited());
        assert_eq!(io.kind(), std::io::ErrorKind::Other);
        assert!(io.to_string().starts_with("HTTP 429"), "{io}");
    }
}
