//! A file's content: [`ContentInfo`], what a response head says about it, and
//! [`Resumption`], the rules for going on after a cut.
//!
//! The bodies that carry the bytes (a blocking reader and a stream) are the IO edge's, in
//! `files-io`; they hold the count to the first response's `Content-Length`, so a connection
//! cut mid-way is an error, never a short file.

mod resume;

pub use resume::{ContentRange, Resumption};

use http::response::Parts;

use crate::wire::request_id;

/// What the response head says about the content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ContentInfo {
    /// The HTTP status: 200, or 206 for a resumed range.
    pub status: u16,
    /// The announced size of this response's body, when the server sent `Content-Length`.
    pub len: Option<u64>,
    /// The `Content-Type`.
    pub content_type: Option<String>,
    /// The `x-request-id`.
    pub request_id: Option<String>,
    /// Whether the server said it serves byte ranges (`Accept-Ranges: bytes`).
    pub accept_ranges: bool,
    /// The `ETag`, if any.
    pub etag: Option<String>,
    /// The `Last-Modified`, if any.
    pub last_modified: Option<String>,
    /// The `Content-Range` of a `206`, when it could be read.
    pub content_range: Option<ContentRange>,
}

impl ContentInfo {
    /// Reads the content facts from a response head.
    pub fn from_parts(parts: &Parts) -> Self {
        let header = |name: http::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let accept_ranges = parts
            .headers
            .get_all(http::header::ACCEPT_RANGES)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|unit| unit.trim().eq_ignore_ascii_case("bytes"));
        ContentInfo {
            status: parts.status.as_u16(),
            len: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            content_type: header(http::header::CONTENT_TYPE),
            request_id: request_id(&parts.headers),
            accept_ranges,
            etag: header(http::header::ETAG),
            last_modified: header(http::header::LAST_MODIFIED),
            content_range: header(http::header::CONTENT_RANGE)
                .and_then(|v| ContentRange::parse(&v)),
        }
    }
}
