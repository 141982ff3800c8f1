//! The async driver: the blocking driver's loop, awaiting instead of blocking. It knows no
//! operation: it does what the machine says.

use std::collections::VecDeque;
use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use files_core::extend::body::{OneShotSource, PathRange};
use files_core::extend::ops::{Attempt, Event, Next, Operation, Slot};
use files_core::{Error, LocalFileError, LocalFileOp, Result, TransportError};
use files_io::BodyPump;
use files_io::local::AsyncLocalFiles;
use files_io::transport::{AsyncResponseBody, AsyncTransport};
use futures_util::future::{self, BoxFuture, Either};
use futures_util::stream::{self, BoxStream, FuturesUnordered};
use futures_util::{FutureExt, Stream, StreamExt};
use tracing::Instrument;
use tracing::instrument::WithSubscriber as _;

use crate::attempt::{self, Received, Streamed};
use crate::blocking::{Batch, abandoned, driver_bug, finished};
use crate::env::AsyncEnvironment;
use crate::hold::RateHold;
use crate::trace::{self, AttemptLog};

/// What the driver works with.
#[derive(Clone)]
pub(crate) struct AsyncDriver {
    pub(crate) transport: Arc<dyn AsyncTransport>,
    pub(crate) files: Arc<dyn AsyncLocalFiles>,
    pub(crate) env: Arc<dyn AsyncEnvironment>,
    /// A rate-limit pause that holds every request of the client (shared by its clones).
    pub(crate) hold: Arc<RateHold>,
}

