//! [`RequestOptions`]: what a caller can tune per client and per call — retries, timeouts,
//! extra headers, query parameters and fields, a progress observer — and [`Polling`] for
//! waiting on processing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ValidationError;
use crate::extras::{self, Extras};
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
    strict_purposes: Option<bool>,
    reconcile: Option<bool>,
    extras: Extras,
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
    /// the client sets itself. The header that carries the key (`Authorization`, or the
    /// provider's own such as `api-key`) and the provider's fixed headers are refused when a
    /// request is built, before it is sent; `User-Agent` and `Accept` may be replaced.
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

    /// Adds a query parameter to every request (the listing's pages, uploads, downloads, the
    /// Uploads API), after the provider's own; the value is percent-encoded. A name the client
    /// sends itself on a request (the listing's `limit` or `after`, a provider's fixed
    /// `api-version`) is refused when that request is built, before it is sent.
    ///
    /// ```
    /// use files_core::RequestOptions;
    /// let options = RequestOptions::new().query("tenant", "a")?;
    /// assert_eq!(options.extra_query(), [("tenant".to_owned(), "a".to_owned())]);
    /// assert!(RequestOptions::new().query("tenant", "a\r\nb").is_err());
    /// # Ok::<(), files_core::ValidationError>(())
    /// ```
    pub fn query(mut self, name: &str, value: &str) -> Result<Self, ValidationError> {
        extras::check_name("query parameter", name)?;
        extras::check_value("query parameter", name, value)?;
        extras::set(&mut self.extras.query, name, value.to_owned());
        Ok(self)
    }

    /// Adds a text field to the upload form of `POST /files` (before the file part), e.g.
    /// LiteLLM's `target_model_names`. The form's own fields (`file`, `purpose`, a URL
    /// upload's `url`, `expires_after[…]`, as the provider names them) are refused when the
    /// upload is built, before it is sent.
    pub fn form_field(mut self, name: &str, value: &str) -> Result<Self, ValidationError> {
        extras::check_name("form field", name)?;
        extras::check_value("form field", name, value)?;
        extras::set(&mut self.extras.form, name, value.to_owned());
        Ok(self)
    }

    /// Adds a field to the JSON bodies of the Uploads API (its create and complete
    /// requests). The fields the client sends itself there (`filename`, `purpose`, `bytes`,
    /// `mime_type`, `expires_after`, `part_ids`, `md5`) are refused when the request is
    /// built, before it is sent.
    pub fn json_field(
        mut self,
        name: &str,
        value: impl Into<serde_json::Value>,
    ) -> Result<Self, ValidationError> {
        extras::check_name("JSON field", name)?;
        extras::set(&mut self.extras.json, name, value.into());
        Ok(self)
    }

    /// Whether an upload is checked against the provider's rules before it is sent (default
    /// `true`). Turn it off for an OpenAI-compatible server whose rules differ: the server
    /// then has the last word.
    pub fn validate(mut self, yes: bool) -> Self {
        self.validate = Some(yes);
        self
    }

    /// Whether a purpose the provider's rules do not know is refused before sending (`true`),
    /// or sent as given with an [`UnknownPurpose`](crate::WarningKind::UnknownPurpose)
    /// warning and no size or format check (`false`, the default, as the official SDKs send
    /// any purpose). A near miss of a known purpose (`Batch`, `fine_tune`, `batc`) is refused
    /// either way, naming the purpose meant; turn validation off to send it anyway.
    pub fn strict_purposes(mut self, yes: bool) -> Self {
        self.strict_purposes = Some(yes);
        self
    }

    /// Whether an upload whose attempt failed after its whole body was sent, with no answer
    /// read, first looks for the file that attempt may have stored — and returns it — before
    /// sending the upload again or giving up (default `true`). See `docs/reliability.md` for
    /// its rules and limits.
    pub fn reconcile(mut self, yes: bool) -> Self {
        self.reconcile = Some(yes);
        self
    }

    /// Reports progress and retries to `observer`.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// These options over `base`: each setting of `self` wins, the rest come from `base`;
    /// headers, query parameters and fields are merged, `self`'s replacing `base`'s of the
    /// same name.
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
            strict_purposes: self.strict_purposes.or(base.strict_purposes),
            reconcile: self.reconcile.or(base.reconcile),
            extras: self.extras.over(&base.extras),
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

    /// The extra query parameters, in the order set.
    pub fn extra_query(&self) -> &[(String, String)] {
        &self.extras.query
    }

    /// The extra fields of the upload form, in the order set.
    pub fn extra_form_fields(&self) -> &[(String, String)] {
        &self.extras.form
    }

    /// The extra fields of the Uploads API's JSON bodies, in the order set.
    pub fn extra_json_fields(&self) -> &[(String, serde_json::Value)] {
        &self.extras.json
    }

    /// Whether uploads are checked against the provider's rules (default `true`).
    pub fn validates(&self) -> bool {
        self.validate.unwrap_or(true)
    }

    /// Whether a lost upload is looked for before it is sent again (default `true`).
    pub fn reconciles(&self) -> bool {
        self.reconcile.unwrap_or(true)
    }

    /// Whether unknown purposes are refused (default `false`).
    pub fn strict_purposes_value(&self) -> bool {
        self.strict_purposes.unwrap_or(false)
    }

    /// The observer, if one is set.
    pub fn observer_value(&self) -> Option<&Arc<dyn Observer>> {
        self.observer.as_ref()
    }
}

