//! The log of requests the emulator received.

use std::sync::{Mutex, MutexGuard, PoisonError};

use http::HeaderMap;

/// One request as the emulator received it, for assertions about what went over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method, such as `POST`.
    pub method: String,
    /// The request target's path including its query string, such as `/v1/files?limit=2`.
    pub path: String,
    /// Every request header in received order; credentials (`Authorization`,
    /// `Proxy-Authorization`, `api-key`, `x-api-key`, and the dialect's own key header) are
    /// replaced by `***`.
    pub headers: Vec<(String, String)>,
    /// The number of body bytes actually received.
    pub body_bytes: u64,
    /// Whether the body was sent with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The value of the `Content-Length` header, if one was sent and is a number.
    pub content_length: Option<u64>,
    /// The multipart `file` part of an upload, if there was one.
    pub file_part: Option<FilePart>,
    /// The text fields of an upload's multipart form (`POST /files`), in received order,
    /// the file part left out.
    pub form_fields: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The `file` part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The `filename` from the part's `Content-Disposition`.
    pub filename: Option<String>,
    /// The part's `Content-Type`.
    pub content_type: Option<String>,
    /// The number of bytes the part held (as received, even if the upload was rejected).
    pub bytes: u64,
}

const REDACTED_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
];

/// Builds the record of a request's head; the body fields are filled in later.
/// A request's head as recorded; `auth_header` (the dialect's key header) is redacted too.
pub(crate) fn record_head(
    method: &str,
    path: &str,
    headers: &HeaderMap,
    auth_header: &str,
) -> RecordedRequest {
    let recorded_headers = headers
        .iter()
        .map(|(name, value)| {
            let value = if REDACTED_HEADERS.contains(&name.as_str()) || name.as_str() == auth_header
            {
                "***".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let chunked = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .any(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("chunked"))
            })
        });
    let content_length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok());
    RecordedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: recorded_headers,
        body_bytes: 0,
        chunked,
        content_length,
        file_part: None,
        form_fields: Vec::new(),
    }
}

/// What a handler saw of a request's body, for its record.
#[derive(Debug, Default)]
pub(crate) struct BodySeen {
    /// The multipart file part, once it starts.
    pub(crate) file_part: Option<FilePart>,
    /// The form's text fields, as read.
    pub(crate) form_fields: Vec<(String, String)>,
}

/// The in-order log of requests, shared between the server and the [`Emulator`](crate::Emulator) handle.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends a record and returns its index, so it can be completed once the body is read.
    pub(crate) fn push(&self, record: RecordedRequest) -> usize {
        let mut entries = self.lock();
        entries.push(record);
        entries.len() - 1
    }

    /// Fills in the body facts of the record at `index`.
    pub(crate) fn complete(&self, index: usize, body_bytes: u64, seen: BodySeen) {
        if let Some(entry) = self.lock().get_mut(index) {
            entry.body_bytes = body_bytes;
            entry.file_part = seen.file_part;
            entry.form_fields = seen.form_fields;
        }
    }

    /// A copy of every record so far.
    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn redacts_credentials_and_reads_framing() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer sk-secret"),
        );
        headers.insert("x-api-key", HeaderValue::from_static("sk-secret"));
        headers.insert(
            "transfer-encoding",
            HeaderValue::from_static("gzip, Chunked"),
        );
        headers.insert("content-length", HeaderValue::from_static("12"));
        let record = record_head("POST", "/v1/files", &headers, "authorization");
        assert_eq!(record.header("Authorization"), Some("***"));
        assert!(!format!("{record:?}").contains("sk-secret"));
        assert!(record.chunked);
        assert_eq!(record.content_length, Some(12));
    }
}
