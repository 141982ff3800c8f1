//! Operations as sans-IO state machines, in the style of quinn-proto: a driver asks a machine
//! what to do next and feeds it what happened; the machine decides everything else.
//!
//! ```text
//!            ┌──────────────── driver (files-client: blocking or async) ───────────────┐
//!            │  loop {                                                                  │
//!            │    let next = op.poll(now, random);                                      │
//!            │    deliver each op.poll_notice() to its observer                         │
//!            │    match next {                                                          │
//!            │      Next::Inspect{path}  → local files: size + first bytes → handle(..) │
//!            │      Next::Send(attempt)  → pump body → transport → handle(Response ..)  │
//!            │      Next::Sleep(pause)   → sleep                                        │
//!            │      Next::Done(result)   → return it                                    │
//!            │  } }                                                                     │
//!            └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every machine is built from [`Exchange`] — one request, judged by the retry rules
//! (`retry.rs`), re-sent from the start of its body while they allow — and a little state of
//! its own:
//!
//! | machine | states | output |
//! |---|---|---|
//! | [`CreateFile`] | inspect and check the path → build (with a random boundary) → exchange | [`FileObject`](crate::FileObject) |
//! | [`Exchange::list_page`], [`Exchange::retrieve`], [`Exchange::delete`] | exchange | the decoded object |
//! | [`FetchContent`] | exchange whose success body is handed to the driver unread; after [`Event::Cut`], a pause and a continuation from the byte reached | a [`Delivery`] per answer |
//! | [`AddPart`] | one part of an Upload (with a random boundary) | [`UploadPart`](crate::uploads::UploadPart) |
//! | [`ListAll`] | exchange per page, following the cursor | each page's files, then `None` |
//! | [`WaitForProcessing`] | retrieve → sleep → retrieve … until the status is final or time is up | the file |
//! | [`UploadInParts`] | inspect and check → create the Upload → parts started side by side ([`Next::Start`], [`Next::Await`]) with the file read for its MD5 ([`Next::Read`]) → complete, or cancel | the file |
//!
//! A machine that sends several requests at once returns [`Next::Start`] for each (the
//! driver runs them side by side: threads or futures) and [`Next::Await`] when it has nothing
//! else to do; each outcome comes back as [`Event::Finished`] with the attempt's [`Slot`].
//!
//! What the application should hear — a retry, a rule's warning, an Upload started, a part
//! done — a machine queues as a [`Notice`]; the driver delivers it. No machine calls user code.
//!
//! A machine never reads a clock, sleeps, draws randomness or touches a file or socket: the
//! time and a random number come with each [`Operation::poll`], and outcomes come back through
//! [`Operation::handle`]. So every rule here is tested with no network and no clock.

mod create;
mod download;
mod exchange;
mod inspect;
mod list_all;
mod notice;
mod page_walk;
mod part_share;
mod reconcile;
mod redact;
pub(crate) mod retry;
mod upload_parts;
mod upload_steps;
mod wait;

#[cfg(test)]
pub(crate) mod scenario;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::response::Parts;

use crate::body::{Body, OneShotSource};
use crate::error::{Error, LocalFileError};
use crate::observer::{Observer, RetryNotice};
use crate::options::Timeouts;
use crate::probe::FileProbe;
use crate::purpose::FileStatus;

use crate::wire::{MAX_ERROR_BODY, MAX_JSON_BODY};

pub use create::CreateFile;
pub use download::{Delivery, FetchContent};
pub use exchange::Exchange;
pub use list_all::ListAll;
pub(crate) use notice::Outbox;
pub use notice::{News, Notice};
pub use part_share::{FileTally, PartShare};
pub use reconcile::{CLOCK_MARGIN, MAX_LOOK_PAGES};
pub use retry::reason as failure_reason;
pub use upload_parts::UploadInParts;
pub use upload_steps::AddPart;
pub use wait::{MIN_POLL_INTERVAL, WaitForProcessing, is_final};

/// The time as the driver read it, handed to a machine with every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time since an origin the driver chose (fixed for the driver's lifetime):
    /// what deadlines are measured in.
    pub monotonic: Duration,
    /// Wall-clock time: what an HTTP-date `retry-after` is measured against.
    pub wall: SystemTime,
}

/// A state machine for one operation.
///
/// The driver calls [`poll`](Operation::poll) and does what it says, feeding each outcome
/// back through [`handle`](Operation::handle), until `poll` says [`Next::Done`]. A machine
/// whose output is one of many (a listing's pages) may be polled again after `Done` for the
/// next one.
pub trait Operation: Send {
    /// What the operation produces.
    type Output: Send;

