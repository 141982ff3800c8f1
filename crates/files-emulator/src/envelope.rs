//! API errors and the JSON error envelope each dialect wraps them in.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use crate::dialect::Dialect;

/// An error answered with the provider's JSON error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) param: Option<&'static str>,
    pub(crate) code: Option<&'static str>,
}

impl ApiError {
    /// A `400 invalid_request_error` about `param`.
    pub(crate) fn bad_request(param: Option<&'static str>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param,
            code: None,
        }
    }

    /// A `401` for a missing or wrong API key.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
            kind: "invalid_request_error",
            param: None,
            code: Some("invalid_api_key"),
        }
    }

    /// A `404` for a file id that does not exist.
    pub(crate) fn no_such_file(id: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("No such File object: {id}"),
            kind: "invalid_request_error",
            param: Some("id"),
            code: None,
        }
    }

    /// A `404` for a path or method with no route.
    pub(crate) fn invalid_url(method: &str, path: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("Invalid URL ({method} {path})"),
            kind: "invalid_request_error",
            param: None,
            code: None,
        }
    }

    /// A `413` for a file over the configured limit.
    pub(crate) fn too_large(limit: u64) -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("File is too large: the maximum upload size is {limit} bytes."),
            kind: "invalid_request_error",
            param: Some("file"),
            code: None,
        }
    }

    /// A `500` for a failure inside the emulator (such as a storage I/O error).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            kind: "server_error",
            param: None,
            code: None,
        }
    }

    /// The envelope body for `dialect`.
    pub(crate) fn body(&self, dialect: &Dialect) -> Envelope<'_> {
        let error = if dialect.short_errors() {
            ErrorDetail::StepFun {
                message: &self.message,
                kind: self.kind,
            }
        } else {
            ErrorDetail::OpenAi {
                message: &self.message,
                kind: self.kind,
                param: self.param,
                code: self.code,
            }
        };
        Envelope { error }
    }

    /// The complete response for `dialect`.
    pub(crate) fn into_response_for(self, dialect: &Dialect) -> Response {
        (self.status, Json(self.body(dialect))).into_response()
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<'a> {
    error: ErrorDetail<'a>,
}

/// The inside of an error envelope.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ErrorDetail<'a> {
    /// OpenAI always sends all four fields (`param` and `code` may be null).
    OpenAi {
        message: &'a str,
        #[serde(rename = "type")]
        kind: &'static str,
        param: Option<&'static str>,
        code: Option<&'static str>,
    },
    /// StepFun sends only `message` and `type`.
    StepFun {
        message: &'a str,
        #[serde(rename = "type")]
        kind: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_differ_by_dialect() {
        let err = ApiError::no_such_file("file-x");
        let to_json = |d: Dialect| serde_json::to_value(err.body(&d)).unwrap_or_default();
        let openai = to_json(Dialect::openai());
        assert_eq!(openai["error"]["param"], "id");
        assert!(openai["error"]["code"].is_null());
        let stepfun = to_json(Dialect::stepfun());
        assert_eq!(stepfun["error"]["message"], "No such File object: file-x");
        assert!(stepfun["error"].get("param").is_none());
        assert!(stepfun["error"].get("code").is_none());
    }
}
