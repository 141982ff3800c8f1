//! Reconciling before re-sending: when an upload's attempt failed after the transport had
//! taken its whole body and no answer was read (a cut connection, a timeout waiting for the
//! head, a response cut short), the server may have stored the file. Before the retry — and
//! before giving up — the client looks for it: a listing narrowed by purpose where the
//! provider can, newest first where it can, for a file of the same name and size created
//! inside the attempts' window (widened by [`CLOCK_MARGIN`] for the clocks' skew). A match
//! is returned in place of a second upload.
//!
//! ```text
//!   attempt failed, body delivered ──▶ (the exchange's pause) ──▶ Look: list pages …
//!        ├── a match ──▶ Done(Ok(that file))                           (no re-send)
//!        └── none, or the listing failed ──▶ the held retry is sent, or the error returned
//! ```
//!
//! The limits (what could still duplicate, what could be taken for the lost file) are in
//! `docs/reliability.md`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::exchange::{Exchange, polled_when_finished};
use super::list_all::ListAll;
use super::{Attempt, Event, News, Next, Now, Operation, Outbox};
use crate::dialect::Paging;
use crate::error::Error;
use crate::file_objects::FileObject;
use crate::list_params::{ListParams, Order};
use crate::observer::ReconcileNotice;
use crate::options::RequestOptions;
use crate::provider::Provider;
use crate::purpose::Purpose;

/// How far the server's clock may be from the client's, each way, for a creation time to
/// count as inside an attempt's window.
pub const CLOCK_MARGIN: Duration = Duration::from_secs(120);
/// The most pages a look reads before it gives up (and the upload is sent again).
pub const MAX_LOOK_PAGES: u32 = 10;
/// The page size a look asks for, where the provider takes one (capped at its maximum).
const LOOK_PAGE_SIZE: u32 = 100;

/// What an upload is known by: the file it would store.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) filename: String,
    pub(crate) bytes: u64,
    pub(crate) purpose: Purpose,
}

/// One upload's watch over its attempts: when they went out, whether one failed after
/// delivering its body, and the window in which such an attempt may have stored a file.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    identity: Option<Identity>,
    last_sent: Option<SystemTime>,
    window: Option<(SystemTime, SystemTime)>,
    due: bool,
}

impl Watch {
    /// A watch for an upload of `identity`; `None` (reconciling off, or an upload with no
    /// known name and size) watches nothing.
    pub(crate) fn new(identity: Option<Identity>) -> Self {
        Watch {
            identity,
            ..Watch::default()
        }
    }

    /// An attempt is going out now.
    pub(crate) fn sending(&mut self, now: Now) {
        if self.identity.is_some() {
            self.last_sent = Some(now.wall);
        }
    }

    /// The outcome of the attempt that went out: a failure after the whole body was taken
    /// makes a look due, over a window from the first such attempt to now.
    pub(crate) fn outcome(&mut self, event: &Event, now: Now) {
        if self.identity.is_none() || !delivered(event) {
            return;
        }
        let sent = self.last_sent.unwrap_or(now.wall);
        let since = self.window.map_or(sent, |(since, _)| since.min(sent));
        self.window = Some((since, now.wall));
        self.due = true;
    }

    /// Whether a look is due; taking it clears it (one look per delivered failure).
    pub(crate) fn take_due(&mut self) -> bool {
        std::mem::take(&mut self.due)
    }

    /// The look over the window, for `provider`'s listing.
    pub(crate) fn look(
        &self,
        operation: &'static str,
        provider: Arc<dyn Provider>,
        options: &RequestOptions,
    ) -> Option<Look> {
        let identity = self.identity.clone()?;
        let (since, until) = self.window?;
        let params = look_params(&*provider, &identity.purpose);
        let ordered = params.order_value().is_some();
        Some(Look {
            operation,
            listing: ListAll::new(provider, params, options.clone()),
            identity,
            earliest: secs(since.checked_sub(CLOCK_MARGIN).unwrap_or(UNIX_EPOCH)),
            latest: secs(until + CLOCK_MARGIN),
            ordered,
            pages: 0,
            looked_at: 0,
        })
    }
}