    /// The operation's name, for tracing and progress (`files.create`).
    fn name(&self) -> &'static str;

    /// What the driver must do next. `random` is a fresh random number from the driver.
    fn poll(&mut self, now: Now, random: u128) -> Next<Self::Output>;

    /// What happened when the driver did what the last `poll` asked.
    fn handle(&mut self, event: Event, now: Now);

    /// The oldest [`Notice`] the machine has queued for the application, if any. The driver
    /// takes them all after every `poll` (before doing what it asked) and delivers them; the
    /// machine never calls an [`Observer`] itself. A notice queued in `handle` is heard after
    /// the next `poll`, so the machines here queue only while polled: what they queue is heard
    /// before the instruction it goes with.
    fn poll_notice(&mut self) -> Option<Notice>;
}

impl<O: Operation + ?Sized> Operation for Box<O> {
    type Output = O::Output;
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn poll(&mut self, now: Now, random: u128) -> Next<Self::Output> {
        (**self).poll(now, random)
    }
    fn handle(&mut self, event: Event, now: Now) {
        (**self).handle(event, now)
    }
    fn poll_notice(&mut self) -> Option<Notice> {
        (**self).poll_notice()
    }
}

/// What a machine asks its driver to do.
#[derive(Debug)]
#[must_use]
pub enum Next<O> {
    /// Read the size and first `prefix_len` bytes of the local file at `path`; answer with
    /// [`Event::Inspected`].
    Inspect {
        /// The file.
        path: PathBuf,
        /// How many leading bytes to read.
        prefix_len: usize,
    },
    /// Send this request; answer with [`Event::Response`], [`Event::Streaming`] or
    /// [`Event::Failed`].
    Send(Box<Attempt>),
    /// Wait, then poll again.
    Sleep(Pause),
    /// Start this attempt alongside whatever else is in flight (after waiting out `after`,
    /// if given: a retry's pause, which holds up only this attempt), and poll again at once.
    /// Its outcome comes back later as [`Event::Finished`] with the same `slot`. The driver
    /// decides how: a thread each, or a task each.
    Start {
        /// The machine's label for the attempt.
        slot: Slot,
        /// The request.
        attempt: Box<Attempt>,
        /// A pause to wait out before sending it.
        after: Option<Pause>,
        /// Raised when the machine no longer wants the attempt: a driver checks it after the
        /// pause, and then answers with a failure instead of sending.
        abandon: Abandon,
    },
    /// Wait until an attempt started with [`Next::Start`] finishes, then hand its outcome
    /// back with [`Event::Finished`]. (Outcomes that are ready before any poll are handed
    /// back then too, so a machine hears of them while it asks for other work.)
    Await,
    /// Read `len` bytes of the local file at `path` from `offset` (fewer only at its end);
    /// answer with [`Event::Read`].
    Read {
        /// The file.
        path: PathBuf,
        /// Where to start.
        offset: u64,
        /// How many bytes.
        len: usize,
    },
    /// Read the next `len` bytes of the one-shot `source` (fewer only at its end), leaving the
    /// rest of it for the next pull; answer with [`Event::Read`]. The pieces are asked for
    /// in order, one at a time.
    Pull {
        /// The reader or stream.
        source: OneShotSource,
        /// How many bytes.
        len: usize,
    },
    /// Finished with this result.
    Done(Result<O, Error>),
}

impl<O> Next<O> {
    /// The same instruction for a machine with another output, where this one's output is
    /// not due (a step's exchange still going): an output here would be a bug, reported as
    /// an error rather than a panic.
    pub(crate) fn pass<P>(self) -> Next<P> {
        match self {
            Next::Inspect { path, prefix_len } => Next::Inspect { path, prefix_len },
            Next::Send(attempt) => Next::Send(attempt),
            Next::Sleep(pause) => Next::Sleep(pause),
            Next::Done(Ok(_)) => Next::Done(Err(exchange::out_of_order(
                "finished a step where another instruction was due",
            ))),
            Next::Done(Err(error)) => Next::Done(Err(error)),
            Next::Start {
                slot,
                attempt,
                after,
                abandon,
            } => Next::Start {
                slot,
                attempt,
                after,
                abandon,
            },
            Next::Await => Next::Await,
            Next::Read { path, offset, len } => Next::Read { path, offset, len },
            Next::Pull { source, len } => Next::Pull { source, len },
        }
    }
}

