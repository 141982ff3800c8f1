//! Pure decoders: a response's status, headers and body bytes in, a typed object or an
//! [`ApiError`] / [`DecodeError`] out.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use http::response::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::dialect::{Dialect, ErrorRule};
use crate::error::{ApiError, DecodeError, Error};

/// The most bytes read from a JSON success response (a listing of 10,000 files fits easily).
pub const MAX_JSON_BODY: usize = 32 * 1024 * 1024;

/// The most bytes of an error response kept for the error.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// How much of an unexpected body an error quotes.
const SNIPPET_CHARS: usize = 300;

/// The response headers servers commonly put a request id in, tried in this order after a
/// dialect's own ([`Dialect::request_id_headers`]).
pub const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "apim-request-id",
    "x-ms-request-id",
];

/// The request id, if the server sent one under a name of [`REQUEST_ID_HEADERS`].
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::to_owned)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait the server asked for before a retry: `retry-after-ms` (milliseconds), else
/// `retry-after` as (possibly fractional) seconds, else `retry-after` as an HTTP date, counted
/// from `now` (a date in the past is a wait of zero). `None` when the server said nothing
/// usable.
pub fn requested_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let seconds = |v: f64| (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v.min(1e9)));
    if let Some(ms) = header_text(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    let text = header_text(headers, "retry-after")?;
    if let Ok(secs) = text.parse::<f64>() {
        return seconds(secs);
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The server's `x-should-retry: true|false`, which overrides the status rule.
pub fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match header_text(headers, "x-should-retry")? {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeError,
}

#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    param: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

/// A JSON value as display text: strings as they are, numbers as written, null as absent.
fn value_text(value: Option<serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// An error body in a shape other than the provider envelope, as compatible servers send:
/// FastAPI's `{"detail": "..."}` or `{"detail": [{"loc": [...], "msg": "..."}]}`,
/// `{"error": "a string"}`, `{"message": "..."}`.
#[derive(Deserialize)]
struct ForeignError {
    #[serde(default)]
    detail: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<serde_json::Value>,
}

impl ForeignError {
    /// The message and the parameter it names, if the body has one in a known place.
    fn read(self) -> Option<(String, Option<String>)> {
        if let Some(detail) = self.detail {
            return match detail {
                serde_json::Value::String(text) => Some((text, None)),
                serde_json::Value::Array(items) => {
                    let mut param = None;
                    let lines: Vec<String> = items
                        .iter()
                        .map(|item| {
                            let msg = item.get("msg").and_then(|m| m.as_str()).unwrap_or("");
                            let loc: Vec<String> = item
                                .get("loc")
                                .and_then(|l| l.as_array())
                                .into_iter()
                                .flatten()
                                .filter_map(|p| value_text(Some(p.clone())))
                                .collect();
                            if param.is_none() {
                                param = loc.last().cloned();
                            }
                            match (loc.is_empty(), msg.is_empty(), item.as_str()) {
                                (false, false, _) => format!("{}: {msg}", loc.join(".")),
                                (true, false, _) => msg.to_owned(),
                                (_, _, Some(text)) => text.to_owned(),
                                _ => item.to_string(),
                            }
                        })
                        .collect();
                    (!lines.is_empty()).then(|| (lines.join("; "), param))
                }
                serde_json::Value::Null => None,
                other => Some((other.to_string(), None)),
            };
        }
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(text) => Some(text),
            _ => None,
        };
        self.error
            .and_then(text)
            .or_else(|| self.message.and_then(text))
            .map(|m| (m, None))
    }
}

/// The error for a non-success response received at `now`. A JSON error envelope gives the
/// provider's message, type, param and code (a `code` may be a string, a number or null); the
/// shapes compatible servers use (FastAPI's `detail`, `{"error": "text"}`, `{"message":
/// "text"}`) give their message, with the body kept as `raw_body`; any other body (a proxy's
/// HTML page, plain text, nothing) is summarised into a readable message and kept as
/// `raw_body`. The retry headers are read too.
///
/// The dialect's error table sorts it ahead of the global one ([`ApiError::kind`]), and its
/// request-id headers are read first.
pub fn api_error(dialect: &Dialect, parts: &Parts, body: &[u8], now: SystemTime) -> ApiError {
    let mut error = read_api_error(dialect, parts, body, now);
    if let Some(rule) = ErrorRule::find(
        &dialect.errors,
        error.status,
        error.error_type.as_deref(),
        error.code.as_deref(),
    ) {
        error.provider_kind = Some(rule.kind);
        error.provider_retry = rule.retry;
    }
    error
}

fn read_api_error(dialect: &Dialect, parts: &Parts, body: &[u8], now: SystemTime) -> ApiError {
    let status = parts.status.as_u16();
    let base = ApiError {
        request_id: dialect.request_id(&parts.headers),
        retry_after: requested_wait(&parts.headers, now),
        should_retry: should_retry(&parts.headers),
        ..ApiError::new(status, String::new())
    };
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(body) {
        let e = envelope.error;
        return ApiError {
            message: e
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "(the server gave no message)".to_owned()),
            error_type: value_text(e.kind),
            param: value_text(e.param),
            code: value_text(e.code),
            ..base
        };
    }
    let text = String::from_utf8_lossy(body);
    if parts.status.is_redirection()
        && let Some(location) = header_text(&parts.headers, "location")
    {
        return ApiError {
            message: format!(
                "the server redirected the request to {}; the client does not follow \
                 redirects, which would carry the API key to another address (if you trust \
                 it, use that address in the base URL)",
                truncate_chars(location, SNIPPET_CHARS)
            ),
            raw_body: (!text.is_empty()).then(|| truncate_chars(&text, 4096)),
            ..base
        };
    }
    if let Ok(foreign) = serde_json::from_slice::<ForeignError>(body)
        && let Some((message, param)) = foreign.read()
        && !message.trim().is_empty()
    {
        return ApiError {
            message: truncate_chars(&message, SNIPPET_CHARS),
            param,
            raw_body: Some(truncate_chars(&text, 4096)),
            ..base
        };
    }
    let summary = summarize(&text);
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type");
    let message = if summary.is_empty() {
        format!("the server answered with an empty body ({content_type}) instead of an API error")
    } else {
        format!("the server answered with a non-API body ({content_type}): {summary}")
    };
    ApiError {
        message,
        raw_body: (!text.is_empty()).then(|| truncate_chars(&text, 4096)),
        ..base
    }
}

/// The start of a body an error quotes: a few hundred characters, as text.
pub fn snippet(body: &[u8]) -> String {
    truncate_chars(&String::from_utf8_lossy(body), SNIPPET_CHARS)
}

/// Decodes a success response's JSON body as `T`. `expected` names `T` for the error message
/// (`a file object`).
pub fn decode_json<T: DeserializeOwned>(
    parts: &Parts,
    body: &[u8],
    expected: &str,
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| invalid_json(parts, body, expected, &e))
}

