//! Faults: misbehaviour injected in place of (or on top of) normal handling.

use std::time::Duration;

/// The longest a stalled response stays silent before the emulator drops its connection.
pub const MAX_STALL: Duration = Duration::from_secs(30);

/// What a fault does to a request it fires for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this response instead of handling the request.
    Respond {
        /// The HTTP status code; an invalid code (outside 100..=999) is answered as 500.
        status: u16,
        /// The `Content-Type` header of the response.
        content_type: String,
        /// The response body, sent as is.
        body: String,
        /// Extra response headers; pairs that are not valid HTTP headers are skipped.
        headers: Vec<(String, String)>,
    },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Read this many bytes of the request body (all of it, if it is shorter), then close the
    /// connection without answering: a connection cut mid-upload.
    CutAfterRequestBytes(u64),
    /// Handle the request normally, but send only this many bytes of the response body, then
    /// go silent with the connection open — until the client gives up, the emulator stops, or
    /// [`MAX_STALL`] has passed (then the connection is dropped, so a client without an idle
    /// limit fails instead of hanging): a stalled server.
    StallAfterResponseBytes(u64),
}

/// A fault: which requests it matches, how many times it fires, and what it does.
///
/// Queue faults with [`Emulator::inject`](crate::Emulator::inject). Each request under the
/// path prefix takes the first queued fault that matches it; a fault fires for `times`
/// matching requests and is then used up. Responses still carry an `x-request-id` header
/// unless the fault sets its own, and every request is recorded, faulted or not.
///
/// ```
/// use std::time::Duration;
/// use files_emulator::{Fault, FaultAction};
/// use serde_json::json;
///
/// // The next two uploads get a 503 asking for a 10 ms wait.
/// let busy = Fault::status(503, json!({"error": {"message": "Overloaded", "type": "server_error"}}))
///     .with_header("retry-after-ms", "10")
///     .on("POST", "/files")
///     .times(2);
/// assert_eq!(busy.times, 2);
///
/// // The next download stops after 1 KiB and hangs.
/// let stall = Fault::stall_after_response_bytes(1024).on("GET", "/files/*/content");
/// assert_eq!(stall.action, FaultAction::StallAfterResponseBytes(1024));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fault {
    /// The method it matches (any, when `None`).
    pub method: Option<String>,
    /// The path it matches, below the prefix: `/files`, `/files/*`, `/files/*/content`; a
    /// `*` matches any one segment (any path, when `None`).
    pub path: Option<String>,
    /// How many matching requests it fires for.
    pub times: u32,
    /// What it does.
    pub action: FaultAction,
}

/// The page nginx serves when its upstream fails.
const NGINX_BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

impl Fault {
    /// A fault doing `action` once, for any request.
    pub fn new(action: FaultAction) -> Fault {
        Fault {
            method: None,
            path: None,
            times: 1,
            action,
        }
    }

    /// A `502` with nginx's `text/html` "502 Bad Gateway" page, as a failing proxy sends it.
    pub fn html_bad_gateway() -> Fault {
        Fault::respond(502, "text/html", NGINX_BAD_GATEWAY)
    }

    /// A response with `status` and `json_body` as an `application/json` body.
    pub fn status(status: u16, json_body: serde_json::Value) -> Fault {
        Fault::respond(status, "application/json", json_body.to_string())
    }

    /// A response with `status`, a content type and a body of any kind (text, HTML, empty,
    /// truncated JSON).
    pub fn respond(status: u16, content_type: &str, body: impl Into<String>) -> Fault {
        Fault::new(FaultAction::Respond {
            status,
            content_type: content_type.to_owned(),
            body: body.into(),
            headers: Vec::new(),
        })
    }

    /// Holds the answer back for `delay`, then handles the request normally.
    pub fn delay(delay: Duration) -> Fault {
        Fault::new(FaultAction::Delay(delay))
    }

    /// Cuts the connection after `bytes` of the request body.
    pub fn cut_after_request_bytes(bytes: u64) -> Fault {
        Fault::new(FaultAction::CutAfterRequestBytes(bytes))
    }

    /// Sends `bytes` of the response body, then stalls.
    pub fn stall_after_response_bytes(bytes: u64) -> Fault {
        Fault::new(FaultAction::StallAfterResponseBytes(bytes))
    }

    /// Adds a response header, such as `retry-after` or `x-should-retry` (responses only).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Fault {
        if let FaultAction::Respond { headers, .. } = &mut self.action {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Fires only for requests with this method and path (below the prefix; `*` matches
    /// one segment).
    #[must_use]
    pub fn on(mut self, method: &str, path: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self.path = Some(path.to_owned());
        self
    }

    /// Fires for this many matching requests (at least one).
    #[must_use]
    pub fn times(mut self, times: u32) -> Fault {
        self.times = times.max(1);
        self
    }

    /// Whether the fault fires for `method` on `path` (below the prefix).
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = self.path.as_deref().is_none_or(|pattern| {
            let wanted: Vec<&str> = pattern.trim_matches('/').split('/').collect();
            let got: Vec<&str> = path.trim_matches('/').split('/').collect();
            wanted.len() == got.len() && wanted.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
        });
        method_ok && path_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        let content = Fault::delay(Duration::ZERO).on("get", "/files/*/content");
        assert!(content.matches("GET", "/files/file-1/content"));
        assert!(!content.matches("GET", "/files/file-1"));
        assert!(!content.matches("POST", "/files/file-1/content"));
        let any = Fault::delay(Duration::ZERO);
        assert!(any.matches("DELETE", "/anything/at/all"));
        let upload = Fault::delay(Duration::ZERO).on("POST", "/files");
        assert!(upload.matches("POST", "/files"));
        assert!(!upload.matches("POST", "/files/x"));
    }
}
