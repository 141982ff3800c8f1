//! Streamed file content: [`ContentBody`] (blocking `Read`) and [`AsyncContentBody`] (a
//! `Stream`).
//!
//! Neither body holds more than one chunk. Both check the byte count against the first
//! response's `Content-Length`, so a connection cut mid-way is an error, never a short file,
//! and both report the bytes received to an [`Observer`] when there is one. A driver that
//! resumes a cut download (as `files-client` does) hands the body a continuation with
//! [`ContentBody::continue_with`]: the count runs on, and bytes already delivered are skipped
//! when the server sent everything again.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use files_core::{ContentInfo, Error, Observer, TransportError, TransportErrorKind};
use futures_core::Stream;

use crate::transport::{AsyncResponseBody, ResponseBody};

/// Counts the bytes of a body against its announced length, and tells the observer; `skip`
/// bytes of a continuation that sent everything again are dropped first, uncounted.
struct LengthCheck {
    expected: Option<u64>,
    received: u64,
    skip: u64,
    observer: Option<Arc<dyn Observer>>,
}

impl std::fmt::Debug for LengthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LengthCheck")
            .field("expected", &self.expected)
            .field("received", &self.received)
            .field("skip", &self.skip)
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
            skip: 0,
            observer,
        }
    }

    /// How many of `n` bytes just read are to be dropped (the rest are new).
    fn skipped(&mut self, n: usize) -> usize {
        let dropped = self.skip.min(n as u64);
        self.skip -= dropped;
        dropped as usize
    }

    fn add(&mut self, n: usize) -> Result<(), TransportError> {
        self.received += n as u64;
        if let Some(observer) = &self.observer
            && n > 0
        {
            observer.received(self.received, self.expected);
        }
        match self.expected {
            // Not a cut: trying again would not help.
            Some(expected) if self.received > expected => Err(TransportError::new(
                TransportErrorKind::Other,
                format!("the server sent more than the {expected} bytes it announced"),
            )),
            _ => Ok(()),
        }
    }

    /// Whether every announced byte has arrived (a failure after that loses nothing).
    fn complete(&self) -> bool {
        self.skip == 0 && self.expected == Some(self.received)
    }

    fn finish(&self) -> Result<(), TransportError> {
        if self.skip > 0 {
            return Err(TransportError::new(
                TransportErrorKind::Io,
                format!(
                    "the download's continuation ended before reaching byte {}; try again",
                    self.received
                ),
            ));
        }
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

/// A file's content being received, as a blocking reader: one response's body, or several
/// when a driver continues it after a cut.
#[derive(Debug)]
pub struct ContentBody {
    info: ContentInfo,
    body: ResponseBody,
    check: LengthCheck,
}

impl ContentBody {
    /// The body of a success response whose head said `info`.
    pub fn new(info: ContentInfo, body: ResponseBody, observer: Option<Arc<dyn Observer>>) -> Self {
        let check = LengthCheck::new(info.len, observer);
        ContentBody { info, body, check }
    }

    /// What the first response's head said.
    pub fn info(&self) -> &ContentInfo {
        &self.info
    }

    /// Bytes read so far.
    pub fn received(&self) -> u64 {
        self.check.received
    }

    /// Goes on with `body`, a continuation whose first `skip` bytes were delivered already
    /// (see `files_core::download::Resumption::continued`).
    pub fn continue_with(&mut self, body: ResponseBody, skip: u64) {
        self.body = body;
        self.check.skip = skip;
    }

    /// Reads the next chunk into `buf`; 0 at the end. Errors are [`Error::Transport`].
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        loop {
            let n = match self.body.read(buf) {
                Ok(n) => n,
                // The connection failed after the last announced byte: nothing is missing.
                Err(_) if self.check.complete() && !buf.is_empty() => return Ok(0),
                Err(e) => return Err(TransportError::io("reading the download", e).into()),
            };
            if n == 0 && !buf.is_empty() {
                self.check.finish()?;
                return Ok(0);
            }
            let dropped = self.check.skipped(n);
            if dropped > 0 {
                if dropped == n {
                    continue;
                }
                buf.copy_within(dropped..n, 0);
            }
            self.check.add(n - dropped)?;
            return Ok(n - dropped);
        }
    }
}

impl Read for ContentBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_chunk(buf).map_err(io::Error::from)
    }
}

/// A file's content being received, as a stream of chunks: one response's body, or several
/// when a driver continues it after a cut.
#[derive(Debug)]
pub struct AsyncContentBody {
    info: ContentInfo,
    body: AsyncResponseBody,
    check: LengthCheck,
    done: bool,
}

