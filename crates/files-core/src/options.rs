//! [`RequestOptions`]: what a caller can tune per client and per call — retries, timeouts,
//! extra headers, a progress observer — and [`Polling`] for waiting on processing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ValidationError;
use crate::observer::Observer;

/// How many times a failed request is retried by default, as the official SDKs do.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// How long to wait for the response to begin once a request is sent, by default (the
/// official SDKs' figure).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// The longest silence allowed while bytes are expected to move, by default (the official
/// SDKs' read and write timeout).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// Headers that frame a request's body: the client's own.
const FRAMING_HEADERS: [HeaderName; 4] = [
    http::header::CONTENT_LENGTH,
    http::header::CONTENT_TYPE,
    http::header::TRANSFER_ENCODING,
    http::header::HOST,
];

/// The time limits a transport applies to one attempt. `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Once the request (and its body) has been sent, the longest wait for the response
    /// head.
    pub request: Option<Duration>,
    /// The longest silence while bytes are expected to move: between bytes of the request
    /// body being sent (the server has stopped reading), and while waiting for the response
    /// head or between bytes of its body (the server has stopped writing). It is what ends a
    /// stalled transfer of any length, and it also bounds the wait for the response head.
    pub idle: Option<Duration>,
}

impl Timeouts {
    /// Limits on both.
    pub const fn new(request: Duration, idle: Duration) -> Self {
        Timeouts {
            request: Some(request),
            idle: Some(idle),
        }
    }

    /// No limits at all.
    pub const fn none() -> Self {
        Timeouts {
            request: None,
            idle: None,
        }
    }

    /// The longest wait for the response head: the smaller of the two limits.
    pub fn response_head(&self) -> Option<Duration> {
        match (self.request, self.idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::new(DEFAULT_REQUEST_TIMEOUT, DEFAULT_IDLE_TIMEOUT)
    }
}

/// Options for requests, set on a client and overridable per call: what is set on the call
/// wins, anything else comes from the client, and anything unset there is the default.
///
/// ```
/// use std::time::Duration;
/// use files_core::RequestOptions;
///
/// let client_wide = RequestOptions::new().max_retries(4);
/// let this_call = RequestOptions::new()
///     .idle_timeout(Duration::from_secs(30))
///     .header("x-trace", "batch-7")?;
/// let effective = this_call.over(&client_wide);
/// assert_eq!(effective.max_retries_value(), 4);
/// assert_eq!(effective.timeouts().idle, Some(Duration::from_secs(30)));
/// # Ok::<(), files_core::ValidationError>(())
/// ```
#[derive(Clone, Default)]
pub struct RequestOptions {
    max_retries: Option<u32>,
    request_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    headers: HeaderMap,
    observer: Option<Arc<dyn Observer>>,
    validate: Option<bool>,
}

impl RequestOptions {
    /// Nothing set: the defaults, or the client's options.
    pub fn new() -> Self {
        RequestOptions::default()
    }

    /// How many times a failed request is retried (default 2; 0 turns retries off).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The longest wait for the response head once a request is sent (default 600 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The longest silence while bytes are expected to move (default 600 s); see
    /// [`Timeouts::idle`].
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Adds a header to every request. A name or value that cannot be an HTTP header — a
    /// value with a line break, say — is refused, never altered, and so are the headers that
    /// frame the body (`Content-Length`, `Content-Type`, `Transfer-Encoding`, `Host`), which
    /// the client sets itself.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, ValidationError> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ValidationError::new(
                "header name",
                format!("{name:?}"),
                "is not a valid HTTP header name",
            )
        })?;
        if FRAMING_HEADERS.contains(&name) {
            return Err(ValidationError::new(
                "header name",
                name.as_str(),
                "is set by the client to frame the body; it cannot be overridden",
            ));
        }
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            // The value is not shown: it may be a credential.
            ValidationError::new(
                "header value",
                format!("of {name} (not shown)"),
                "must be visible ASCII without line breaks",
            )
        })?;
        // Marked sensitive, so no HTTP client's debug output shows it.
        value.set_sensitive(true);
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Whether an upload is checked against the provider's rules before it is sent (default
    /// `true`). Turn it off for an OpenAI-compatible server whose rules differ: the server
    /// then has the last word.
    pub fn validate(mut self, yes: bool) -> Self {
        self.validate = Some(yes);
        self
    }

    /// Reports progress and retries to `observer`.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// These options over `base`: each setting of `self` wins, the rest come from `base`;
    /// headers are merged, `self`'s replacing `base`'s of the same name.
    pub fn over(&self, base: &RequestOptions) -> RequestOptions {
        let mut headers = base.headers.clone();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        RequestOptions {
            max_retries: self.max_retries.or(base.max_retries),
            request_timeout: self.request_timeout.or(base.request_timeout),
            idle_timeout: self.idle_timeout.or(base.idle_timeout),
            headers,
            observer: self.observer.clone().or_else(|| base.observer.clone()),
            validate: self.validate.or(base.validate),
        }
    }

    /// The retry budget in effect.
    pub fn max_retries_value(&self) -> u32 {
        self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)
    }

    /// The time limits in effect.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            request: Some(self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT)),
            idle: Some(self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT)),
        }
    }

    /// The extra headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether uploads are checked against the provider's rules (default `true`).
    pub fn validates(&self) -> bool {
        self.validate.unwrap_or(true)
    }

    /// The observer, if one is set.
    pub fn observer_value(&self) -> Option<&Arc<dyn Observer>> {
        self.observer.as_ref()
    }
}

