//! [`ApiError`]: what the server refused, and [`ApiErrorKind`]'s classification.

use std::fmt;
use std::time::Duration;

use super::transport::write_retry_facts;
use crate::error_kind::ApiErrorKind;

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
    /// The kind the provider's own error table gives this answer (Zhipu's 429 with code
    /// 1113 is a spent balance), ahead of the global classification.
    pub provider_kind: Option<ApiErrorKind>,
    /// Whether the provider's error table says such an answer is retried, when it differs
    /// from the status's rule.
    pub provider_retry: Option<bool>,
    /// For a 404 to an API's own endpoint (listing or uploading at `/files`, creating at
    /// `/uploads`) rather than to a file: which API (`Files API`, `Uploads API`) the server
    /// may not implement at all.
    pub missing_api: Option<String>,
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
            provider_kind: None,
            provider_retry: None,
            missing_api: None,
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
        if let Some(kind) = self.provider_kind {
            return kind;
        }
        ApiErrorKind::classify(
            self.status,
            self.error_type.as_deref(),
            self.code.as_deref(),
        )
    }

    /// Whether the official SDKs would retry this answer: `x-should-retry` when the server
    /// sent it, else the provider's error table when it decides, else the statuses 408,
    /// 409, 429 and 5xx; never a 429 for a spent quota or balance.
    pub fn is_retryable(&self) -> bool {
        let spent = matches!(
            self.provider_kind,
            Some(ApiErrorKind::InsufficientQuota | ApiErrorKind::InsufficientBalance)
        );
        if self.status == 429 && (self.is_quota_exhausted() || spent) {
            return false;
        }
        match self.should_retry.or(self.provider_retry) {
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
        match (&self.missing_api, self.kind().hint()) {
            (Some(api), _) if self.status == 404 => write!(
                f,
                " — the endpoint itself was not found, not a file: the server may not \
                 implement the {api} (vLLM and Ollama, for instance, have none), or the base \
                 URL is wrong (it usually ends in /v1)"
            )?,
            (_, Some(hint)) => write!(f, " — {hint}")?,
            (_, None) => {}
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        write_retry_facts(f, self.attempts, self.not_retried.as_deref())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_404_says_the_endpoint_may_be_missing() {
        let mut error = ApiError::new(404, "Not Found");
        error.missing_api = Some("Files API".into());
        assert!(
            error
                .to_string()
                .contains("may not implement the Files API"),
            "{error}"
        );
        error.status = 405;
        let shown = error.to_string();
        assert!(!shown.contains("may not implement"), "{shown}");
    }

    #[test]
    fn statuses_no_table_names_fall_into_their_class() {
        assert_eq!(
            ApiErrorKind::classify(399, None, None),
            ApiErrorKind::Redirect
        );
        assert_eq!(
            ApiErrorKind::classify(418, None, None),
            ApiErrorKind::BadRequest
        );
        assert_eq!(
            ApiErrorKind::classify(599, None, None),
            ApiErrorKind::ServerError
        );
        assert_eq!(ApiErrorKind::classify(99, None, None), ApiErrorKind::Other);
    }

    #[test]
    fn each_status_the_table_names_has_its_kind() {
        use ApiErrorKind::*;
        for (status, kind) in [
            (400, BadRequest),
            (401, Authentication),
            (402, InsufficientBalance),
            (403, Permission),
            (404, NotFound),
            (407, ProxyAuthentication),
            (408, Timeout),
            (409, Conflict),
            (413, PayloadTooLarge),
            (422, Unprocessable),
            (429, RateLimited),
            (451, ContentModeration),
            (500, ServerError),
            (503, Overloaded),
            (302, Redirect),
        ] {
            assert_eq!(ApiErrorKind::classify(status, None, None), kind, "{status}");
        }
        assert_eq!(
            ApiErrorKind::classify(429, None, Some("insufficient_quota")),
            InsufficientQuota
        );
        assert_eq!(
            ApiErrorKind::classify(429, Some("insufficient_quota"), None),
            InsufficientQuota
        );
        assert_eq!(ProxyAuthentication.name(), "proxy_authentication");
        assert!(
            ProxyAuthentication
                .hint()
                .unwrap()
                .contains("USER:PASSWORD")
        );
    }

    #[test]
    fn a_kind_shows_its_name() {
        let kind = ApiErrorKind::classify(404, None, None);
        assert_eq!(kind.to_string(), kind.name());
        assert!(!kind.to_string().is_empty());
    }
}