impl AsyncContentBody {
    /// The body of a success response whose head said `info`.
    pub fn new(
        info: ContentInfo,
        body: AsyncResponseBody,
        observer: Option<Arc<dyn Observer>>,
    ) -> Self {
        let check = LengthCheck::new(info.len, observer);
        AsyncContentBody {
            info,
            body,
            check,
            done: false,
        }
    }

    /// What the first response's head said.
    pub fn info(&self) -> &ContentInfo {
        &self.info
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.check.received
    }

    /// Goes on with `body`, a continuation whose first `skip` bytes were delivered already
    /// (see `files_core::download::Resumption::continued`); a stream that ended with an error yields again.
    pub fn continue_with(&mut self, body: AsyncResponseBody, skip: u64) {
        self.body = body;
        self.check.skip = skip;
        self.done = false;
    }
}

impl Stream for AsyncContentBody {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        loop {
            return match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(Ok(mut chunk))) => {
                    let dropped = this.check.skipped(chunk.len());
                    if dropped == chunk.len() {
                        continue;
                    }
                    let chunk = chunk.split_off(dropped);
                    match this.check.add(chunk.len()) {
                        Ok(()) => Poll::Ready(Some(Ok(chunk))),
                        Err(e) => {
                            this.done = true;
                            Poll::Ready(Some(Err(e.into())))
                        }
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    // A failure after the last announced byte loses nothing.
                    if this.check.complete() {
                        return Poll::Ready(None);
                    }
                    Poll::Ready(Some(Err(e.into())))
                }
                Poll::Ready(None) => {
                    this.done = true;
                    match this.check.finish() {
                        Ok(()) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(e.into()))),
                    }
                }
            };
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

    /// Reads `d` to its end through `buf`; a body that never ends fails the test rather than
    /// hanging it.
    fn drain(d: &mut ContentBody, buf: &mut [u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..1000 {
            match d.read_chunk(buf).unwrap_or_else(|e| panic!("{e}")) {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
        panic!("the body never ended: {} bytes read", out.len())
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
        let mut d = ContentBody::new(
            parts(Some(6)),
            ResponseBody::new(io::Cursor::new(b"abcdef".to_vec())),
            Some(counts.clone()),
        );
        assert_eq!((d.info().status, d.info().len), (200, Some(6)));
        let mut buf = [0u8; 4];
        drain(&mut d, &mut buf);
        assert_eq!(
            *counts.0.lock().unwrap(),
            [(0, Some(6)), (4, Some(6)), (6, Some(6))]
        );
    }

    #[test]
    fn a_cut_download_is_an_error() {
        let mut d = ContentBody::new(parts(Some(10)), ResponseBody::from_bytes(&b"abc"[..]), None);
        let err = io::copy(&mut d, &mut io::sink()).unwrap_err();
        assert!(
            err.to_string().contains("ended after 3 of 10 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_whole_download_reads_through() {
        let mut d = ContentBody::new(parts(Some(3)), ResponseBody::from_bytes(&b"abc"[..]), None);
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let mut unknown =
            ContentBody::new(parts(None), ResponseBody::from_bytes(&b"abcd"[..]), None);
        assert_eq!(io::copy(&mut unknown, &mut io::sink()).unwrap(), 4);
    }

    #[test]
    fn an_async_download_checks_its_length() {
        use futures_util::StreamExt;
        let d = AsyncContentBody::new(
            parts(Some(5)),
            AsyncResponseBody::from_bytes(&b"abc"[..]),
            None,
        );
        assert_eq!((d.info().status, d.info().len), (200, Some(5)));
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

    #[test]
    fn a_continuation_runs_the_count_on_and_skips_what_was_delivered() {
        let counts = Arc::new(Counts::default());
        let mut d = ContentBody::new(
            parts(Some(10)),
            ResponseBody::from_bytes(&b"0123"[..]),
            Some(counts.clone()),
        );
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        let err = loop {
            assert!(out.len() <= 10, "more bytes than the body holds: {out:?}");
            match d.read_chunk(&mut buf) {
                Ok(0) => panic!("the cut body ended without an error after {out:?}"),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert!(err.is_retryable(), "{err}");
        // A whole body again: its first 4 bytes are dropped, even across reads.
        d.continue_with(ResponseBody::from_bytes(&b"0123456789"[..]), 4);
        out.extend(drain(&mut d, &mut buf));
        assert_eq!(out, b"0123456789");
        assert_eq!(counts.0.lock().unwrap().last(), Some(&(10, Some(10))));

        // A continuation that ends before reaching the byte it skips to is a cut too.
        let mut short =
            ContentBody::new(parts(Some(10)), ResponseBody::from_bytes(&b"01"[..]), None);
        let _ = io::copy(&mut short, &mut io::sink());
        short.continue_with(ResponseBody::from_bytes(&b"0"[..]), 2);
        let err = short.read_chunk(&mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connection failed while transferring: the download's continuation ended before \
             reaching byte 2; try again"
        );
        assert!(err.is_retryable(), "a cut, worth another try: {err}");
    }

    #[test]
    fn a_body_longer_than_announced_is_an_error_that_is_not_retried() {
        let mut d = ContentBody::new(parts(Some(3)), ResponseBody::from_bytes(&b"abcd"[..]), None);
        let err = io::copy(&mut d, &mut io::sink()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HTTP client error: the server sent more than the 3 bytes it announced"
        );
        let mut d = ContentBody::new(parts(Some(3)), ResponseBody::from_bytes(&b"abcd"[..]), None);
        let mut buf = [0u8; 8];
        let err = d.read_chunk(&mut buf).unwrap_err();
        assert!(
            !err.is_retryable(),
            "not a cut: trying again would not help"
        );
        let Error::Transport(t) = &err else {
            panic!("a transport error: {err:?}")
        };
        assert_eq!(t.kind, TransportErrorKind::Other);
    }

    #[test]
    fn a_read_into_an_empty_buffer_reports_no_progress() {
        let counts = Arc::new(Counts::default());
        let mut d = ContentBody::new(
            parts(Some(3)),
            ResponseBody::from_bytes(&b"abc"[..]),
            Some(counts.clone()),
        );
        let mut buf = [0u8; 2];
        assert_eq!(d.read_chunk(&mut buf).unwrap(), 2);
        assert_eq!(
            d.read_chunk(&mut []).unwrap(),
            0,
            "nothing asked, nothing read"
        );
        drain(&mut d, &mut buf);
        assert_eq!(d.received(), 3);
        assert_eq!(
            *counts.0.lock().unwrap(),
            [(0, Some(3)), (2, Some(3)), (3, Some(3))]
        );
    }

    #[test]
    fn an_empty_chunk_reports_no_progress() {
        use futures_util::StreamExt;
        let counts = Arc::new(Counts::default());
        let chunks = futures_util::stream::iter([
            Ok(Bytes::from_static(b"ab")),
            Ok(Bytes::new()),
            Ok(Bytes::from_static(b"c")),
        ]);
        let mut d = AsyncContentBody::new(
            parts(Some(3)),
            AsyncResponseBody::new(chunks),
            Some(counts.clone()),
        );
        let items = futures_util::FutureExt::now_or_never(d.by_ref().collect::<Vec<_>>()).unwrap();
        assert_eq!(d.received(), 3);
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        assert_eq!(items.len(), 2, "the empty chunk is not passed on");
        assert_eq!(
            *counts.0.lock().unwrap(),
            [(0, Some(3)), (2, Some(3)), (3, Some(3))]
        );
    }

    /// A reader that gives its bytes, then fails.
    struct ThenFails(io::Cursor<Vec<u8>>);

    impl Read for ThenFails {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::ErrorKind::ConnectionReset.into()),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_failure_after_the_last_announced_byte_loses_nothing() {
        let body = |bytes: &[u8]| ResponseBody::new(ThenFails(io::Cursor::new(bytes.to_vec())));
        let mut whole = ContentBody::new(parts(Some(3)), body(b"abc"), None);
        let mut out = Vec::new();
        assert_eq!(whole.read_to_end(&mut out).ok(), Some(3));
        let mut short = ContentBody::new(parts(Some(4)), body(b"abc"), None);
        assert!(short.read_to_end(&mut Vec::new()).is_err());
        let mut unknown = ContentBody::new(parts(None), body(b"abc"), None);
        assert!(
            unknown.read_to_end(&mut Vec::new()).is_err(),
            "no length: a failure is a failure"
        );
    }

    #[test]
    fn an_async_continuation_skips_inside_a_chunk() {
        use futures_util::StreamExt;
        let mut d = AsyncContentBody::new(
            parts(Some(6)),
            AsyncResponseBody::from_bytes(&b"abc"[..]),
            None,
        );
        let first: Vec<_> = futures_util::FutureExt::now_or_never(d.by_ref().collect::<Vec<_>>())
            .unwrap_or_default();
        assert!(first[1].is_err());
        d.continue_with(AsyncResponseBody::from_bytes(&b"abcdef"[..]), 3);
        let rest: Vec<_> =
            futures_util::FutureExt::now_or_never(d.collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].as_deref().ok(), Some(&b"def"[..]));
    }
}
