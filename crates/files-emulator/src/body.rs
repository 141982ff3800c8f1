//! A request body that counts the bytes it delivers and can be drained after a parser gives up.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, BodyDataStream};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

/// A cloneable handle on one request body; every handle reads from the same stream.
///
/// The multipart parser consumes one handle; if it stops early (an error, a rejected
/// upload), the dispatcher drains the rest through another so the client can finish
/// sending and read the response, and so the byte count covers the whole body.
#[derive(Clone)]
pub(crate) struct SharedBody {
    inner: Arc<Mutex<BodyDataStream>>,
    received: Arc<AtomicU64>,
}

impl SharedBody {
    /// Wraps a request body.
    pub(crate) fn new(body: Body) -> Self {
        SharedBody {
            inner: Arc::new(Mutex::new(body.into_data_stream())),
            received: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The number of body bytes received so far.
    pub(crate) fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Reads and discards the rest of the body (stopping at a transport error).
    pub(crate) async fn drain(&mut self) {
        while let Some(chunk) = self.next().await {
            if chunk.is_err() {
                break;
            }
        }
    }
}

impl Stream for SharedBody {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut stream = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let poll = Pin::new(&mut *stream).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &poll {
            self.received
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_across_handles() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ];
        let mut body = SharedBody::new(Body::from_stream(futures_util::stream::iter(chunks)));
        let mut reader = body.clone();
        let first = reader.next().await;
        assert!(matches!(first, Some(Ok(ref b)) if b.as_ref() == b"hello "));
        drop(reader);
        body.drain().await;
        assert_eq!(body.bytes_received(), 11);
    }
}