/// Whether `event` is a failure after the request's whole body was taken by the transport,
/// with no answer read.
fn delivered(event: &Event) -> bool {
    match event {
        Event::Failed(Error::Transport(e)) => e.body_sent,
        Event::Finished { event, .. } => delivered(event),
        _ => false,
    }
}

/// Whole seconds since the epoch.
fn secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The listing a look reads: narrowed by purpose, newest first and in large pages, each
/// where the provider's listing takes it.
fn look_params(provider: &dyn Provider, purpose: &Purpose) -> ListParams {
    let dialect = provider.dialect();
    let style = &dialect.list;
    let mut params = ListParams::new();
    if style.purpose.is_some() {
        params = params.purpose(purpose.clone());
    }
    if let Some((_, values)) = &style.order
        && values.iter().any(|v| v == Order::Desc.as_str())
    {
        params = params.order(Order::Desc);
    }
    match (&style.limit, &style.paging) {
        (Some(rule), _) => params = params.limit(LOOK_PAGE_SIZE.clamp(rule.min, rule.max)),
        (None, Paging::Pages { .. }) => params = params.limit(LOOK_PAGE_SIZE),
        _ => {}
    }
    params
}

/// What a look's poll says.
pub(crate) enum LookNext {
    /// Do this for the listing.
    Next(Next<Option<Vec<FileObject>>>),
    /// The look is over: the file found, if one was.
    Over(Option<FileObject>),
}

/// A look through the listing for the file a lost attempt may have stored.
pub(crate) struct Look {
    operation: &'static str,
    listing: ListAll,
    identity: Identity,
    earliest: u64,
    latest: u64,
    ordered: bool,
    pages: u32,
    looked_at: usize,
}

impl Look {
    /// Drives the listing; the notice of the outcome goes to `notices`.
    pub(crate) fn poll(&mut self, now: Now, random: u128, notices: &mut Outbox) -> LookNext {
        loop {
            let next = self.listing.poll(now, random);
            notices.forward(&mut self.listing);
            let page = match next {
                Next::Done(Ok(Some(page))) => page,
                Next::Done(Ok(None)) => return self.over(None, None, notices),
                Next::Done(Err(error)) => return self.over(None, Some(&error), notices),
                other => return LookNext::Next(other),
            };
            self.pages += 1;
            self.looked_at += page.len();
            let older = page.iter().all(|f| f.created_at < self.earliest);
            if let Some(found) = page.into_iter().find(|f| self.matches(f)) {
                return self.over(Some(found), None, notices);
            }
            // Newest first: a page all older than the window ends the look.
            if (self.ordered && older) || self.pages >= MAX_LOOK_PAGES {
                return self.over(None, None, notices);
            }
        }
    }

    /// Feeds the listing.
    pub(crate) fn handle(&mut self, event: Event, now: Now) {
        self.listing.handle(event, now);
    }

    /// Whether `file` is the one the lost attempt may have stored: its name, size and
    /// purpose (unless the listing gives none), created inside the window. A listing that
    /// cannot be narrowed by purpose shows every purpose; a file of another is not this one.
    fn matches(&self, file: &FileObject) -> bool {
        file.filename == self.identity.filename
            && file.bytes == self.identity.bytes
            && (file.purpose == self.identity.purpose || file.purpose.as_str().is_empty())
            && (self.earliest..=self.latest).contains(&file.created_at)
    }

    fn over(
        &mut self,
        found: Option<FileObject>,
        failed: Option<&Error>,
        notices: &mut Outbox,
    ) -> LookNext {
        notices.push(News::Reconciled(ReconcileNotice {
            operation: self.operation,
            found: found.as_ref().map(|f| f.id.clone()),
            looked_at: self.looked_at,
            failed: failed.map(ToString::to_string),
        }));
        LookNext::Over(found)
    }
}

/// What a guarded exchange ends with.
pub(crate) enum Outcome<O> {
    /// The exchange's own answer.
    Answered(O),
    /// The file a lost attempt had stored, found by a look.
    Found(FileObject),
}

