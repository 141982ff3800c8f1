//! [`Observer`]: progress of uploads and downloads, the retries on the way, and the warnings
//! of the provider's rules.

use std::time::Duration;

use crate::rules::UploadWarning;
use crate::uploads::{PartProgress, SentPart, UploadStarted};

/// Receives progress as an operation runs: bytes sent for a request's payload (a file's
/// content), bytes received for a download, and each retry before it waits. Every method has
/// an empty default, so an observer implements only what it shows. When no observer is set,
/// nothing is counted.
///
/// Methods are called on the thread (or task) moving the bytes; keep them quick.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use files_core::Observer;
///
/// #[derive(Default)]
/// struct Sent(AtomicU64);
///
/// impl Observer for Sent {
///     fn sent(&self, sent: u64, _total: u64) {
///         self.0.store(sent, Ordering::Relaxed);
///     }
/// }
/// ```
pub trait Observer: Send + Sync {
    /// `sent` of the payload's `total` bytes have gone to the transport in the current
    /// attempt. Each attempt starts again at 0.
    fn sent(&self, sent: u64, total: u64) {
        let _ = (sent, total);
    }

    /// `received` bytes of a download have arrived, of `total` when the server announced it.
    fn received(&self, received: u64, total: Option<u64>) {
        let _ = (received, total);
    }

    /// An attempt failed and another will follow after `notice.wait`.
    fn retrying(&self, notice: &RetryNotice) {
        let _ = notice;
    }

    /// An upload was accepted by the provider's rules with a caveat (a deprecated purpose,
    /// audio of an unusual length), before it is sent.
    fn warning(&self, warning: &UploadWarning) {
        let _ = warning;
    }

    /// An upload in parts has an Upload to send them to: created, or resumed. What a journal
    /// records to resume it after a crash.
    fn upload_started(&self, upload: &UploadStarted) {
        let _ = upload;
    }

    /// Bytes of one part went out (each attempt starts again at 0). [`Observer::sent`] hears
    /// the whole file's count at the same time.
    fn part_sent(&self, progress: &PartProgress) {
        let _ = progress;
    }

    /// The server took a part: its id and its bytes, for a journal.
    fn part_done(&self, part: &SentPart) {
        let _ = part;
    }

    /// An upload's attempt failed after its whole body was sent, and the client looked for
    /// the file it may have stored before sending it again: what it found.
    fn reconciled(&self, notice: &ReconcileNotice) {
        let _ = notice;
    }
}

/// What an [`Observer`] hears after the client looked for the file a lost attempt may have
/// stored (see `docs/reliability.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileNotice {
    /// The operation, e.g. `files.create`.
    pub operation: &'static str,
    /// The id of the file found, returned instead of uploading again; `None`: none was, and
    /// the upload is sent again (or its error returned).
    pub found: Option<String>,
    /// How many files of the listing were looked at.
    pub looked_at: usize,
    /// Why the look could not finish (its listing failed), when it could not.
    pub failed: Option<String>,
}

/// What an [`Observer`] hears before a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryNotice {
    /// The operation, e.g. `files.create`.
    pub operation: &'static str,
    /// The attempt about to be made (2 for the first retry).
    pub attempt: u32,
    /// The most attempts the operation will make.
    pub max_attempts: u32,
    /// How long the client waits first.
    pub wait: Duration,
    /// What failed, e.g. `HTTP 503 Service Unavailable`.
    pub reason: String,
}