impl fmt::Debug for RequestOptions {
    /// Values are not shown, only names: an extra header or parameter may carry a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        let names_of = |list: &[(String, String)]| -> Vec<String> {
            list.iter().map(|(n, _)| n.clone()).collect()
        };
        let json: Vec<&str> = self.extras.json.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("max_retries", &self.max_retries)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("header_names", &names)
            .field("query_names", &names_of(&self.extras.query))
            .field("form_field_names", &names_of(&self.extras.form))
            .field("json_field_names", &json)
            .field("observer", &self.observer.is_some())
            .field("validate", &self.validate)
            .field("strict_purposes", &self.strict_purposes)
            .field("reconcile", &self.reconcile)
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
        assert!(!merged.strict_purposes_value(), "open by default");
        assert!(merged.reconciles(), "on by default");
        let off = RequestOptions::new().reconcile(false);
        assert!(!RequestOptions::new().over(&off).reconciles());
        assert!(
            RequestOptions::new()
                .reconcile(true)
                .over(&off)
                .reconciles()
        );
        let strict = RequestOptions::new().strict_purposes(true);
        assert!(RequestOptions::new().over(&strict).strict_purposes_value());
        assert!(
            !RequestOptions::new()
                .strict_purposes(false)
                .over(&strict)
                .strict_purposes_value()
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
    fn extras_merge_by_name_and_show_no_values() {
        let client = RequestOptions::new()
            .query("tenant", "a")
            .unwrap()
            .form_field("target_model_names", "gpt-4o")
            .unwrap()
            .json_field("tag", "client")
            .unwrap();
        let call = RequestOptions::new()
            .query("tenant", "b")
            .unwrap()
            .json_field("n", 2)
            .unwrap();
        let merged = call.over(&client);
        assert_eq!(merged.extra_query(), [("tenant".into(), "b".into())]);
        assert_eq!(
            merged.extra_form_fields(),
            [("target_model_names".into(), "gpt-4o".into())]
        );
        assert_eq!(
            merged.extra_json_fields(),
            [
                ("tag".into(), serde_json::json!("client")),
                ("n".into(), serde_json::json!(2))
            ]
        );
        let text = format!("{merged:?}");
        assert!(
            text.contains("tenant") && text.contains("target_model_names"),
            "{text}"
        );
        assert!(
            !text.contains("gpt-4o") && !text.contains("client"),
            "{text}"
        );
    }

    #[test]
    fn extras_with_line_breaks_or_no_name_are_refused() {
        let err = RequestOptions::new().query("a", "1\r\n2").unwrap_err();
        assert_eq!(err.what, "query parameter value");
        let err = RequestOptions::new().form_field("a\nb", "1").unwrap_err();
        assert_eq!(err.what, "form field name");
        let err = RequestOptions::new().form_field("a", "x\r\ny").unwrap_err();
        assert_eq!(err.what, "form field value");
        let err = RequestOptions::new().json_field("", 1).unwrap_err();
        assert_eq!(err.what, "JSON field name");
    }

    #[test]
    fn the_response_head_waits_for_the_smaller_limit() {
        let t = Timeouts::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(t.response_head(), Some(Duration::from_secs(3)));
        assert_eq!(Timeouts::none().response_head(), None);
    }
}