/// What happened, fed to [`Operation::handle`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The local file was inspected (or could not be).
    Inspected(Result<FileProbe, LocalFileError>),
    /// A response arrived and its body was read as [`Attempt::read_plan`] said.
    Response {
        /// The status and headers.
        head: Parts,
        /// The body, up to the plan's limit.
        body: Bytes,
    },
    /// A response arrived whose body the plan said to stream: the driver keeps it for the
    /// caller.
    Streaming {
        /// The status and headers.
        head: Parts,
    },
    /// The attempt failed before a response was read: a transport error, or a local failure
    /// while sending the body (as [`Error::LocalFile`]).
    Failed(Error),
    /// An attempt started with [`Next::Start`] finished: what happened to it (a
    /// [`Event::Response`] or an [`Event::Failed`]).
    Finished {
        /// The label it was started with.
        slot: Slot,
        /// Its outcome.
        event: Box<Event>,
    },
    /// The bytes [`Next::Read`] or [`Next::Pull`] asked for (or why they could not be read).
    Read(Result<Bytes, LocalFileError>),
    /// The body a machine had the driver keep and read (a download's) failed after
    /// `received` of its bytes were delivered: what [`FetchContent`]
    /// resumes from.
    Cut {
        /// What failed.
        error: Error,
        /// Bytes delivered to the caller so far.
        received: u64,
    },
}

/// A flag a machine raises to call off the attempts it started but no longer wants (a part
/// waiting out its retry pause when another part has failed for good). Shared between the
/// machine and the driver's threads or tasks; raising it is not IO.
#[derive(Debug, Clone, Default)]
pub struct Abandon(Arc<std::sync::atomic::AtomicBool>);

impl Abandon {
    /// A flag not yet raised.
    pub fn new() -> Self {
        Abandon::default()
    }

    /// Calls the attempts off.
    pub fn raise(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the attempts were called off.
    pub fn is_raised(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A machine's label for an attempt it started alongside others ([`Next::Start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub usize);

/// One attempt at a request, for the driver to send.
#[non_exhaustive]
pub struct Attempt {
    /// The request; its body is a description the driver pumps through its local files.
    pub request: http::Request<Body>,
    /// Which attempt this is, from 1.
    pub number: u32,
    /// The most attempts the operation will make.
    pub max_attempts: u32,
    /// The limits the transport applies.
    pub timeouts: Timeouts,
    /// Who hears about bytes moving, if anyone: the byte pump (the IO edge) counts them.
    pub observer: Option<Arc<dyn Observer>>,
    /// Which part of a whole file the payload is, when it is one (the Uploads API): the pump
    /// then reports the whole file's count, and the part's.
    pub part: Option<PartShare>,
    /// Whether a success response's body goes to the caller unread (a download).
    pub stream_success: bool,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("number", &self.number)
            .field("max_attempts", &self.max_attempts)
            .field("timeouts", &self.timeouts)
            .field("observer", &self.observer.is_some())
            .field("part", &self.part)
            .field("stream_success", &self.stream_success)
            .finish()
    }
}

impl Attempt {
    /// How the driver reads the body of a response with this head: a download's success
    /// body is streamed to the caller; anything else is read up to a limit.
    pub fn read_plan(&self, head: &Parts) -> ReadPlan {
        match (head.status.is_success(), self.stream_success) {
            (true, true) => ReadPlan::Stream,
            (true, false) => ReadPlan::Buffer {
                limit: MAX_JSON_BODY + 1,
            },
            (false, _) => ReadPlan::Buffer {
                limit: MAX_ERROR_BODY,
            },
        }
    }
}

/// How to read a response body; see [`Attempt::read_plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPlan {
    /// Read at most `limit` bytes, then answer with [`Event::Response`].
    Buffer {
        /// The most bytes to read.
        limit: usize,
    },
    /// Keep the body unread for the caller, and answer with [`Event::Streaming`].
    Stream,
}

/// A wait the machine asks for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Pause {
    /// How long.
    pub duration: Duration,
    /// Why.
    pub cause: PauseCause,
    /// Whether the server asked every request to wait this out: a `429` that named its
    /// wait (`retry-after`). A driver that runs several operations for one client (bulk
    /// work) holds them all until it passes, not only the one that met it.
    pub holds_client: bool,
}

impl Pause {
    /// A pause of `duration` for `cause`, which holds no other request.
    pub fn new(duration: Duration, cause: PauseCause) -> Self {
        Pause {
            duration,
            cause,
            holds_client: false,
        }
    }
}

/// Why a machine waits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PauseCause {
    /// Before a retry (what the observer hears comes as a [`Notice`], queued with it).
    Retry(RetryNotice),
    /// Between two checks of a file still being processed.
    Poll {
        /// The file.
        file_id: String,
        /// Its status at the last check.
        status: Option<FileStatus>,
    },
}