/// The error for a success body that is not `expected`: what serde said, and the body's start.
pub(crate) fn invalid_json(
    parts: &Parts,
    body: &[u8],
    expected: &str,
    error: &serde_json::Error,
) -> Error {
    DecodeError {
        expected: expected.to_owned(),
        problem: format!("is not valid: {error}"),
        snippet: snippet(body),
        status: parts.status.as_u16(),
        request_id: request_id(&parts.headers),
    }
    .into()
}

/// Decodes a success body read up to one byte more than [`MAX_JSON_BODY`]: an oversized body
/// is a [`DecodeError`], anything else goes to [`decode_json`].
pub fn finish_json<T: DeserializeOwned>(
    parts: &Parts,
    body: &[u8],
    expected: &str,
) -> Result<T, Error> {
    if body.len() > MAX_JSON_BODY {
        return Err(body_too_large(parts, expected));
    }
    decode_json(parts, body, expected)
}

/// The error for a JSON body larger than [`MAX_JSON_BODY`].
pub fn body_too_large(parts: &Parts, expected: &str) -> Error {
    DecodeError {
        expected: expected.to_owned(),
        problem: format!("is larger than {MAX_JSON_BODY} bytes"),
        snippet: String::new(),
        status: parts.status.as_u16(),
        request_id: request_id(&parts.headers),
    }
    .into()
}

