//! Canned responses injected in place of normal handling.

/// A canned response: the next request under the path prefix gets it instead of normal handling.
///
/// Queue faults with [`Emulator::inject`](crate::Emulator::inject); they are used one per
/// request, first in first out. The response still carries an `x-request-id` header unless
/// the fault sets its own.
///
/// ```
/// use files_emulator::Fault;
/// use serde_json::json;
///
/// let fault = Fault::status(429, json!({"error": {"message": "Slow down", "type": "requests"}}))
///     .with_header("retry-after-ms", "10");
/// assert_eq!(fault.status, 429);
/// assert_eq!(fault.content_type, "application/json");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The HTTP status code; an invalid code (outside 100..=999) is answered as 500.
    pub status: u16,
    /// The `Content-Type` header of the response.
    pub content_type: String,
    /// The response body, sent as is.
    pub body: String,
    /// Extra response headers; pairs that are not valid HTTP headers are skipped.
    pub headers: Vec<(String, String)>,
}

/// The page nginx serves when its upstream fails.
const NGINX_BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

impl Fault {
    /// A `502` with nginx's `text/html` "502 Bad Gateway" page, as a failing proxy sends it.
    pub fn html_bad_gateway() -> Fault {
        Fault {
            status: 502,
            content_type: "text/html".to_owned(),
            body: NGINX_BAD_GATEWAY.to_owned(),
            headers: Vec::new(),
        }
    }

    /// A response with `status` and `json_body` as an `application/json` body.
    pub fn status(status: u16, json_body: serde_json::Value) -> Fault {
        Fault {
            status,
            content_type: "application/json".to_owned(),
            body: json_body.to_string(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header, such as `retry-after` or `x-should-retry`.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Fault {
        self.headers.push((name.into(), value.into()));
        self
    }
}
