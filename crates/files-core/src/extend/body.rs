//! [`Body`]: a request body as a *description* — a list of [`Segment`]s of known length.
//!
//! A segment is bytes in memory (multipart boundaries, part headers, text fields, JSON), a
//! byte range of a file named by path, or a one-shot reader or stream with a declared length.
//! The exact length of the whole body follows from its segments, so every request carries a
//! `Content-Length` and none is sent chunked. Describing a 100 GB file reads none of it.
//!
//! The core never reads a segment. The byte pump that turns a description into bytes for a
//! transport — opening a path only when the transport reads that far, and again for a retry;
//! holding every segment to its declared length — is the IO edge's, in `files-io`.

use std::any::Any;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

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
///
/// Not `#[non_exhaustive]`: the byte pump (in `files-io`) must know how to send every kind, so
/// a new kind is a change it has to make too.
#[derive(Clone)]
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

    /// Puts back a reader [taken](Self::take) to read a piece of it ([`Next::Pull`]), for the
    /// next piece.
    ///
    /// [`Next::Pull`]: crate::extend::ops::Next::Pull
    pub fn put_back(&self, reader: Box<dyn Read + Send>) {
        if let Ok(mut slot) = self.reader.lock() {
            *slot = Some(reader);
        }
    }
}

/// An async byte stream that can be taken once, with its declared length.
///
/// The core never polls it and does not know its type: it holds the stream, type-erased, for
/// the async pump in `files-io`, which made it (`files_io::one_shot_stream`) and alone takes it
/// apart again.
#[derive(Clone)]
pub struct OneShotStream {
    stream: Arc<Mutex<Option<Box<dyn Any + Send>>>>,
    len: u64,
}

impl OneShotStream {
    /// Holds `stream`, which must yield exactly `len` bytes. What `stream` is, only the pump
    /// that later [takes](Self::take) it knows: make one with `files_io::one_shot_stream`
    /// (anything else is refused when the upload is sent).
    #[doc(hidden)]
    pub fn from_erased(stream: Box<dyn Any + Send>, len: u64) -> Self {
        OneShotStream {
            stream: Arc::new(Mutex::new(Some(stream))),
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
    pub fn take(&self) -> Option<Box<dyn Any + Send>> {
        self.stream.lock().ok().and_then(|mut s| s.take())
    }

    /// Whether an attempt has taken the stream.
    pub fn is_taken(&self) -> bool {
        self.stream.lock().map_or(true, |s| s.is_none())
    }

    /// Puts back what [`take`](Self::take) gave (or the pump's stream of what is left of it),
    /// after a piece was read ([`Next::Pull`]).
    ///
    /// [`Next::Pull`]: crate::extend::ops::Next::Pull
    #[doc(hidden)]
    pub fn put_back_erased(&self, stream: Box<dyn Any + Send>) {
        if let Ok(mut slot) = self.stream.lock() {
            *slot = Some(stream);
        }
    }
}

/// A one-shot source the driver reads one piece at a time, in order, for the parts of an
/// Upload cut as the bytes arrive ([`Next::Pull`]).
///
/// [`Next::Pull`]: crate::extend::ops::Next::Pull
#[derive(Clone)]
pub enum OneShotSource {
    /// A blocking reader.
    Reader(OneShotReader),
    /// An async stream (async clients only).
    Stream(OneShotStream),
}

impl OneShotSource {
    /// The declared length of the whole source.
    pub fn len(&self) -> u64 {
        match self {
            OneShotSource::Reader(r) => r.len,
            OneShotSource::Stream(s) => s.len,
        }
    }

    /// Whether the declared length is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for OneShotSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OneShotSource::Reader(r) => write!(f, "Reader({} bytes)", r.len),
            OneShotSource::Stream(s) => write!(f, "Stream({} bytes)", s.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_emptiness_follow_the_segments() {
        assert!(Body::empty().is_empty());
        assert_eq!(Body::empty().len(), 0);
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"abc")),
            Segment::Reader(OneShotReader::new(std::io::empty(), 0)),
        ]);
        assert_eq!(body.len(), 3);
        assert!(!body.is_empty());
        assert!(!body.segments()[0].is_empty());
        assert!(body.segments()[1].is_empty());
        assert!(format!("{body:?}").contains("len: 3"), "{body:?}");
    }

    #[test]
    fn a_one_shot_reader_is_replayable_until_taken_and_again_once_put_back() {
        let reader = OneShotReader::new(std::io::Cursor::new(b"xy".to_vec()), 2);
        assert_eq!((reader.len(), reader.is_empty()), (2, false));
        assert!(OneShotReader::new(std::io::empty(), 0).is_empty());
        let segment = Segment::Reader(reader.clone());
        assert!(segment.is_replayable() && !reader.is_taken());
        let taken = reader.take().expect("the reader is there");
        assert!(reader.is_taken() && !segment.is_replayable());
        assert!(reader.take().is_none(), "taken once");
        reader.put_back(taken);
        assert!(!reader.is_taken() && segment.is_replayable());
    }

    #[test]
    fn a_one_shot_stream_is_replayable_until_taken_and_again_once_put_back() {
        let stream = OneShotStream::from_erased(Box::new(7_u8), 5);
        assert_eq!((stream.len(), stream.is_empty()), (5, false));
        assert!(OneShotStream::from_erased(Box::new(()), 0).is_empty());
        let segment = Segment::Stream(stream.clone());
        assert!(segment.is_replayable() && !stream.is_taken());
        let taken = stream.take().expect("the stream is there");
        assert_eq!(taken.downcast_ref::<u8>(), Some(&7));
        assert!(stream.is_taken() && !segment.is_replayable());
        stream.put_back_erased(taken);
        assert!(!stream.is_taken() && segment.is_replayable());

        let source = OneShotSource::Stream(stream);
        assert_eq!((source.len(), source.is_empty()), (5, false));
        assert_eq!(format!("{source:?}"), "Stream(5 bytes)");
        let empty = OneShotSource::Reader(OneShotReader::new(std::io::empty(), 0));
        assert!(empty.is_empty());
        assert_eq!(format!("{empty:?}"), "Reader(0 bytes)");
    }
}
