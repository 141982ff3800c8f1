//! [`Body`]: a request body as a *description* — a list of [`Segment`]s of known length.
//!
//! A segment is bytes in memory (multipart boundaries, part headers, text fields, JSON), a
//! byte range of a file named by path, or a one-shot reader or stream with a declared length.
//! The exact length of the whole body follows from its segments, so every request carries a
//! `Content-Length` and none is sent chunked. Describing a 100 GB file reads none of it: the
//! transport opens the path when it sends, and opens it again for a retry.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_core::Stream;

/// A byte stream for async uploads: chunks of bytes or an IO error.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A request body description.
#[derive(Clone, Default)]
pub struct Body {
    segments: Vec<Segment>,
    len: u64,
}

impl Body {
    /// An empty body (GET, DELETE).
    pub fn empty() -> Self {
        Body::default()
    }

    /// A body of the given segments; its length is their sum.
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        let len = segments.iter().map(Segment::len).sum();
        Body { segments, len }
    }

    /// A body of one in-memory buffer (JSON requests).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Body::from_segments(vec![Segment::Bytes(bytes.into())])
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

    /// Whether the body can be sent again from the start (no one-shot reader or stream in it):
    /// what a retry needs.
    pub fn is_replayable(&self) -> bool {
        self.segments.iter().all(Segment::is_replayable)
    }

    /// Joins the segments into one blocking reader, opening each path segment with `open`
    /// only when the reader reaches it. `open` gives the file positioned at the range's offset;
    /// the reader takes the range's `len` bytes from it. Each segment must yield exactly its
    /// declared length: a file too short for its range, or a reader shorter or longer than
    /// declared, fails the read with an error that says which.
    ///
    /// `open` is the transport's: the core itself opens nothing.
    pub fn into_reader<F>(self, open: F) -> BodyReader<F>
    where
        F: FnMut(&PathRange) -> io::Result<Box<dyn Read + Send>>,
    {
        BodyReader {
            segments: self.segments.into_iter(),
            current: None,
            open,
        }
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
    /// A byte range of a local file, opened by the transport when sent.
    Path(PathRange),
    /// A blocking reader with a declared length; it can be sent once.
    Reader(OneShotReader),
    /// An async stream with a declared length; it can be sent once, by an async transport.
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

    /// Whether the segment can be sent more than once.
    pub fn is_replayable(&self) -> bool {
        matches!(self, Segment::Bytes(_) | Segment::Path(_))
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
}

/// The error a transport gives when a one-shot source is asked for a second time.
pub fn consumed_source_error() -> io::Error {
    io::Error::other(
        "the upload's reader or stream was already consumed by an earlier attempt; \
         upload from a path or from bytes to make the request repeatable",
    )
}

/// A blocking reader over a [`Body`]'s segments; see [`Body::into_reader`].
pub struct BodyReader<F> {
    segments: std::vec::IntoIter<Segment>,
    current: Option<ExactLength<Box<dyn Read + Send>>>,
    open: F,
}

impl<F> Read for BodyReader<F>
where
    F: FnMut(&PathRange) -> io::Result<Box<dyn Read + Send>>,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(current) = &mut self.current {
                let n = current.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                self.current = None;
            }
            let Some(segment) = self.segments.next() else {
                return Ok(0);
            };
            let (reader, len, what): (Box<dyn Read + Send>, u64, String) = match segment {
                Segment::Bytes(b) => {
                    let len = b.len() as u64;
                    (Box::new(io::Cursor::new(b)), len, "bytes".into())
                }
                Segment::Path(range) => {
                    // The range ends at `len`: what follows it in the file is not this
                    // segment's, so only a file too short for the range is an error.
                    let reader = Box::new((self.open)(&range)?.take(range.len));
                    (reader, range.len, range.path.display().to_string())
                }
                Segment::Reader(r) => {
                    let len = r.len;
                    (
                        r.take().ok_or_else(consumed_source_error)?,
                        len,
                        "the upload's reader".into(),
                    )
                }
                Segment::Stream(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "an async stream source needs an async transport; \
                         give a blocking transport a reader, a path or bytes",
                    ));
                }
            };
            self.current = Some(ExactLength::new(reader, len, what));
        }
    }
}

/// A reader that must yield exactly `len` bytes: fewer is an `UnexpectedEof` error, more is an
/// `InvalidData` error (the extra bytes are never passed on).
pub struct ExactLength<R> {
    inner: R,
    remaining: u64,
    declared: u64,
    what: String,
}

impl<R: Read> ExactLength<R> {
    /// Wraps `inner`, declared to hold `len` bytes; `what` names it in errors.
    pub fn new(inner: R, len: u64, what: impl Into<String>) -> Self {
        ExactLength {
            inner,
            remaining: len,
            declared: len,
            what: what.into(),
        }
    }
}

impl<R: Read> Read for ExactLength<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} holds more than its declared {} bytes (did the file grow while it was being sent?)",
                        self.what, self.declared
                    ),
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} ended after {} of its declared {} bytes (did the file shrink while it was being sent?)",
                    self.what,
                    self.declared - self.remaining,
                    self.declared
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_paths(_: &PathRange) -> io::Result<Box<dyn Read + Send>> {
        Err(io::Error::other("no paths in this test"))
    }

    #[test]
    fn length_is_the_sum_of_segments() {
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"abc")),
            Segment::Path(PathRange::whole("/big/file", 100_000_000_000)),
            Segment::Reader(OneShotReader::new(io::empty(), 0)),
        ]);
        assert_eq!(body.len(), 100_000_000_003);
        assert!(!body.is_replayable());
    }

    #[test]
    fn reader_concatenates_and_opens_paths_lazily() {
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"<")),
            Segment::Path(PathRange::whole("x", 3)),
            Segment::Reader(OneShotReader::new(&b"yz"[..], 2)),
            Segment::Bytes(Bytes::from_static(b">")),
        ]);
        let mut opened = Vec::new();
        let mut out = Vec::new();
        body.into_reader(|r: &PathRange| {
            opened.push(r.path.clone());
            Ok(Box::new(&b"abc"[..]) as Box<dyn Read + Send>)
        })
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, b"<abcyz>");
        assert_eq!(opened, vec![PathBuf::from("x")]);
    }

    #[test]
    fn a_short_source_is_an_error_not_a_short_body() {
        let body = Body::from_segments(vec![Segment::Reader(OneShotReader::new(&b"ab"[..], 5))]);
        let err = body
            .into_reader(no_paths)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            err.to_string().contains("after 2 of its declared 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_long_source_is_an_error_not_a_long_body() {
        let body =
            Body::from_segments(vec![Segment::Reader(OneShotReader::new(&b"abcdef"[..], 3))]);
        let err = body
            .into_reader(no_paths)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_one_shot_reader_cannot_be_sent_twice() {
        let body = Body::from_segments(vec![Segment::Reader(OneShotReader::new(&b"ab"[..], 2))]);
        let again = body.clone();
        let mut out = Vec::new();
        body.into_reader(no_paths).read_to_end(&mut out).unwrap();
        let err = again
            .into_reader(no_paths)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("already consumed"), "{err}");
    }
}
