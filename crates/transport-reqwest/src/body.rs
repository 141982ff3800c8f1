//! [`ActivityBody`]: an `http_body::Body` over a request body stream, with an exact size hint
//! (so reqwest sends `Content-Length`) and a record of its progress for the idle limit.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use files_io::transport::AsyncRequestBody;
use futures_util::Stream;
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;
use tokio::sync::watch;

/// How far sending a request body has come: `started` once the connection first asks for
/// it, then a change with every chunk handed over, and `done` once the last one has gone (or
/// the body was dropped). `awaiting_source` while the connection waits on the body's own
/// source (a slow disk, the caller's reader), which is no fault of the server's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sending {
    pub(crate) started: bool,
    pub(crate) chunks: u64,
    pub(crate) awaiting_source: bool,
    pub(crate) done: bool,
}

/// A request body streamed from the client's pump.
pub(crate) struct ActivityBody {
    stream: SyncWrapper<AsyncRequestBody>,
    len: u64,
    progress: watch::Sender<Sending>,
}

impl ActivityBody {
    pub(crate) fn new(body: AsyncRequestBody, progress: watch::Sender<Sending>) -> Self {
        ActivityBody {
            len: body.len(),
            stream: SyncWrapper::new(body),
            progress,
        }
    }
}

impl http_body::Body for ActivityBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let polled = Pin::new(self.stream.get_mut()).poll_next(cx);
        self.progress.send_if_modified(|s| {
            let before = *s;
            s.started = true;
            match &polled {
                Poll::Pending => s.awaiting_source = true,
                Poll::Ready(Some(Ok(_))) => {
                    s.chunks += 1;
                    s.awaiting_source = false;
                }
                Poll::Ready(_) => s.done = true,
            }
            *s != before
        });
        polled.map(|item| item.map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

impl Drop for ActivityBody {
    fn drop(&mut self) {
        self.progress.send_modify(|s| s.done = true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    #[tokio::test]
    async fn chunks_pass_through_with_an_exact_size_and_progress() {
        let (tx, rx) = watch::channel(Sending::default());
        let chunks = vec![
            Ok(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"cde")),
        ];
        let body = AsyncRequestBody::new(futures_util::stream::iter(chunks), 5);
        let mut body = ActivityBody::new(body, tx);
        assert_eq!(body.size_hint().exact(), Some(5));
        let mut out = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            out.extend_from_slice(frame.unwrap().data_ref().unwrap());
        }
        assert_eq!(out, b"abcde");
        assert_eq!(
            *rx.borrow(),
            Sending {
                started: true,
                chunks: 2,
                awaiting_source: false,
                done: true
            }
        );
    }
}
