//! [`ContentInfo`]: what a response head says about a file's content, and the
//! [`ContentRange`] of a resumed one. The machine that downloads content and resumes it is
//! [`FetchContent`](crate::ops::FetchContent); the bodies that carry the bytes are the IO
//! edge's, in `files-io`.

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

/// A `Content-Range: bytes first-last/total` header, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// The first byte sent.
    pub first: u64,
    /// The last byte sent (inclusive).
    pub last: u64,
    /// The whole content's length, when the server knows it (`*` otherwise).
    pub total: Option<u64>,
}

impl ContentRange {
    /// Reads `bytes first-last/total` (or `/*`); `None` for anything else, such as the
    /// `bytes */total` of a `416`.
    pub fn parse(value: &str) -> Option<ContentRange> {
        let spec = value.trim().strip_prefix("bytes")?.trim_start();
        let (range, total) = spec.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        let first: u64 = first.trim().parse().ok()?;
        let last: u64 = last.trim().parse().ok()?;
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        (first <= last && total.is_none_or(|t| last < t)).then_some(ContentRange {
            first,
            last,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_read_strictly() {
        let parse = ContentRange::parse;
        assert_eq!(
            parse("bytes 600-999/1000"),
            Some(ContentRange {
                first: 600,
                last: 999,
                total: Some(1000)
            })
        );
        assert_eq!(parse("bytes 0-0/*").and_then(|r| r.total), None);
        for bad in [
            "bytes */1000",
            "bytes 5-3/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes a-1/2",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