impl AsyncDriver {
    /// Runs `op` until it is done, in a span of its own; a body the machine asked to stream
    /// comes back with the output.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: &mut O,
    ) -> Result<(O::Output, Option<Streamed<AsyncResponseBody>>)> {
        let span = trace::operation_span(op.name());
        self.run_in(op, span).await
    }

    /// Runs `op` until it is done, in `span` (one span for all of a listing's pages).
    pub(crate) async fn run_in<O: Operation>(
        &self,
        op: &mut O,
        span: tracing::Span,
    ) -> Result<(O::Output, Option<Streamed<AsyncResponseBody>>)> {
        async move {
            let mut kept = None;
            // Attempts started alongside others, polled together with whatever the loop
            // awaits; outcomes that arrive meanwhile wait in `ready` for the next poll.
            let mut flight: FuturesUnordered<BoxFuture<'_, (Slot, Event)>> =
                FuturesUnordered::new();
            let mut ready: VecDeque<(Slot, Event)> = VecDeque::new();
            loop {
                while let Some(Some(outcome)) = flight.next().now_or_never() {
                    ready.push_back(outcome);
                }
                while let Some((slot, event)) = ready.pop_front() {
                    op.handle(finished(slot, event), self.env.now());
                }
                let next = op.poll(self.env.now(), self.env.random());
                crate::notices::deliver(op);
                match next {
                    Next::Inspect { path, prefix_len } => {
                        let inspect = self.files.inspect(&path, prefix_len);
                        let probe = alongside(inspect, &mut flight, &mut ready).await;
                        op.handle(Event::Inspected(probe), self.env.now());
                    }
                    Next::Send(attempt) => {
                        let send = self.send(attempt, &mut kept);
                        let event = alongside(send, &mut flight, &mut ready).await;
                        op.handle(event, self.env.now());
                    }
                    Next::Sleep(pause) => {
                        self.hold.keep(&pause, self.env.now().monotonic);
                        trace::pausing(&pause);
                        let sleep = self.env.sleep(pause.duration);
                        alongside(sleep, &mut flight, &mut ready).await;
                    }
                    Next::Start {
                        slot,
                        attempt,
                        after,
                        abandon,
                    } => {
                        if let Some(pause) = &after {
                            self.hold.keep(pause, self.env.now().monotonic);
                        }
                        // A task of its own, so the attempt moves on another worker while
                        // this loop works (hashing a chunk, say); aborted if the operation
                        // is dropped.
                        let driver = self.clone();
                        let task = Spawned(tokio::spawn(
                            async move {
                                if let Some(pause) = after {
                                    trace::pausing(&pause);
                                    driver.env.sleep(pause.duration).await;
                                }
                                if abandon.is_raised() {
                                    return Event::Failed(abandoned());
                                }
                                driver.send(attempt, &mut None).await
                            }
                            .in_current_span()
                            .with_current_subscriber(),
                        ));
                        flight.push(Box::pin(async move {
                            let event = match task.await {
                                Ok(event) => event,
                                Err(e) => Event::Failed(driver_bug(&format!(
                                    "lost a started attempt ({e})"
                                ))),
                            };
                            (slot, event)
                        }));
                    }
                    Next::Await => match flight.next().await {
                        Some(outcome) => ready.push_back(outcome),
                        None => return Err(driver_bug("waited with nothing in flight")),
                    },
                    Next::Read { path, offset, len } => {
                        let read = read_range(&*self.files, &path, offset, len);
                        let bytes = alongside(read, &mut flight, &mut ready).await;
                        op.handle(Event::Read(bytes), self.env.now());
                    }
                    Next::Pull { source, len } => {
                        let bytes = alongside(pull(source, len), &mut flight, &mut ready).await;
                        op.handle(Event::Read(bytes), self.env.now());
                    }
                    Next::Done(result) => return result.map(|output| (output, kept.take())),
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Sends one attempt: the body pumped from its description, the response read as the
    /// attempt's plan says (or kept, for a download).
    async fn send(
        &self,
        mut attempt: Box<Attempt>,
        kept: &mut Option<Streamed<AsyncResponseBody>>,
    ) -> Event {
        // A rate limit another request of this client met, with the wait the server named:
        // waited out once (a clock that does not move on must not hold it forever).
        if let Some(left) = self.hold.left(self.env.now().monotonic) {
            trace::held(left);
            self.env.sleep(left).await;
        }
        let log = AttemptLog::start(&attempt, self.env.now());
        let (parts, body) = std::mem::take(&mut attempt.request).into_parts();
        let (body, failure) =
            body.into_async_request_body(self.files.clone(), files_io::attempt_observer(&attempt));
        let answer = self
            .transport
            .send(http::Request::from_parts(parts, body), &attempt.timeouts)
            .await;
        let event =
            match attempt::received(&mut attempt, answer, &failure, kept, &log, self.env.now()) {
                Received::Event(event) => event,
                Received::Read { head, body, limit } => {
                    attempt::read(head, read_up_to(body, limit).await)
                }
            };
        attempt::finished(event, &log, self.env.now())
    }

    /// The items of an operation whose outputs are batches, as a lazy stream that fetches
    /// the next batch only when the last is used up. After an error it ends.
    pub(crate) fn items<O>(
        self,
        op: O,
    ) -> BoxStream<'static, Result<<O::Output as Batch>::Item, Error>>
    where
        O: Operation + 'static,
        O::Output: Batch,
        <O::Output as Batch>::Item: Send + 'static,
    {
        let span = trace::operation_span(op.name());
        stream::unfold(Some((self, op, span)), |state| async move {
            let (driver, mut op, span) = state?;
            match driver.run_in(&mut op, span.clone()).await {
                Ok((output, _)) => {
                    let batch = output.into_batch()?;
                    let items = stream::iter(batch.into_iter().map(Ok));
                    Some((items.boxed(), Some((driver, op, span))))
                }
                Err(error) => Some((stream::once(async { Err(error) }).boxed(), None)),
            }
        })
        .flatten()
        .boxed()
    }
}

/// A spawned task that is aborted when dropped: an operation dropped half-way (a cancelled
/// future, a timeout) leaves no attempt running.
struct Spawned<T>(tokio::task::JoinHandle<T>);

impl<T> Future for Spawned<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `action` while the attempts in flight keep moving; their outcomes go to `ready`.
async fn alongside<T>(
    action: impl Future<Output = T>,
    flight: &mut FuturesUnordered<BoxFuture<'_, (Slot, Event)>>,
    ready: &mut VecDeque<(Slot, Event)>,
) -> T {
    let mut action = pin!(action);
    loop {
        if flight.is_empty() {
            return action.await;
        }
        match future::select(action.as_mut(), flight.next()).await {
            Either::Left((output, _)) => return output,
            Either::Right((Some(outcome), _)) => ready.push_back(outcome),
            Either::Right((None, _)) => {}
        }
    }
}

/// The next `len` bytes of a one-shot source: a stream read here, a blocking reader on a
/// thread where blocking is allowed.
async fn pull(source: OneShotSource, len: usize) -> Result<Bytes, LocalFileError> {
    match source {
        OneShotSource::Stream(stream) => files_io::pull::pull_stream(&stream, len).await,
        OneShotSource::Reader(reader) => {
            tokio::task::spawn_blocking(move || files_io::pull::pull_reader(&reader, len))
                .await
                .unwrap_or_else(|e| {
                    Err(LocalFileError::new(
                        LocalFileOp::Read,
                        "the upload's reader",
                        std::io::Error::other(format!("the reading thread failed: {e}")),
                    ))
                })
        }
    }
}

/// Reads `len` bytes of `path` from `offset` (fewer at its end).
async fn read_range(
    files: &dyn AsyncLocalFiles,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<Bytes, LocalFileError> {
    let mut stream = files.open_range(PathRange {
        path: path.to_owned(),
        offset,
        len: len as u64,
    });
    let mut bytes = BytesMut::with_capacity(len);
    while bytes.len() < len {
        match stream.next().await {
            Some(Ok(chunk)) => {
                let room = len - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Some(Err(e)) => return Err(LocalFileError::new(LocalFileOp::Read, path, e)),
            None => break,
        }
    }
    Ok(bytes.freeze())
}

/// Reads at most `limit` bytes of a response body.
async fn read_up_to(
    mut body: impl Stream<Item = Result<Bytes, TransportError>> + Unpin,
    limit: usize,
) -> Result<Bytes, TransportError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = limit - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= limit {
            break;
        }
    }
    Ok(bytes.freeze())
}
