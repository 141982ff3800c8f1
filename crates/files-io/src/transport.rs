//! The HTTP edge: the traits a transport crate implements, and the bodies that cross it.
//!
//! [`Transport`] and [`AsyncTransport`] carry one HTTP exchange, in the shape of the `oauth2`
//! crate's client traits but with bodies that stream both ways. A transport carries HTTP
//! only: the request body arrives as bytes of an exact length (the client has already turned
//! files and readers into a [`RequestBody`] or [`AsyncRequestBody`]), and the response comes
//! back with its body unread. Local files, retries, sleeping and progress live elsewhere, so
//! a bring-your-own transport — or a closure, through [`transport_fn`] — gets all of them.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use files_core::Timeouts;
use files_core::TransportError;

/// A blocking request body: a reader of exactly [`RequestBody::len`] bytes. The request's
/// `Content-Length` header already says that length; a transport must not send it chunked.
pub struct RequestBody {
    reader: Box<dyn Read + Send>,
    len: u64,
}

impl RequestBody {
    /// A body of `len` bytes read from `reader`.
    pub fn new(reader: impl Read + Send + 'static, len: u64) -> Self {
        RequestBody {
            reader: Box::new(reader),
            len,
        }
    }

    /// A body of bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        RequestBody::new(io::Cursor::new(bytes), len)
    }

    /// No body.
    pub fn empty() -> Self {
        RequestBody::new(io::empty(), 0)
    }

    /// The exact number of bytes the body holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for RequestBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestBody({} bytes)", self.len)
    }
}

/// An async request body: a stream of exactly [`AsyncRequestBody::len`] bytes.
pub struct AsyncRequestBody {
    stream: Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>,
    len: u64,
}

impl AsyncRequestBody {
    /// A body of `len` bytes taken from `stream`.
    pub fn new(stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static, len: u64) -> Self {
        AsyncRequestBody {
            stream: Box::pin(stream),
            len,
        }
    }

    /// A body of bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        let chunks = (len > 0).then_some(Ok(bytes));
        AsyncRequestBody::new(futures_util::stream::iter(chunks), len)
    }

    /// No body.
    pub fn empty() -> Self {
        AsyncRequestBody::from_bytes(Bytes::new())
    }

    /// The exact number of bytes the body holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Stream for AsyncRequestBody {
    type Item = io::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for AsyncRequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AsyncRequestBody({} bytes)", self.len)
    }
}

/// A blocking response body, read as it arrives.
pub struct ResponseBody(Box<dyn Read + Send>);

impl ResponseBody {
    /// Wraps a reader over the response's bytes. A timeout while reading should be an
    /// `io::ErrorKind::TimedOut` error, so it is reported (and retried) as one.
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
        let chunks = (!bytes.is_empty()).then_some(Ok(bytes));
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
/// `Content-Length`), streams the body, and returns the response as soon as its head arrives,
/// with the body still to be read. It honours `timeouts` (see [`Timeouts`] for what each
/// bounds) and reports a timeout as [`TransportErrorKind::Timeout`]. It must not follow
/// redirects (they would carry the API key elsewhere) and must return error statuses as
/// responses, not as errors.
///
/// A closure becomes a transport through [`transport_fn`].
///
/// [`TransportErrorKind::Timeout`]: files_core::TransportErrorKind::Timeout
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response with its body unread.
    fn send(
        &self,
        request: http::Request<RequestBody>,
        timeouts: &Timeouts,
    ) -> Result<http::Response<ResponseBody>, TransportError>;
}

/// Forwards both transport traits to the transport behind a pointer, so boxed and shared
/// (`dyn`) transports are transports.
macro_rules! forward_transports {
    ($($pointer:ty),*) => {$(
        impl<T: Transport + ?Sized> Transport for $pointer {
            fn send(
                &self,
                request: http::Request<RequestBody>,
                timeouts: &Timeouts,
            ) -> Result<http::Response<ResponseBody>, TransportError> {
                (**self).send(request, timeouts)
            }
        }

        #[async_trait::async_trait]
        impl<T: AsyncTransport + ?Sized> AsyncTransport for $pointer {
            async fn send(
                &self,
                request: http::Request<AsyncRequestBody>,
                timeouts: &Timeouts,
            ) -> Result<http::Response<AsyncResponseBody>, TransportError> {
                (**self).send(request, timeouts).await
            }
        }
    )*};
}

forward_transports!(&T, Box<T>, Arc<T>);

/// A blocking transport made from a closure; see [`transport_fn`].
#[derive(Clone)]
pub struct FnTransport<F>(F);

impl<F> std::fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnTransport(..)")
    }
}

/// Makes a blocking transport of a closure that answers a request (tests, canned answers,
/// an HTTP client of your own). The closure sees no [`Timeouts`]: it is responsible for its
/// own.
///
/// ```
/// use files_io::transport::{transport_fn, ResponseBody};
/// let transport = transport_fn(|_request| {
///     Ok(http::Response::new(ResponseBody::from_bytes(r#"{"object":"list","data":[]}"#)))
/// });
/// # let _ = transport;
/// ```
pub fn transport_fn<F>(f: F) -> FnTransport<F>
where
    F: Fn(http::Request<RequestBody>) -> Result<http::Response<ResponseBody>, TransportError>
        + Send
        + Sync,
{
    FnTransport(f)
}

impl<F> Transport for FnTransport<F>
where
    F: Fn(http::Request<RequestBody>) -> Result<http::Response<ResponseBody>, TransportError>
        + Send
        + Sync,
{
    fn send(
        &self,
        request: http::Request<RequestBody>,
        _timeouts: &Timeouts,
    ) -> Result<http::Response<ResponseBody>, TransportError> {
        (self.0)(request)
    }
}

/// Carries one HTTP exchange, asynchronously; the same contract as [`Transport`].
#[async_trait::async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` and returns the response with its body unread.
    async fn send(
        &self,
        request: http::Request<AsyncRequestBody>,
        timeouts: &Timeouts,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError>;
}

/// An async transport made from a closure; see [`async_transport_fn`].
#[derive(Clone)]
pub struct AsyncFnTransport<F>(F);

impl<F> std::fmt::Debug for AsyncFnTransport<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsyncFnTransport(..)")
    }
}

/// Makes an async transport of a closure that returns a future of the response. The closure
/// sees no [`Timeouts`]: it is responsible for its own.
pub fn async_transport_fn<F, Fut>(f: F) -> AsyncFnTransport<F>
where
    F: Fn(http::Request<AsyncRequestBody>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<AsyncResponseBody>, TransportError>> + Send,
{
    AsyncFnTransport(f)
}

#[async_trait::async_trait]
impl<F, Fut> AsyncTransport for AsyncFnTransport<F>
where
    F: Fn(http::Request<AsyncRequestBody>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<AsyncResponseBody>, TransportError>> + Send,
{
    async fn send(
        &self,
        request: http::Request<AsyncRequestBody>,
        _timeouts: &Timeouts,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError> {
        (self.0)(request).await
    }
}
