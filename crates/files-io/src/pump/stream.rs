//! The async face of the pump: a [`Body`] as one stream of exactly its length, under the
//! same rules as the blocking reader.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use files_core::extend::body::{Body, Segment};
use files_core::{LocalFileError, Observer};

use super::check::{PayloadProgress, SegmentCheck, SendFailure, Source};
use crate::ByteStream;
use crate::local::AsyncLocalFiles;
use crate::transport::AsyncRequestBody;

/// See [`BodyPump::into_async_request_body`](super::BodyPump::into_async_request_body).
pub(super) fn async_request_body(
    body: Body,
    files: Arc<dyn AsyncLocalFiles>,
    observer: Option<Arc<dyn Observer>>,
) -> (AsyncRequestBody, SendFailure) {
    let failure = SendFailure::default();
    let len = body.len();
    let progress = match (observer, body.payload()) {
        (Some(observer), Some(payload)) => Some(PayloadProgress::start(observer, payload)),
        _ => None,
    };
    let stream = BodyStream {
        segments: body.into_segments().into_iter(),
        current: None,
        files,
        failure: failure.clone(),
        progress,
        finished: false,
        left: len,
    };
    (AsyncRequestBody::new(stream, len), failure)
}

/// The segment being streamed.
enum Current {
    /// Bytes in memory, sent as one chunk.
    Bytes(Bytes),
    /// A file range or the caller's source, held to its declared length. `overflow` is set
    /// when a chunk went past the declared length: its declared part has been passed on, and
    /// the error follows.
    Checked {
        stream: ByteStream,
        check: SegmentCheck,
        overflow: bool,
    },
}

struct BodyStream {
    segments: std::vec::IntoIter<Segment>,
    current: Option<Current>,
    files: Arc<dyn AsyncLocalFiles>,
    failure: SendFailure,
    progress: Option<PayloadProgress>,
    finished: bool,
    /// The bytes of the body not yet handed to the transport.
    left: u64,
}

impl BodyStream {
    fn open(&self, segment: Segment) -> Result<Option<Current>, LocalFileError> {
        let checked = |stream, source, len| Current::Checked {
            stream,
            check: SegmentCheck::new(source, len),
            overflow: false,
        };
        Ok(Some(match segment {
            Segment::Bytes(bytes) => Current::Bytes(bytes),
            Segment::Path(range) if range.len == 0 => return Ok(None),
            Segment::Path(range) => {
                let source = Source::Path(range.path.clone());
                let len = range.len;
                checked(self.files.open_range(range), source, len)
            }
            Segment::Reader(one_shot) => {
                let reader = one_shot.take().ok_or_else(|| Source::Reader.consumed())?;
                let stream = self.files.read_blocking(reader);
                checked(stream, Source::Reader, one_shot.len())
            }
            Segment::Stream(one_shot) => {
                let erased = one_shot.take().ok_or_else(|| Source::Stream.consumed())?;
                let stream = crate::stream_upload::unerase(erased)?;
                checked(stream, Source::Stream, one_shot.len())
            }
        }))
    }

    /// Polls the current segment: `Ready(Ok(None))` when it is finished.
    fn poll_current(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, LocalFileError>> {
        let Some(current) = &mut self.current else {
            return Poll::Ready(Ok(None));
        };
        let (stream, check, overflow) = match current {
            Current::Bytes(bytes) => {
                let bytes = std::mem::take(bytes);
                return Poll::Ready(Ok((!bytes.is_empty()).then_some(bytes)));
            }
            Current::Checked {
                stream,
                check,
                overflow,
            } => (stream, check, overflow),
        };
        if *overflow {
            return Poll::Ready(Err(check.overflowed()));
        }
        if check.is_done() {
            return Poll::Ready(Ok(None));
        }
        loop {
            let chunk = match stream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(check.ended().map(|()| None)),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(check.source().failed(e))),
                Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => continue,
                Poll::Ready(Some(Ok(chunk))) => chunk,
            };
            if check.needs_end() {
                return Poll::Ready(Err(check.overflowed()));
            }
            let taken = check.accept(chunk.len());
            if taken < chunk.len() && check.needs_end() {
                *overflow = true;
            }
            return Poll::Ready(Ok(Some(chunk.slice(..taken))));
        }
    }
}

impl Stream for BodyStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            match this.poll_current(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(Some(chunk))) => {
                    if let Some(progress) = &mut this.progress {
                        progress.advance(chunk.len());
                    }
                    this.left = this.left.saturating_sub(chunk.len() as u64);
                    if this.left == 0 {
                        this.failure.taken_whole();
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Ok(None)) => {}
                Poll::Ready(Err(error)) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(this.failure.record(error))));
                }
            }
            let Some(segment) = this.segments.next() else {
                this.finished = true;
                this.current = None;
                this.failure.taken_whole();
                return Poll::Ready(None);
            };
            match this.open(segment) {
                Ok(current) => this.current = current,
                Err(error) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(this.failure.record(error))));
                }
            }
        }
    }
}