impl fmt::Debug for RequestOptions {
    /// Header values are not shown: an extra header may carry a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("RequestOptions")
            .field("max_retries", &self.max_retries)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("header_names", &names)
            .field("observer", &self.observer.is_some())
            .field("validate", &self.validate)
            .finish()
    }
}

/// How `wait_for_processing` polls: every `interval`, for at most `max_wait` (the official
/// SDK's 5 s and 30 minutes by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Polling {
    /// The pause between two checks.
    pub interval: Duration,
    /// How long to keep checking before giving up.
    pub max_wait: Duration,
}

impl Polling {
    /// Every 5 s for at most 30 minutes.
    pub const fn new() -> Self {
        Polling {
            interval: Duration::from_secs(5),
            max_wait: Duration::from_secs(30 * 60),
        }
    }

    /// Checks every `interval`.
    pub const fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Gives up after `max_wait`.
    pub const fn up_to(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

impl Default for Polling {
    fn default() -> Self {
        Polling::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_options_win_and_headers_merge() {
        let client = RequestOptions::new()
            .max_retries(5)
            .header("x-a", "client")
            .unwrap()
            .header("x-b", "client")
            .unwrap();
        let call = RequestOptions::new()
            .timeout(Duration::from_secs(1))
            .header("x-b", "call")
            .unwrap();
        let merged = call.over(&client);
        assert_eq!(merged.max_retries_value(), 5);
        assert_eq!(merged.timeouts().request, Some(Duration::from_secs(1)));
        assert_eq!(merged.timeouts().idle, Some(DEFAULT_IDLE_TIMEOUT));
        assert_eq!(merged.headers()["x-a"], "client");
        assert_eq!(merged.headers()["x-b"], "call");
        assert_eq!(RequestOptions::new().max_retries_value(), 2);
        assert!(merged.validates());
        let off = RequestOptions::new().validate(false);
        assert!(
            !RequestOptions::new().over(&off).validates(),
            "the client's switch"
        );
        assert!(
            RequestOptions::new().validate(true).over(&off).validates(),
            "the call wins"
        );
    }

    #[test]
    fn a_header_with_a_line_break_is_refused_not_altered() {
        let err = RequestOptions::new()
            .header("x-a", "bad\r\nX-Injected: yes")
            .unwrap_err();
        assert_eq!(err.what, "header value");
        assert!(err.to_string().contains("without line breaks"), "{err}");
        assert!(
            !err.to_string().contains("bad"),
            "the value is never shown: {err}"
        );
        assert!(RequestOptions::new().header("bad name", "v").is_err());
        let err = RequestOptions::new()
            .header("Content-Length", "5")
            .unwrap_err();
        assert!(err.to_string().contains("cannot be overridden"), "{err}");
    }

    #[test]
    fn debug_shows_no_header_values() {
        let options = RequestOptions::new()
            .header("api-key", "sk-secret")
            .unwrap();
        let text = format!("{options:?}");
        assert!(
            text.contains("api-key") && !text.contains("sk-secret"),
            "{text}"
        );
    }

    #[test]
    fn the_response_head_waits_for_the_smaller_limit() {
        let t = Timeouts::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(t.response_head(), Some(Duration::from_secs(3)));
        assert_eq!(Timeouts::none().response_head(), None);
    }
}
