//! A canned-scenario helper for the machines' tests: it plays the driver with a virtual clock,
//! a fixed random number and scripted outcomes, so each test reads as the exchange it checks.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;

use super::{Attempt, Event, Next, Now, Operation, Pause, Slot};
use crate::error::{Error, TransportError};
use crate::probe::FileProbe;

/// Drives one machine by hand.
pub(crate) struct Scenario<O: Operation> {
    pub(crate) op: O,
    now: Now,
    random: u128,
}

impl<O: Operation> Scenario<O>
where
    O::Output: std::fmt::Debug,
{
    pub(crate) fn new(op: O) -> Self {
        Scenario {
            op,
            now: Now {
                monotonic: Duration::ZERO,
                wall: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            },
            random: 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
        }
    }

    /// The random number the scenario hands the machine.
    pub(crate) fn random(&self) -> u128 {
        self.random
    }

    /// The virtual clock's time.
    pub(crate) fn now(&self) -> Now {
        self.now
    }

    /// Moves the virtual clock on.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.now.monotonic += by;
        self.now.wall += by;
    }

    pub(crate) fn poll(&mut self) -> Next<O::Output> {
        self.op.poll(self.now, self.random)
    }

    pub(crate) fn handle(&mut self, event: Event) {
        self.op.handle(event, self.now);
    }

    /// What the machine has queued for the observer since the last call, oldest first.
    pub(crate) fn notices(&mut self) -> Vec<crate::ops::News> {
        std::iter::from_fn(|| self.op.poll_notice())
            .map(|notice| notice.news)
            .collect()
    }

    pub(crate) fn expect_send(&mut self) -> Attempt {
        match self.poll() {
            Next::Send(attempt) => *attempt,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    /// Expects a pause and lets the virtual clock run through it.
    pub(crate) fn expect_sleep(&mut self) -> Pause {
        match self.poll() {
            Next::Sleep(pause) => {
                self.advance(pause.duration);
                pause
            }
            other => panic!("expected a pause, got {other:?}"),
        }
    }

    pub(crate) fn expect_inspect(&mut self) -> PathBuf {
        match self.poll() {
            Next::Inspect { path, .. } => path,
            other => panic!("expected an inspection, got {other:?}"),
        }
    }

    /// Expects an inspection that asks for `prefix_len` first bytes.
    pub(crate) fn expect_inspect_of(&mut self, prefix_len: usize) -> PathBuf {
        match self.poll() {
            Next::Inspect {
                path,
                prefix_len: asked,
            } => {
                assert_eq!(asked, prefix_len, "the prefix asked for");
                path
            }
            other => panic!("expected an inspection, got {other:?}"),
        }
    }

    pub(crate) fn expect_done(&mut self) -> Result<O::Output, Error> {
        match self.poll() {
            Next::Done(result) => result,
            other => panic!("expected the end, got {other:?}"),
        }
    }

    /// Answers the attempt that is out with a response.
    pub(crate) fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: &str) {
        let mut head = http::Response::builder().status(status);
        for (name, value) in headers {
            head = head.header(*name, *value);
        }
        let head = head.body(()).expect("a valid response head").into_parts().0;
        self.handle(Event::Response {
            head,
            body: Bytes::copy_from_slice(body.as_bytes()),
        });
    }

    /// Answers with a head whose body the driver keeps and streams (a download).
    pub(crate) fn stream(&mut self, status: u16, headers: &[(&str, &str)]) {
        let mut head = http::Response::builder().status(status);
        for (name, value) in headers {
            head = head.header(*name, *value);
        }
        let head = head.body(()).expect("a valid response head").into_parts().0;
        self.handle(Event::Streaming { head });
    }

    /// Expects an attempt started alongside others.
    pub(crate) fn expect_start(&mut self) -> (Slot, Attempt, Option<Pause>) {
        match self.poll() {
            Next::Start {
                slot,
                attempt,
                after,
                ..
            } => (slot, *attempt, after),
            other => panic!("expected a started attempt, got {other:?}"),
        }
    }

    /// Expects a wait for a started attempt.
    pub(crate) fn expect_await(&mut self) {
        match self.poll() {
            Next::Await => {}
            other => panic!("expected a wait for a started attempt, got {other:?}"),
        }
    }

    /// Expects a read of a local file; gives its offset and length.
    pub(crate) fn expect_read(&mut self) -> (u64, usize) {
        match self.poll() {
            Next::Read { offset, len, .. } => (offset, len),
            other => panic!("expected a read, got {other:?}"),
        }
    }

    /// Answers the started attempt `slot` with a response.
    pub(crate) fn finish(&mut self, slot: Slot, status: u16, body: &str) {
        let head = http::Response::builder()
            .status(status)
            .body(())
            .expect("a valid response head")
            .into_parts()
            .0;
        self.handle(Event::Finished {
            slot,
            event: Box::new(Event::Response {
                head,
                body: Bytes::copy_from_slice(body.as_bytes()),
            }),
        });
    }

    /// Fails the attempt that is out.
    pub(crate) fn fail(&mut self, error: TransportError) {
        self.handle(Event::Failed(error.into()));
    }

    /// Answers an inspection.
    pub(crate) fn inspected(&mut self, len: u64, prefix: &'static [u8]) {
        self.handle(Event::Inspected(Ok(FileProbe {
            len,
            prefix: Bytes::from_static(prefix),
        })));
    }
}

/// A file object as JSON.
pub(crate) fn file_json(id: &str, status: Option<&str>) -> String {
    let status = status.map_or(String::new(), |s| format!(r#","status":"{s}""#));
    format!(
        r#"{{"id":"{id}","object":"file","bytes":3,"created_at":1,"filename":"a.jsonl","purpose":"batch"{status}}}"#
    )
}
