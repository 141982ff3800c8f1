//! The IO edge: the traits a transport crate implements, and the streamed response bodies it
//! hands back.
//!
//! [`Transport`] and [`AsyncTransport`] carry one HTTP exchange, in the shape of the `oauth2`
//! crate's client traits but with bodies that stream both ways: the request body is a
//! [`Body`] description the transport turns into bytes, and the response body is read as it
//! arrives. Two provided methods are the few local-file operations a client needs: a file's
//! size and first bytes (`probe`), and a download destination that appears only when complete
//! (`create`). Their defaults refuse, so a closure or a bring-your-own transport still uploads
//! bytes and readers and downloads into writers. The core itself never opens a file or socket.

use std::io::{self, Read, Write};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use crate::body::Body;
use crate::error::{LocalFileError, LocalFileOp, TransportError};
use crate::upload::FileProbe;

/// A blocking response body, read as it arrives.
pub struct ResponseBody(Box<dyn Read + Send>);

impl ResponseBody {
    /// Wraps a reader over the response's bytes.
    pub fn new(reader: impl Read + Send + 'static) -> Self {
        ResponseBody(Box::new(reader))
    }

    /// A body held in memory (tests, canned responses).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        ResponseBody::new(io::Cursor::new(bytes.into()))
    }
}

impl Read for ResponseBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseBody(..)")
    }
}

/// An async response body: a stream of chunks, read as they arrive.
pub struct AsyncResponseBody(Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>);

impl AsyncResponseBody {
    /// Wraps a stream of the response's chunks.
    pub fn new(stream: impl Stream<Item = Result<Bytes, TransportError>> + Send + 'static) -> Self {
        AsyncResponseBody(Box::pin(stream))
    }

    /// A body held in memory (tests, canned responses).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let chunks = if bytes.is_empty() {
            vec![]
        } else {
            vec![Ok(bytes)]
        };
        AsyncResponseBody::new(futures_util::stream::iter(chunks))
    }
}

impl Stream for AsyncResponseBody {
    type Item = Result<Bytes, TransportError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for AsyncResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsyncResponseBody(..)")
    }
}

/// Carries one HTTP exchange, blocking.
///
/// The transport sends the request's headers as given (they include the exact
/// `Content-Length`), streams the body's segments in order — opening path segments itself,
/// afresh on every call — and returns the response as soon as its head arrives, with the body
/// still to be read. It must not follow redirects (they would carry the API key elsewhere) and
/// must return error statuses as responses, not as errors.
///
/// Any `Fn(http::Request<Body>) -> Result<http::Response<ResponseBody>, TransportError>` is a
/// transport (without local-file support), which keeps unit tests short.
pub trait Transport {
    /// Sends `request` and returns the response with its body unread.
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<ResponseBody>, TransportError>;

    /// The size of the file at `path` and up to `prefix_len` of its first bytes, before a path
    /// upload. Fails if the path is not a regular file. The default supports no local files.
    fn probe(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        let _ = prefix_len;
        Err(no_local_files(LocalFileOp::Inspect, path))
    }

    /// A new file that becomes `dest` only when committed; dropped uncommitted, it leaves
    /// nothing behind. The default supports no local files.
    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError> {
        Err(no_local_files(LocalFileOp::Create, dest))
    }
}

/// The error of a transport without local-file support.
fn no_local_files(op: LocalFileOp, path: &Path) -> LocalFileError {
    LocalFileError::new(
        op,
        path,
        io::Error::new(
            io::ErrorKind::Unsupported,
            "this transport has no local-file support; upload from bytes or a reader, \
             download into a writer, or use transport-ureq or transport-reqwest",
        ),
    )
}

impl<F> Transport for F
where
    F: Fn(http::Request<Body>) -> Result<http::Response<ResponseBody>, TransportError>,
{
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<ResponseBody>, TransportError> {
        self(request)
    }
}

/// Carries one HTTP exchange, asynchronously; the same contract as [`Transport`]. Reading
/// path segments and local files must not block the async runtime.
#[async_trait::async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` and returns the response with its body unread.
    async fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError>;

    /// The size of the file at `path` and up to `prefix_len` of its first bytes, before a path
    /// upload. The default supports no local files.
    async fn probe(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        let _ = prefix_len;
        Err(no_local_files(LocalFileOp::Inspect, path))
    }

    /// A new file that becomes `dest` only when committed; dropped uncommitted, it leaves
    /// nothing behind. The default supports no local files.
    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError> {
        Err(no_local_files(LocalFileOp::Create, dest))
    }
}

#[async_trait::async_trait]
impl<F, Fut> AsyncTransport for F
where
    F: Fn(http::Request<Body>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<AsyncResponseBody>, TransportError>> + Send,
{
    async fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError> {
        self(request).await
    }
}

/// A file being written by a download; see [`Transport::create`].
pub trait PartialFile: Write + Send {
    /// Flushes the bytes to disk and moves the file to its destination.
    fn commit(self: Box<Self>) -> Result<(), LocalFileError>;
}

/// A file being written by an async download; see [`AsyncTransport::create`].
#[async_trait::async_trait]
pub trait AsyncPartialFile: Send {
    /// Appends a chunk.
    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), LocalFileError>;

    /// Flushes the bytes to disk and moves the file to its destination.
    async fn commit(self: Box<Self>) -> Result<(), LocalFileError>;
}
