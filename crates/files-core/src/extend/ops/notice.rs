//! [`Notice`]: what the application should hear, queued by a machine for its driver to deliver
//! (quinn-proto's application events). The core never calls an [`Observer`]: a machine only
//! queues, and the driver takes each notice with [`Operation::poll_notice`] and hands it on. So
//! user code never runs inside a machine, and cannot re-enter it or panic from inside it.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Operation;
use crate::observer::{Observer, ReconcileNotice, RetryNotice};
use crate::rules::UploadWarning;
use crate::uploads::{SentPart, UploadStarted};

/// One thing for an [`Observer`] to hear, and the observer that is to hear it (the one set in
/// the operation's options).
#[non_exhaustive]
pub struct Notice {
    /// Who hears it.
    pub observer: Arc<dyn Observer>,
    /// What it hears.
    pub news: News,
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notice").field("news", &self.news).finish()
    }
}

/// What a [`Notice`] says; each kind is one [`Observer`] method.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum News {
    /// An attempt failed and another follows after the wait ([`Observer::retrying`]).
    Retrying(RetryNotice),
    /// The provider's rules accepted an upload with a caveat ([`Observer::warning`]).
    Warning(UploadWarning),
    /// An upload in parts has an Upload to send them to ([`Observer::upload_started`]).
    UploadStarted(UploadStarted),
    /// The server took a part ([`Observer::part_done`]).
    PartDone(SentPart),
    /// The client looked for the file a lost attempt may have stored
    /// ([`Observer::reconciled`]).
    Reconciled(ReconcileNotice),
}

/// A machine's queue of notices: empty, and never filled, when no observer is set.
#[derive(Default)]
pub(crate) struct Outbox {
    observer: Option<Arc<dyn Observer>>,
    queue: VecDeque<Notice>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("observer", &self.observer.is_some())
            .field("queue", &self.queue)
            .finish()
    }
}

impl Outbox {
    /// A queue for `observer`'s notices.
    pub(crate) fn new(observer: Option<&Arc<dyn Observer>>) -> Self {
        Outbox {
            observer: observer.cloned(),
            queue: VecDeque::new(),
        }
    }

    /// Queues `news` for the observer, if there is one.
    pub(crate) fn push(&mut self, news: News) {
        if let Some(observer) = &self.observer {
            self.queue.push_back(Notice {
                observer: observer.clone(),
                news,
            });
        }
    }

    /// Takes over what `inner` (a step's machine) has queued, in order.
    pub(crate) fn forward(&mut self, inner: &mut impl Operation) {
        while let Some(notice) = inner.poll_notice() {
            self.queue.push_back(notice);
        }
    }

    /// The oldest notice.
    pub(crate) fn pop(&mut self) -> Option<Notice> {
        self.queue.pop_front()
    }
}
