//! The blocking driver: one loop that runs any [`Operation`] to its end over a [`Transport`],
//! local files and an [`Environment`]. It knows no operation: it does what the machine says.

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, mpsc};

use bytes::Bytes;
use files_core::extend::body::PathRange;
use files_core::extend::ops::{Attempt, Event, Next, Operation, Slot};
use files_core::{Error, LocalFileError, LocalFileOp, Result, TransportError, TransportErrorKind};
use files_io::BodyPump;
use files_io::local::LocalFiles;
use files_io::transport::{ResponseBody, Transport};

use crate::attempt::{self, Received, Streamed};
use crate::env::Environment;
use crate::hold::RateHold;
use crate::trace::{self, AttemptLog};

/// What the driver works with.
#[derive(Clone)]
pub(crate) struct Driver {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) files: Arc<dyn LocalFiles>,
    pub(crate) env: Arc<dyn Environment>,
    /// A rate-limit pause that holds every request of the client (shared by its clones).
    pub(crate) hold: Arc<RateHold>,
}

impl Driver {
    /// Runs `op` until it is done, in a span of its own; a body the machine asked to stream
    /// comes back with the output.
    pub(crate) fn run<O: Operation>(
        &self,
        op: &mut O,
    ) -> Result<(O::Output, Option<Streamed<ResponseBody>>)> {
        let span = trace::operation_span(op.name());
        self.run_in(op, &span)
    }

    /// Runs `op` until it is done, in `span` (one span for all of a listing's pages).
    /// Attempts the machine starts alongside others ([`Next::Start`]) run on scoped threads,
    /// one each, which all end before this returns.
    pub(crate) fn run_in<O: Operation>(
        &self,
        op: &mut O,
        span: &tracing::Span,
    ) -> Result<(O::Output, Option<Streamed<ResponseBody>>)> {
        let _entered = span.enter();
        std::thread::scope(|scope| self.run_scoped(op, scope))
    }

    fn run_scoped<'scope, 'env: 'scope, O: Operation>(
        &'env self,
        op: &mut O,
        scope: &'scope std::thread::Scope<'scope, 'env>,
    ) -> Result<(O::Output, Option<Streamed<ResponseBody>>)> {
        let mut kept = None;
        let (done_tx, done_rx) = mpsc::channel::<(Slot, Event)>();
        let mut out = 0usize;
        loop {
            // Outcomes already in are handed over before the machine decides anything.
            while out > 0 {
                let Ok((slot, event)) = done_rx.try_recv() else {
                    break;
                };
                out -= 1;
                op.handle(finished(slot, event), self.env.now());
            }
            let next = op.poll(self.env.now(), self.env.random());
            crate::notices::deliver(op);
            match next {
                Next::Start {
                    slot,
                    attempt,
                    after,
                    abandon,
                } => {
                    out += 1;
                    if let Some(pause) = &after {
                        self.hold.keep(pause, self.env.now().monotonic);
                    }
                    let done_tx = done_tx.clone();
                    // The thread logs where this one does: the same subscriber and span.
                    let span = tracing::Span::current();
                    let dispatch = tracing::dispatcher::get_default(Clone::clone);
                    let started = std::thread::Builder::new()
                        .name("files-part".to_owned())
                        .spawn_scoped(scope, move || {
                            // Whatever happens (a panicking observer or transport
                            // included), the loop hears of this attempt once.
                            let event = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                tracing::dispatcher::with_default(&dispatch, || {
                                    let _entered = span.enter();
                                    if let Some(pause) = after {
                                        trace::pausing(&pause);
                                        self.env.sleep(pause.duration);
                                    }
                                    if abandon.is_raised() {
                                        return Event::Failed(abandoned());
                                    }
                                    self.send(attempt, &mut None)
                                })
                            }))
                            .unwrap_or_else(|_| {
                                Event::Failed(driver_bug(
                                    "panicked while sending a started attempt",
                                ))
                            });
                            let _ = done_tx.send((slot, event));
                        });
                    if let Err(error) = started {
                        out -= 1;
                        let error = TransportError::io("starting a thread for a part", error);
                        op.handle(finished(slot, Event::Failed(error.into())), self.env.now());
                    }
                }
                Next::Await => {
                    let outcome = if out == 0 { None } else { done_rx.recv().ok() };
                    match outcome {
                        Some((slot, event)) => {
                            out -= 1;
                            op.handle(finished(slot, event), self.env.now());
                        }
                        None => return Err(driver_bug("waited with nothing in flight")),
                    }
                }
                Next::Read { path, offset, len } => {
                    let bytes = read_range(&*self.files, &path, offset, len);
                    op.handle(Event::Read(bytes), self.env.now());
                }
                Next::Pull { source, len } => {
                    let bytes = files_io::pull::pull_blocking(&source, len);
                    op.handle(Event::Read(bytes), self.env.now());
                }
                Next::Inspect { path, prefix_len } => {
                    let probe = self.files.inspect(&path, prefix_len);
                    op.handle(Event::Inspected(probe), self.env.now());
                }
                Next::Send(attempt) => {
                    let event = self.send(attempt, &mut kept);
                    op.handle(event, self.env.now());
                }
                Next::Sleep(pause) => {
                    self.hold.keep(&pause, self.env.now().monotonic);
                    trace::pausing(&pause);
                    self.env.sleep(pause.duration);
                }
                Next::Done(result) => return result.map(|output| (output, kept.take())),
            }
        }
    }

    /// Sends one attempt: the body pumped from its description, the response read as the
    /// attempt's plan says (or kept, for a download).
    fn send(&self, mut attempt: Box<Attempt>, kept: &mut Option<Streamed<ResponseBody>>) -> Event {
        // A rate limit another request of this client met, with the wait the server named:
        // waited out once (a clock that does not move on must not hold it forever).
        if let Some(left) = self.hold.left(self.env.now().monotonic) {
            trace::held(left);
            self.env.sleep(left);
        }
        let log = AttemptLog::start(&attempt, self.env.now());
        let (parts, body) = std::mem::take(&mut attempt.request).into_parts();
        let (body, failure) =
            body.into_request_body(self.files.clone(), files_io::attempt_observer(&attempt));
        let answer = self
            .transport
            .send(http::Request::from_parts(parts, body), &attempt.timeouts);
        let event =
            match attempt::received(&mut attempt, answer, &failure, kept, &log, self.env.now()) {
                Received::Event(event) => event,
                Received::Read { head, body, limit } => {
                    attempt::read(head, read_up_to(body, limit))
                }
            };
        attempt::finished(event, &log, self.env.now())
    }
}