/// What follows a look that finds nothing.
enum Then<O> {
    /// The retry the exchange asked for, held back until the look was over.
    Send(Box<Exchange<O>>, Box<Attempt>),
    /// The exchange's final error.
    Fail(Error),
}

enum Guard<O> {
    Sending(Box<Exchange<O>>),
    Looking(Box<Look>, Then<O>),
    Over,
}

/// An exchange that may store a file (an upload, an Upload's completion), watched: after an
/// attempt that failed with its body delivered, a look comes before the retry or the error.
pub(crate) struct Guarded<O> {
    operation: &'static str,
    provider: Arc<dyn Provider>,
    options: RequestOptions,
    watch: Watch,
    state: Guard<O>,
}

impl<O: Send> Guarded<O> {
    /// `exchange`, watched for the file `identity` names (`None`: not watched).
    pub(crate) fn new(
        exchange: Exchange<O>,
        identity: Option<Identity>,
        provider: Arc<dyn Provider>,
        options: &RequestOptions,
    ) -> Self {
        Guarded {
            operation: exchange.name(),
            provider,
            options: options.clone(),
            watch: Watch::new(identity.filter(|_| options.reconciles())),
            state: Guard::Sending(Box::new(exchange)),
        }
    }

    /// The look over the watched window, if one is due and possible.
    fn look(&mut self) -> Option<Box<Look>> {
        if !self.watch.take_due() {
            return None;
        }
        let look = self
            .watch
            .look(self.operation, self.provider.clone(), &self.options)?;
        Some(Box::new(look))
    }

    /// Polls the exchange, or the look that holds it back; notices go to `outbox`.
    pub(crate) fn poll(&mut self, now: Now, random: u128, outbox: &mut Outbox) -> Next<Outcome<O>> {
        loop {
            match std::mem::replace(&mut self.state, Guard::Over) {
                Guard::Sending(mut exchange) => {
                    let next = exchange.poll(now, random);
                    outbox.forward(&mut *exchange);
                    match next {
                        Next::Send(attempt) => match self.look() {
                            Some(look) => {
                                self.state = Guard::Looking(look, Then::Send(exchange, attempt))
                            }
                            None => {
                                self.watch.sending(now);
                                self.state = Guard::Sending(exchange);
                                return Next::Send(attempt);
                            }
                        },
                        Next::Done(Err(error)) => match self.look() {
                            Some(look) => self.state = Guard::Looking(look, Then::Fail(error)),
                            None => return Next::Done(Err(error)),
                        },
                        Next::Done(Ok(answer)) => return Next::Done(Ok(Outcome::Answered(answer))),
                        other => {
                            self.state = Guard::Sending(exchange);
                            return other.pass();
                        }
                    }
                }
                Guard::Looking(mut look, then) => match look.poll(now, random, outbox) {
                    LookNext::Next(next) => {
                        self.state = Guard::Looking(look, then);
                        return next.pass();
                    }
                    // The lost attempt stored it: the held retry is never sent.
                    LookNext::Over(Some(file)) => return Next::Done(Ok(Outcome::Found(file))),
                    LookNext::Over(None) => match then {
                        Then::Send(exchange, attempt) => {
                            self.watch.sending(now);
                            self.state = Guard::Sending(exchange);
                            return Next::Send(attempt);
                        }
                        Then::Fail(error) => return Next::Done(Err(error)),
                    },
                },
                Guard::Over => return Next::Done(Err(polled_when_finished())),
            }
        }
    }

    /// Feeds the exchange (noting a delivered failure first), or the look.
    pub(crate) fn handle(&mut self, event: Event, now: Now) {
        match &mut self.state {
            Guard::Sending(exchange) => {
                self.watch.outcome(&event, now);
                exchange.handle(event, now);
            }
            Guard::Looking(look, _) => look.handle(event, now),
            Guard::Over => {}
        }
    }
}

impl std::fmt::Debug for Look {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Look")
            .field("identity", &self.identity)
            .field("earliest", &self.earliest)
            .field("latest", &self.latest)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
