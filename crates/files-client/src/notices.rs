//! What both drivers do with the notices a machine queues: hand each to its observer, after
//! every poll, before doing what the poll asked (so a retry is heard before its pause).
//!
//! The observer is the caller's code. A panic in it while it hears a notice is caught here and
//! logged, and the operation goes on. (Byte counts reach the observer from the pump, on the
//! thread moving the bytes: a panic there fails a part's attempt, which the driver catches, or
//! unwinds to the caller of a single request, as the caller's own panic.)

use std::panic::AssertUnwindSafe;

use files_core::extend::ops::{News, Notice, Operation};

/// Delivers everything `op` has queued, oldest first.
pub(crate) fn deliver(op: &mut impl Operation) {
    while let Some(notice) = op.poll_notice() {
        deliver_one(notice);
    }
}

fn deliver_one(notice: Notice) {
    let Notice { observer, news, .. } = notice;
    let heard = std::panic::catch_unwind(AssertUnwindSafe(|| match &news {
        News::Retrying(notice) => observer.retrying(notice),
        News::Warning(warning) => observer.warning(warning),
        News::UploadStarted(started) => observer.upload_started(started),
        News::PartDone(part) => observer.part_done(part),
        News::Reconciled(notice) => {
            match (&notice.found, &notice.failed) {
                (Some(id), _) => tracing::info!(
                    operation = notice.operation,
                    file_id = %id,
                    looked_at = notice.looked_at,
                    "the lost attempt had stored the file: returning it instead of uploading again"
                ),
                (None, Some(failed)) => tracing::info!(
                    operation = notice.operation,
                    failed = %failed,
                    "could not look for the file a lost attempt may have stored; sending again"
                ),
                (None, None) => tracing::info!(
                    operation = notice.operation,
                    looked_at = notice.looked_at,
                    "the lost attempt stored no file; sending again"
                ),
            }
            observer.reconciled(notice);
        }
        _ => {}
    }));
    if heard.is_err() {
        tracing::warn!(news = ?news, "the observer panicked on a notice; the operation goes on");
    }
}