/// The event for a started attempt's outcome.
pub(crate) fn finished(slot: Slot, event: Event) -> Event {
    Event::Finished {
        slot,
        event: Box::new(event),
    }
}

/// The outcome of a started attempt the machine called off before it was sent.
pub(crate) fn abandoned() -> Error {
    TransportError::new(
        TransportErrorKind::Other,
        "not sent: the operation had already failed",
    )
    .into()
}

/// An error for a machine that asked for something impossible.
pub(crate) fn driver_bug(what: &str) -> Error {
    TransportError::new(
        TransportErrorKind::Other,
        format!("the operation {what}; this is a bug in files-core"),
    )
    .into()
}

/// Reads `len` bytes of `path` from `offset` (fewer at its end).
fn read_range(
    files: &dyn LocalFiles,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<Bytes, LocalFileError> {
    let range = PathRange {
        path: path.to_owned(),
        offset,
        len: len as u64,
    };
    // Opening the range is part of reading it, as in the async driver (whose stream opens the
    // file when first polled): the same failure is the same error.
    let reader = files
        .open_range(&range)
        .map_err(|e| LocalFileError::new(LocalFileOp::Read, path, e))?;
    let mut bytes = Vec::with_capacity(len);
    reader
        .take(len as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| LocalFileError::new(LocalFileOp::Read, path, e))?;
    Ok(Bytes::from(bytes))
}

/// Reads at most `limit` bytes of a response body.
fn read_up_to(body: ResponseBody, limit: usize) -> Result<Bytes, TransportError> {
    let mut bytes = Vec::new();
    body.take(limit as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| TransportError::io("reading the response", e))?;
    Ok(Bytes::from(bytes))
}

/// What an [`Operation`] whose outputs are batches (a listing's pages) yields one item at a
/// time: a lazy iterator that fetches the next batch only when the last is used up, all in
/// one span.
pub(crate) struct Items<O: Operation>
where
    O::Output: Batch,
{
    driver: Driver,
    op: O,
    span: tracing::Span,
    batch: std::vec::IntoIter<<O::Output as Batch>::Item>,
    done: bool,
}

/// An output that is an optional batch of items (`None` when there are no more).
pub(crate) trait Batch {
    /// One item.
    type Item;
    /// The batch, or `None` at the end.
    fn into_batch(self) -> Option<Vec<Self::Item>>;
}

impl<T> Batch for Option<Vec<T>> {
    type Item = T;
    fn into_batch(self) -> Option<Vec<T>> {
        self
    }
}

impl<O: Operation> Items<O>
where
    O::Output: Batch,
{
    pub(crate) fn new(driver: Driver, op: O) -> Self {
        Items {
            driver,
            span: trace::operation_span(op.name()),
            op,
            batch: Vec::new().into_iter(),
            done: false,
        }
    }
}

impl<O: Operation> Iterator for Items<O>
where
    O::Output: Batch,
{
    type Item = Result<<O::Output as Batch>::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.batch.next() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            match self.driver.run_in(&mut self.op, &self.span) {
                Ok((output, _)) => match output.into_batch() {
                    Some(batch) => self.batch = batch.into_iter(),
                    None => self.done = true,
                },
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl<O: Operation> std::fmt::Debug for Items<O>
where
    O::Output: Batch,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("operation", &self.op.name())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
