//! [`WaitForProcessing`]: poll a file until its status is final.
//!
//! ```text
//!   Retrieve (an exchange, with its retries) ──final status──▶ Done(file)
//!       ▲                  │
//!       │                  └──not yet: time left? ──yes──▶ Sleep(interval, or what is left)
//!       └───────────────────────────────────────────────────────┘
//!                                         └──no──▶ Done(ProcessingTimeout)
//! ```
//!
//! Final: `processed`, `error` and `deleted`, StepFun's `success`, and no status at all (a
//! provider that does not report processing). A file whose processing failed is returned
//! like any other: its `status` and `status_details` say why. The deadline is checked
//! between checks: the last check ends at it, give or take that check's own retries. Checks
//! are at least [`MIN_POLL_INTERVAL`] apart, so a zero interval cannot hammer the server.

use std::sync::Arc;
use std::time::Duration;

use super::exchange::Exchange;
use super::{Event, Next, Notice, Now, Operation, Outbox, Pause, PauseCause};
use crate::error::ProcessingTimeout;
use crate::file_objects::FileObject;
use crate::options::{Polling, RequestOptions};
use crate::provider::Provider;
use crate::purpose::FileStatus;

/// The shortest pause between two checks.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Whether a file's status means processing is over.
pub fn is_final(status: Option<&FileStatus>) -> bool {
    match status {
        None => true,
        Some(s) => [
            FileStatus::PROCESSED,
            FileStatus::ERROR,
            FileStatus::SUCCESS,
            FileStatus::DELETED,
            FileStatus::OK,
        ]
        .contains(s),
    }
}

/// Polls a file until its processing is over, or gives up after [`Polling::max_wait`].
pub struct WaitForProcessing {
    provider: Arc<dyn Provider>,
    id: String,
    options: RequestOptions,
    polling: Polling,
    started: Option<Duration>,
    checks: u32,
    check: Exchange<FileObject>,
    outbox: Outbox,
    finished: bool,
}

impl std::fmt::Debug for WaitForProcessing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForProcessing")
            .field("id", &self.id)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

impl WaitForProcessing {
    /// Waits for file `id`, polling as `polling` says.
    pub fn new(
        provider: Arc<dyn Provider>,
        id: impl Into<String>,
        polling: Polling,
        options: RequestOptions,
    ) -> Self {
        let id = id.into();
        let check = Exchange::retrieve(&*provider, &id, &options);
        WaitForProcessing {
            provider,
            id,
            outbox: Outbox::new(options.observer_value()),
            options,
            polling,
            started: None,
            checks: 0,
            check,
            finished: false,
        }
    }
}

impl Operation for WaitForProcessing {
    type Output = FileObject;

    fn name(&self) -> &'static str {
        "files.wait_for_processing"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<FileObject> {
        if self.finished {
            return self.check.poll(now, random);
        }
        let started = *self.started.get_or_insert(now.monotonic);
        let next = self.check.poll(now, random);
        self.outbox.forward(&mut self.check);
        let file = match next {
            Next::Done(Ok(file)) => file,
            Next::Done(Err(error)) => {
                self.finished = true;
                return Next::Done(Err(error));
            }
            other => return other,
        };
        self.checks += 1;
        if is_final(file.status.as_ref()) {
            self.finished = true;
            return Next::Done(Ok(file));
        }
        let waited = now.monotonic.saturating_sub(started);
        let left = self.polling.max_wait.saturating_sub(waited);
        if left.is_zero() {
            self.finished = true;
            return Next::Done(Err(ProcessingTimeout {
                file_id: self.id.clone(),
                status: file.status,
                waited,
                checks: self.checks,
            }
            .into()));
        }
        self.check = Exchange::retrieve(&*self.provider, &self.id, &self.options);
        Next::Sleep(Pause {
            duration: self.polling.interval.max(MIN_POLL_INTERVAL).min(left),
            cause: PauseCause::Poll {
                file_id: file.id,
                status: file.status,
            },
            holds_client: false,
        })
    }

    fn handle(&mut self, event: Event, now: Now) {
        self.check.handle(event, now);
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::ops::scenario::{Scenario, file_json};
    use crate::wire::tests::TestProvider;

    fn wait(polling: Polling) -> Scenario<WaitForProcessing> {
        Scenario::new(WaitForProcessing::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            polling,
            RequestOptions::new(),
        ))
    }

    #[test]
    fn polls_every_interval_until_processed() {
        let mut s = wait(Polling::new());
        for _ in 0..2 {
            s.expect_send();
            s.respond(200, &[], &file_json("file-1", Some("uploaded")));
            let pause = s.expect_sleep();
            assert_eq!(pause.duration, Duration::from_secs(5));
            assert!(
                matches!(pause.cause, PauseCause::Poll { status: Some(ref s), .. } if s.as_str() == "uploaded")
            );
        }
        s.expect_send();
        s.respond(200, &[], &file_json("file-1", Some("processed")));
        assert_eq!(s.expect_done().unwrap().status, Some(FileStatus::PROCESSED));
    }

    #[test]
    fn final_statuses_include_stepfuns_and_none() {
        for status in [
            Some("processed"),
            Some("error"),
            Some("success"),
            Some("deleted"),
            Some("ok"),
            None,
        ] {
            let mut s = wait(Polling::new());
            s.expect_send();
            s.respond(200, &[], &file_json("file-1", status));
            assert!(s.expect_done().is_ok(), "{status:?}");
        }
        for status in ["uploaded", "pending", "running", "deleting"] {
            assert!(!is_final(Some(&FileStatus::new(status))), "{status}");
        }
    }

    #[test]
    fn gives_up_at_the_deadline_after_a_last_check() {
        let polling = Polling::new()
            .every(Duration::from_secs(5))
            .up_to(Duration::from_secs(12));
        let mut s = wait(polling);
        let mut pauses = Vec::new();
        loop {
            s.expect_send();
            s.respond(200, &[], &file_json("file-1", Some("uploaded")));
            match s.poll() {
                crate::ops::Next::Sleep(pause) => {
                    s.advance(pause.duration);
                    pauses.push(pause.duration.as_secs());
                }
                crate::ops::Next::Done(Err(Error::ProcessingTimeout(t))) => {
                    assert_eq!(t.checks, 4);
                    assert_eq!(t.waited, Duration::from_secs(12));
                    assert_eq!(t.status, Some(FileStatus::UPLOADED));
                    assert!(
                        t.to_string().starts_with(
                            "file-1 was still 'uploaded' after waiting 12s (4 checks)"
                        ),
                        "{t}"
                    );
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(pauses, [5, 5, 2], "the last pause ends at the deadline");
    }

    #[test]
    fn a_zero_interval_still_pauses() {
        let mut s = wait(Polling::new().every(Duration::ZERO));
        s.expect_send();
        s.respond(200, &[], &file_json("file-1", Some("uploaded")));
        assert_eq!(s.expect_sleep().duration, MIN_POLL_INTERVAL);
    }

    #[test]
    fn a_failed_check_ends_the_wait() {
        let mut s = wait(Polling::new());
        s.expect_send();
        s.respond(
            404,
            &[],
            r#"{"error":{"message":"No such File object: file-1"}}"#,
        );
        assert_eq!(s.expect_done().unwrap_err().status(), Some(404));
    }

    #[test]
    fn it_is_named_for_traces_and_notices() {
        let op = WaitForProcessing::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            Polling::new(),
            RequestOptions::new(),
        );
        assert_eq!(op.name(), "files.wait_for_processing");
    }
}
