//! Streamed file content: [`Download`] (blocking `Read`) and [`AsyncDownload`] (a `Stream`).
//!
//! Neither holds more than one chunk. Both check the byte count against the response's
//! `Content-Length`, so a connection cut mid-way is an error, never a short file, and both
//! report the bytes received to an [`Observer`] when there is one.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::response::Parts;

use crate::error::{Error, TransportError, TransportErrorKind};
use crate::progress::Observer;
use crate::transport::{AsyncResponseBody, ResponseBody};
use crate::wire::request_id;

/// What the response head says about the content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentInfo {
    /// The announced size, when the server sent `Content-Length`.
    pub len: Option<u64>,
    /// The `Content-Type`.
    pub content_type: Option<String>,
    /// The `x-request-id`.
    pub request_id: Option<String>,
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
        ContentInfo {
            len: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            content_type: header(http::header::CONTENT_TYPE),
            request_id: request_id(&parts.headers),
        }
    }
}

/// Counts the bytes of a body against its announced length, and tells the observer.
struct LengthCheck {
    expected: Option<u64>,
    received: u64,
    observer: Option<Arc<dyn Observer>>,
}

impl std::fmt::Debug for LengthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LengthCheck")
            .field("expected", &self.expected)
            .field("received", &self.received)
            .finish()
    }
}

impl LengthCheck {
    fn new(expected: Option<u64>, observer: Option<Arc<dyn Observer>>) -> Self {
        if let Some(observer) = &observer {
            observer.received(0, expected);
        }
        LengthCheck {
            expected,
            received: 0,
            observer,
        }
    }

    fn add(&mut self, n: usize) -> Result<(), TransportError> {
        self.received += n as u64;
        if let Some(observer) = &self.observer
            && n > 0
        {
            observer.received(self.received, self.expected);
        }
        match self.expected {
            Some(expected) if self.received > expected => Err(TransportError::new(
                TransportErrorKind::Io,
                format!("the server sent more than the {expected} bytes it announced"),
            )),
            _ => Ok(()),
        }
    }

    fn finish(&self) -> Result<(), TransportError> {
        match self.expected {
            Some(expected) if self.received < expected => Err(TransportError::new(
                TransportErrorKind::Io,
                format!(
                    "the download ended after {} of {expected} bytes: the connection was cut; try again",
                    self.received
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A file's content being downloaded, as a blocking reader.
#[derive(Debug)]
pub struct Download {
    info: ContentInfo,
    body: ResponseBody,
    check: LengthCheck,
}

impl Download {
    /// A download of a success response's body, whose head said `info`.
    pub fn new(info: ContentInfo, body: ResponseBody, observer: Option<Arc<dyn Observer>>) -> Self {
        let check = LengthCheck::new(info.len, observer);
        Download { info, body, check }
    }

    /// What the response head said.
    pub fn info(&self) -> &ContentInfo {
        &self.info
    }

    /// Bytes read so far.
    pub fn received(&self) -> u64 {
        self.check.received
    }

    /// Reads the next chunk into `buf`; 0 at the end. Errors are [`Error::Transport`].
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self
            .body
            .read(buf)
            .map_err(|e| TransportError::io("reading the download", e))?;
        if n == 0 && !buf.is_empty() {
            self.check.finish()?;
        } else {
            self.check.add(n)?;
        }
        Ok(n)
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_chunk(buf).map_err(|e| {
            let kind = match &e {
                Error::Transport(t) if t.kind == TransportErrorKind::Timeout => {
                    io::ErrorKind::TimedOut
                }
                _ => io::ErrorKind::Other,
            };
            io::Error::new(kind, e)
        })
    }
}

/// A file's content being downloaded, as a stream of chunks.
#[derive(Debug)]
pub struct AsyncDownload {
    info: ContentInfo,
    body: AsyncResponseBody,
    check: LengthCheck,
    done: bool,
}

impl AsyncDownload {
    /// A download of a success response's body, whose head said `info`.
    pub fn new(
        info: ContentInfo,
        body: AsyncResponseBody,
        observer: Option<Arc<dyn Observer>>,
    ) -> Self {
        let check = LengthCheck::new(info.len, observer);
        AsyncDownload {
            info,
            body,
            check,
            done: false,
        }
    }

    /// What the response head said.
    pub fn info(&self) -> &ContentInfo {
        &self.info
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.check.received
    }
}

impl Stream for AsyncDownload {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => match this.check.add(chunk.len()) {
                Ok(()) => Poll::Ready(Some(Ok(chunk))),
                Err(e) => {
                    this.done = true;
                    Poll::Ready(Some(Err(e.into())))
                }
            },
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                this.done = true;
                match this.check.finish() {
                    Ok(()) => Poll::Ready(None),
                    Err(e) => Poll::Ready(Some(Err(e.into()))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(len: Option<u64>) -> ContentInfo {
        let mut b = http::Response::builder().status(200);
        if let Some(len) = len {
            b = b.header("content-length", len);
        }
        ContentInfo::from_parts(&b.body(()).unwrap().into_parts().0)
    }

    #[derive(Default)]
    struct Counts(std::sync::Mutex<Vec<(u64, Option<u64>)>>);

    impl Observer for Counts {
        fn received(&self, received: u64, total: Option<u64>) {
            self.0.lock().unwrap().push((received, total));
        }
    }

    #[test]
    fn progress_counts_every_byte_received() {
        let counts = Arc::new(Counts::default());
        let mut d = Download::new(
            parts(Some(6)),
            ResponseBody::new(io::Cursor::new(b"abcdef".to_vec())),
            Some(counts.clone()),
        );
        let mut buf = [0u8; 4];
        while d.read_chunk(&mut buf).unwrap() > 0 {}
        assert_eq!(
            *counts.0.lock().unwrap(),
            [(0, Some(6)), (4, Some(6)), (6, Some(6))]
        );
    }

    #[test]
    fn a_cut_download_is_an_error() {
        let mut d = Download::new(parts(Some(10)), ResponseBody::from_bytes(&b"abc"[..]), None);
        let err = io::copy(&mut d, &mut io::sink()).unwrap_err();
        assert!(
            err.to_string().contains("ended after 3 of 10 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_whole_download_reads_through() {
        let mut d = Download::new(parts(Some(3)), ResponseBody::from_bytes(&b"abc"[..]), None);
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let mut unknown = Download::new(parts(None), ResponseBody::from_bytes(&b"abcd"[..]), None);
        assert_eq!(io::copy(&mut unknown, &mut io::sink()).unwrap(), 4);
    }

    #[test]
    fn an_async_download_checks_its_length() {
        use futures_util::StreamExt;
        let d = AsyncDownload::new(
            parts(Some(5)),
            AsyncResponseBody::from_bytes(&b"abc"[..]),
            None,
        );
        let items: Vec<_> = futures_util::FutureExt::now_or_never(d.collect::<Vec<_>>()).unwrap();
        assert_eq!(items.len(), 2);
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("ended after 3 of 5")
        );
    }
}