/// A readable one-line summary of a non-JSON body: an HTML page's `<title>` (or its text
/// without tags), white space collapsed, at most a few hundred characters.
pub fn summarize(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let from_title = lower.find("<title>").and_then(|start| {
        let start = start + "<title>".len();
        let end = lower[start..].find("</title>")? + start;
        Some(text[start..end].to_owned())
    });
    let plain = from_title.unwrap_or_else(|| strip_tags(text));
    let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&collapsed, SNIPPET_CHARS)
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileObject;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::time::UNIX_EPOCH;

    /// 2015-10-21 07:28:00 UTC, the instant the tests pretend it is.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_445_412_480)
    }

    fn parts(status: u16, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn openai_envelope_gives_every_field() {
        let p = parts(404, &[("x-request-id", "req_9")]);
        let e = api_error(&Dialect::openai(),
            &p,
            br#"{"error":{"message":"No such File object: file-x","type":"invalid_request_error","param":"id","code":null}}"#,
            now(),
        );
        assert_eq!(e.status, 404);
        assert_eq!(e.message, "No such File object: file-x");
        assert_eq!(e.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(e.param.as_deref(), Some("id"));
        assert_eq!(e.code, None);
        assert_eq!(e.request_id.as_deref(), Some("req_9"));
        assert_eq!(e.raw_body, None);
    }

    #[test]
    fn stepfun_envelope_without_param_or_code() {
        let e = api_error(
            &Dialect::openai(),
            &parts(402, &[]),
            br#"{"error":{"message":"insufficient balance","type":"billing"}}"#,
            now(),
        );
        assert_eq!(e.message, "insufficient balance");
        assert_eq!(e.param, None);
        assert!(e.to_string().contains("balance is insufficient"));
    }

    #[test]
    fn proxy_html_gives_a_readable_error() {
        let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        let e = api_error(
            &Dialect::openai(),
            &parts(502, &[("content-type", "text/html")]),
            html.as_bytes(),
            now(),
        );
        assert_eq!(
            e.message,
            "the server answered with a non-API body (text/html): 502 Bad Gateway"
        );
        assert_eq!(e.raw_body.as_deref(), Some(html));
        assert!(
            e.to_string()
                .starts_with("HTTP 502 Bad Gateway: the server answered")
        );
    }

    #[test]
    fn the_error_shapes_of_compatible_servers_give_their_message() {
        let read =
            |body: &str| api_error(&Dialect::openai(), &parts(400, &[]), body.as_bytes(), now());
        // LiteLLM's string code, a number, null.
        let e = read(r#"{"error":{"message":"bad model","type":null,"code":"400"}}"#);
        assert_eq!(
            (e.message.as_str(), e.code.as_deref()),
            ("bad model", Some("400"))
        );
        assert_eq!(
            read(r#"{"error":{"message":"m","code":429}}"#)
                .code
                .as_deref(),
            Some("429")
        );
        // llama-stack's envelope with no type or code.
        let e = read(r#"{"error":{"message":"File not found"}}"#);
        assert_eq!(
            (e.message.as_str(), e.error_type, e.code),
            ("File not found", None, None)
        );
        // FastAPI.
        let e = read(r#"{"detail":"File file-x not found"}"#);
        assert_eq!(e.message, "File file-x not found");
        assert!(e.raw_body.is_some());
        let e = read(
            r#"{"detail":[{"loc":["body","purpose"],"msg":"field required","type":"missing"},
                          {"loc":["body",0],"msg":"bad"}]}"#,
        );
        assert_eq!(e.message, "body.purpose: field required; body.0: bad");
        assert_eq!(read(r#"{"detail":["one","two"]}"#).message, "one; two");
        assert_eq!(e.param.as_deref(), Some("purpose"));
        // A bare string, top-level message.
        assert_eq!(read(r#"{"error":"rate limited"}"#).message, "rate limited");
        assert_eq!(
            read(r#"{"message":"Internal error"}"#).message,
            "Internal error"
        );
        // LocalAI's plain text, and nothing at all.
        let e = api_error(
            &Dialect::openai(),
            &parts(500, &[("content-type", "text/plain")]),
            b"failed to find file",
            now(),
        );
        assert_eq!(
            e.message,
            "the server answered with a non-API body (text/plain): failed to find file"
        );
        let e = api_error(&Dialect::openai(), &parts(503, &[]), b"", now());
        assert!(e.message.contains("empty body"), "{}", e.message);
        // JSON of no known shape is summarised, not lost.
        let e = read(r#"{"status":"bad"}"#);
        assert!(e.message.contains(r#"{"status":"bad"}"#), "{}", e.message);
    }

    #[test]
    fn retry_after_headers() {
        let wait = |headers: &[(&str, &str)]| requested_wait(&parts(429, headers).headers, now());
        assert_eq!(
            wait(&[("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            wait(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250)),
            "retry-after-ms wins"
        );
        assert_eq!(
            wait(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            wait(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]),
            Some(Duration::from_secs(30)),
            "an HTTP date counts from now"
        );
        assert_eq!(
            wait(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]),
            Some(Duration::ZERO),
            "a date in the past is no wait"
        );
        assert_eq!(wait(&[("retry-after", "soon")]), None);
        assert_eq!(wait(&[("retry-after-ms", "-5")]), None);
        assert_eq!(wait(&[]), None);
        let e = api_error(
            &Dialect::openai(),
            &parts(429, &[("retry-after", "2"), ("x-should-retry", "false")]),
            b"",
            now(),
        );
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
        assert_eq!(e.should_retry, Some(false));
    }

    #[test]
    fn malformed_success_body_is_a_decode_error_with_a_snippet() {
        let err = decode_json::<FileObject>(
            &parts(200, &[("x-request-id", "r")]),
            b"{\"id\": 5}",
            "a file object",
        )
        .unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(d.snippet, "{\"id\": 5}");
        assert!(
            err.to_string()
                .starts_with("expected a file object (HTTP 200), but the body is not valid"),
            "{err}"
        );
    }

    /// What an error envelope gives: the message, type, param and code.
    type ErrorFields = (String, Option<String>, Option<String>, Option<String>);

    /// An error body as a provider or a compatible server sends it: the envelope
    /// `{"error": {"message", "type", "param", "code"}}` with each field drawn (left out,
    /// `null`, a string, or of another type), or `{"error": "text"}`; and the fields it must
    /// give — `None` for a body the envelope does not fit, whose message must then come
    /// from its text.
    fn error_body() -> impl Strategy<Value = (Value, Option<ErrorFields>)> {
        use crate::file_objects::tests::{Drawn, any_json, not_a_string, unknown_fields};
        let message = prop_oneof![
            1 => Just(Drawn::Missing),
            1 => Just(Drawn::Sent(Value::Null, Some(None))),
            4 => "\\PC{0,20}".prop_map(|s| Drawn::Sent(Value::String(s.clone()), Some(Some(s)))),
            1 => not_a_string()
                .prop_filter("not null", |v| !v.is_null())
                .prop_map(|v| Drawn::Sent(v, None)),
        ];
        // A type, param or code may be anything: a string as it is, null as none, anything
        // else as its JSON text.
        let tag = || {
            prop_oneof![
                1 => Just(Drawn::Missing),
                3 => any_json().prop_map(|v| {
                    let text = match &v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    };
                    Drawn::Sent(v, Some(text))
                }),
            ]
        };
        let envelope = (message, tag(), tag(), tag(), unknown_fields()).prop_map(
            |(message, kind, param, code, extra)| {
                let mut error = extra;
                message.put(&mut error, "message");
                kind.put(&mut error, "type");
                param.put(&mut error, "param");
                code.put(&mut error, "code");
                let fields = message.optional().map(|m| {
                    let m = m
                        .filter(|m| !m.trim().is_empty())
                        .unwrap_or_else(|| "(the server gave no message)".to_owned());
                    let tag = |t: &Drawn<Option<String>>| t.optional().flatten();
                    (m, tag(&kind), tag(&param), tag(&code))
                });
                (serde_json::json!({ "error": error }), fields)
            },
        );
        prop_oneof![
            4 => envelope,
            1 => "\\PC{0,20}".prop_map(|s| (serde_json::json!({ "error": s }), None)),
        ]
    }

    proptest! {
        /// An error body of any drawn shape gives the provider's message, type, param and
        /// code, with no raw body; one the envelope does not fit gives a message from its
        /// text and keeps the body; cut anywhere, it is a non-API body, summarised.
        #[test]
        fn a_drawn_error_body_gives_what_was_put_in(
            status in 400u16..600,
            (json, expected) in error_body(),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = serde_json::to_vec(&json).unwrap_or_default();
            let text = String::from_utf8_lossy(&body).into_owned();
            let e = api_error(&Dialect::openai(), &parts(status, &[]), &body, now());
            prop_assert_eq!(e.status, status);
            match expected {
                Some((message, kind, param, code)) => {
                    prop_assert_eq!(e.message, message);
                    prop_assert_eq!(e.error_type, kind);
                    prop_assert_eq!(e.param, param);
                    prop_assert_eq!(e.code, code);
                    prop_assert_eq!(e.raw_body, None);
                }
                None => {
                    prop_assert_eq!((e.error_type, e.param, e.code), (None, None, None));
                    prop_assert_eq!(e.raw_body.as_deref(), Some(text.as_str()));
                    if let Some(Value::String(said)) = json.get("error")
                        && !said.trim().is_empty()
                    {
                        prop_assert_eq!(&e.message, said);
                    } else {
                        prop_assert!(
                            e.message.starts_with("the server answered with a non-API body"),
                            "{}",
                            e.message
                        );
                    }
                }
            }
            let piece = &body[..cut.index(body.len())];
            let e = api_error(&Dialect::openai(), &parts(status, &[]), piece, now());
            let expected = if piece.is_empty() {
                "the server answered with an empty body (no content type) instead of an API \
                 error"
                    .to_owned()
            } else {
                format!(
                    "the server answered with a non-API body (no content type): {}",
                    summarize(&String::from_utf8_lossy(piece))
                )
            };
            prop_assert_eq!(e.message, expected);
            prop_assert_eq!((e.error_type, e.param, e.code), (None, None, None));
        }

        /// A file object of any drawn shape decodes to the values put in, or is a decode
        /// error that quotes the body; cut anywhere, it is a decode error for a body cut short.
        #[test]
        fn a_drawn_file_object_decodes_or_is_a_decode_error(
            (json, expected) in crate::file_objects::tests::file_object_json(),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = serde_json::to_vec(&json).unwrap_or_default();
            let head = parts(200, &[("x-request-id", "req_d")]);
            let valid = expected.is_some();
            let refused = |result: Result<FileObject, Error>| match result {
                Err(Error::Decode(d)) => Ok(*d),
                other => Err(TestCaseError::fail(format!("expected a decode error, got {other:?}"))),
            };
            match (finish_json::<FileObject>(&head, &body, "a file object"), expected) {
                (Ok(file), Some(expected)) => prop_assert_eq!(file, expected),
                (result @ Err(_), None) => {
                    let d = refused(result)?;
                    prop_assert_eq!(d.expected.as_str(), "a file object");
                    prop_assert_eq!(d.status, 200);
                    prop_assert_eq!(d.request_id.as_deref(), Some("req_d"));
                    prop_assert!(d.problem.starts_with("is not valid: "), "{}", d.problem);
                    prop_assert_eq!(d.snippet, snippet(&body));
                }
                (got, expected) => prop_assert!(false, "{json}: got {got:?}, expected {expected:?}"),
            }
            let piece = &body[..cut.index(body.len())];
            let d = refused(finish_json::<FileObject>(&head, piece, "a file object"))?;
            prop_assert_eq!(d.snippet, snippet(piece));
            if valid {
                prop_assert!(d.problem.starts_with("is not valid: EOF while parsing"), "{}", d.problem);
            }
        }

        #[test]
        fn any_error_body_gives_an_error_without_panicking(status in 400u16..600, body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let e = api_error(&Dialect::openai(), &parts(status, &[]), &body, now());
            prop_assert_eq!(e.status, status);
            prop_assert!(!e.message.is_empty());
            prop_assert!(e.message.chars().count() <= 400);
        }

        #[test]
        fn any_success_body_decodes_or_errors_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_json::<FileObject>(&parts(200, &[]), &body, "a file object");
        }
    }
}
