//! [`Body`]: a request body as a *description* — a list of [`Segment`]s of known length — and
//! the one byte pump that turns it into bytes for a transport.
//!
//! A segment is bytes in memory (multipart boundaries, part headers, text fields, JSON), a
//! byte range of a file named by path, or a one-shot reader or stream with a declared length.
//! The exact length of the whole body follows from its segments, so every request carries a
//! `Content-Length` and none is sent chunked. Describing a 100 GB file reads none of it: the
//! pump opens the path (through the caller's [`LocalFiles`](crate::local::LocalFiles)) only
//! when the transport reads that far, and opens it again for a retry.
//!
//! The pump has two faces over one set of rules: [`Body::into_request_body`]
//! gives a blocking reader, [`Body::into_async_request_body`] an async stream. Both check that
//! every segment yields exactly its declared length, report a local failure as a
//! [`LocalFileError`](crate::LocalFileError) (never as a connection failure), and count the
//! payload's bytes for a progress [`Observer`](crate::Observer) when there is one.

mod check;
mod reader;
mod stream;

use std::fmt;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_core::Stream;

pub use check::SendFailure;

/// A byte stream for async uploads: chunks of bytes or an IO error.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A request body description.
#[derive(Clone, Default)]
pub struct Body {
    segments: Vec<Segment>,
    len: u64,
    payload: Option<Range<u64>>,
}

impl Body {
    /// An empty body (GET, DELETE).
    pub fn empty() -> Self {
        Body::default()
    }

    /// A body of the given segments; its length is their sum.
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        let len = segments.iter().map(Segment::len).sum();
        Body {
            segments,
            len,
            payload: None,
        }
    }

    /// A body of one in-memory buffer (JSON requests).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Body::from_segments(vec![Segment::Bytes(bytes.into())])
    }

    /// Marks the byte offsets `range` of the body as its payload (a multipart form's file
    /// content): progress is reported in payload bytes, so its total is the file's size. A
    /// range past the end is cut to the body; a reversed one is empty.
    pub fn with_payload(mut self, range: Range<u64>) -> Self {
        let end = range.end.min(self.len);
        self.payload = Some(range.start.min(end)..end);
        self
    }

    /// The byte offsets of the payload, if the body has one.
    pub fn payload(&self) -> Option<Range<u64>> {
        self.payload.clone()
    }

    /// The exact number of bytes the body will put on the wire.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The segments, in wire order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Takes the segments out, in wire order.
    pub fn into_segments(self) -> Vec<Segment> {
        self.segments
    }

    /// Whether the body can be sent again from the start: it holds no one-shot reader or
    /// stream that an earlier attempt has already taken. What a retry needs.
    pub fn is_replayable(&self) -> bool {
        self.segments.iter().all(Segment::is_replayable)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.len)
            .field("segments", &self.segments)
            .finish()
    }
}

/// One piece of a [`Body`].
#[derive(Clone)]
#[non_exhaustive]
pub enum Segment {
    /// Bytes in memory; sending them again is a cheap reference-counted clone.
    Bytes(Bytes),
    /// A byte range of a local file, opened when sent.
    Path(PathRange),
    /// A blocking reader with a declared length; it can be sent once.
    Reader(OneShotReader),
    /// An async stream with a declared length; it can be sent once, by an async client.
    Stream(OneShotStream),
}

impl Segment {
    /// The segment's exact length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::Path(p) => p.len,
            Segment::Reader(r) => r.len,
            Segment::Stream(s) => s.len,
        }
    }

    /// Whether the segment has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the segment can (still) be sent: bytes and paths always, a one-shot source
    /// until an attempt has taken it.
    pub fn is_replayable(&self) -> bool {
        match self {
            Segment::Bytes(_) | Segment::Path(_) => true,
            Segment::Reader(r) => !r.is_taken(),
            Segment::Stream(s) => !s.is_taken(),
        }
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Segment::Path(p) => write!(f, "{p:?}"),
            Segment::Reader(r) => write!(f, "Reader({} bytes)", r.len),
            Segment::Stream(s) => write!(f, "Stream({} bytes)", s.len),
        }
    }
}

/// `len` bytes of the file at `path`, starting at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRange {
    /// The file.
    pub path: PathBuf,
    /// Where the range starts.
    pub offset: u64,
    /// How many bytes it holds.
    pub len: u64,
}

impl PathRange {
    /// The whole of a file whose length is known to be `len`.
    pub fn whole(path: impl Into<PathBuf>, len: u64) -> Self {
        PathRange {
            path: path.into(),
            offset: 0,
            len,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A blocking reader that can be taken once, with its declared length.
#[derive(Clone)]
pub struct OneShotReader {
    reader: Arc<Mutex<Option<Box<dyn Read + Send>>>>,
    len: u64,
}

impl OneShotReader {
    /// Wraps `reader`, which must yield exactly `len` bytes.
    pub fn new(reader: impl Read + Send + 'static, len: u64) -> Self {
        OneShotReader {
            reader: Arc::new(Mutex::new(Some(Box::new(reader)))),
            len,
        }
    }

    /// The declared length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the declared length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes the reader; `None` if an earlier attempt already took it.
    pub fn take(&self) -> Option<Box<dyn Read + Send>> {
        self.reader.lock().ok().and_then(|mut r| r.take())
    }

    /// Whether an attempt has taken the reader.
    pub fn is_taken(&self) -> bool {
        self.reader.lock().map_or(true, |r| r.is_none())
    }
}

/// An async byte stream that can be taken once, with its declared length.
#[derive(Clone)]
pub struct OneShotStream {
    stream: Arc<Mutex<Option<ByteStream>>>,
    len: u64,
}

impl OneShotStream {
    /// Wraps `stream`, which must yield exactly `len` bytes.
    pub fn new(stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static, len: u64) -> Self {
        OneShotStream {
            stream: Arc::new(Mutex::new(Some(Box::pin(stream)))),
            len,
        }
    }

    /// The declared length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the declared length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes the stream; `None` if an earlier attempt already took it.
    pub fn take(&self) -> Option<ByteStream> {
        self.stream.lock().ok().and_then(|mut s| s.take())
    }

    /// Whether an attempt has taken the stream.
    pub fn is_taken(&self) -> bool {
        self.stream.lock().map_or(true, |s| s.is_none())
    }
}

#[cfg(test)]
mod tests;
