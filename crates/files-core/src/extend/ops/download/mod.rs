//! [`FetchContent`]: a file's content as one machine, from the first request to the last
//! continuation after a cut. The driver streams each answer's body to the caller; when the body
//! fails it feeds the machine [`Event::Cut`] and runs it again, and the machine decides
//! everything else — whether to go on (the retry rules and budget), after what pause, with
//! which request (`Range` and `If-Range`, or everything again), and whether the answer
//! continues the same file.

use std::sync::Arc;

mod resume;

use resume::Resumption;

use super::exchange::out_of_order;
use super::{Event, Exchange, News, Next, Notice, Now, Operation, Outbox, PauseCause};
use crate::content_info::ContentInfo;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::options::RequestOptions;
use crate::provider::Provider;

/// One answer of a download, ready to be read: what its head said, and how many of its first
/// bytes the caller already has (a continuation that sent everything again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The head of this answer (the first answer's, for the first delivery).
    pub info: ContentInfo,
    /// Bytes of this answer's body to drop before going on.
    pub skip: u64,
}

enum State {
    /// The first request, with its own retries.
    First(Box<Exchange<ContentInfo>>),
    /// The driver is reading a body.
    Streaming,
    /// The body failed after `received` bytes: decide at the next poll.
    Cut { error: Error, received: u64 },
    /// A continuation is being exchanged, to go on from `received`.
    Continuing {
        exchange: Box<Exchange<ContentInfo>>,
        received: u64,
    },
    /// Fed an event out of turn: the next poll fails with this.
    Refused(Error),
    /// Failed for good: every later poll fails too.
    Failed,
}

/// A file's content: the first request, then a continuation after each cut, within one retry
/// budget. Each `Done(Ok)` is a [`Delivery`] whose body the driver kept; after a cut, feed
/// [`Event::Cut`] and poll again for the next.
pub struct FetchContent {
    provider: Arc<dyn Provider>,
    id: String,
    options: RequestOptions,
    resumption: Option<Resumption>,
    outbox: Outbox,
    state: State,
}

impl std::fmt::Debug for FetchContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchContent")
            .field("id", &self.id)
            .field("resumption", &self.resumption)
            .finish_non_exhaustive()
    }
}

impl FetchContent {
    /// The content of file `id`.
    pub fn new(
        provider: Arc<dyn Provider>,
        id: impl Into<String>,
        options: RequestOptions,
    ) -> Self {
        let id = id.into();
        let first = Exchange::content(&*provider, &id, &options);
        FetchContent {
            provider,
            id,
            outbox: Outbox::new(options.observer_value()),
            options,
            resumption: None,
            state: State::First(Box::new(first)),
        }
    }

    /// Requests sent for this download so far.
    pub fn attempts(&self) -> u32 {
        match (&self.resumption, &self.state) {
            (Some(r), State::Continuing { exchange, .. }) => r.attempts() + exchange.attempts(),
            (Some(r), _) => r.attempts(),
            (None, State::First(exchange)) => exchange.attempts(),
            (None, _) => 0,
        }
    }

    fn failed(&mut self, error: Error) -> Next<Delivery> {
        self.state = State::Failed;
        Next::Done(Err(error))
    }

    /// Decides about a cut: the pause before the continuation, or the final error.
    fn after_cut(&mut self, error: Error, received: u64, random: u128) -> Next<Delivery> {
        let Some(resumption) = &mut self.resumption else {
            return self.failed(out_of_order("cut a download that never started"));
        };
        match resumption.after_failure(error, received, random) {
            Ok((pause, exchange)) => {
                if let PauseCause::Retry(notice) = &pause.cause {
                    self.outbox.push(News::Retrying(notice.clone()));
                }
                self.state = State::Continuing {
                    exchange: Box::new(exchange),
                    received,
                };
                Next::Sleep(pause)
            }
            Err(error) => self.failed(error),
        }
    }
}

impl Operation for FetchContent {
    type Output = Delivery;

    fn name(&self) -> &'static str {
        "files.content"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<Delivery> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::First(mut exchange) => {
                let next = exchange.poll(now, random);
                self.outbox.forward(&mut *exchange);
                match next {
                    Next::Done(Ok(info)) => {
                        self.resumption = Some(Resumption::new(
                            self.provider.clone(),
                            &self.id,
                            &info,
                            exchange.attempts(),
                            &self.options,
                        ));
                        self.state = State::Streaming;
                        Next::Done(Ok(Delivery { info, skip: 0 }))
                    }
                    Next::Done(Err(error)) => self.failed(error),
                    other => {
                        self.state = State::First(exchange);
                        other.pass()
                    }
                }
            }
            State::Cut { error, received } => self.after_cut(error, received, random),
            State::Refused(error) => self.failed(error),
            State::Continuing {
                mut exchange,
                received,
            } => {
                let next = exchange.poll(now, random);
                self.outbox.forward(&mut *exchange);
                let Some(resumption) = &mut self.resumption else {
                    return self.failed(out_of_order("continued a download that never started"));
                };
                match next {
                    Next::Done(Ok(info)) => {
                        match resumption.continued(&info, received, exchange.attempts()) {
                            Ok(skip) => {
                                self.state = State::Streaming;
                                Next::Done(Ok(Delivery { info, skip }))
                            }
                            Err(error) => self.failed(error),
                        }
                    }
                    Next::Done(Err(error)) => {
                        let error = resumption.gave_up(error, exchange.attempts());
                        self.failed(error)
                    }
                    other => {
                        self.state = State::Continuing { exchange, received };
                        other.pass()
                    }
                }
            }
            State::Streaming => {
                self.state = State::Streaming;
                Next::Done(Err(out_of_order("polled while the body was being read")))
            }
            State::Failed => Next::Done(Err(TransportError::new(
                TransportErrorKind::Other,
                "this download failed earlier; start it again with content()",
            )
            .into())),
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        match (&mut self.state, event) {
            (State::Streaming, Event::Cut { error, received }) => {
                self.state = State::Cut { error, received };
            }
            (State::Failed, _) => {}
            (State::First(exchange), event) if !matches!(event, Event::Cut { .. }) => {
                exchange.handle(event, now)
            }
            (State::Continuing { exchange, .. }, event) if !matches!(event, Event::Cut { .. }) => {
                exchange.handle(event, now)
            }
            _ => self.state = State::Refused(out_of_order("fed a download the wrong event")),
        }
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::scenario::Scenario;
    use crate::wire::tests::TestProvider;

    struct Anyone;
    impl crate::Observer for Anyone {}

    fn fetch(retries: u32) -> Scenario<FetchContent> {
        Scenario::new(FetchContent::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            RequestOptions::new()
                .max_retries(retries)
                .observer(Arc::new(Anyone)),
        ))
    }

    const FIRST: &[(&str, &str)] = &[
        ("content-length", "1000"),
        ("accept-ranges", "bytes"),
        ("etag", "\"v1\""),
    ];

    fn cut(s: &mut Scenario<FetchContent>, received: u64) {
        let error = TransportError::new(TransportErrorKind::Io, "reset").into();
        s.handle(Event::Cut { error, received });
    }

    #[test]
    fn a_cut_is_resumed_from_the_byte_reached_and_heard_before_the_pause() {
        let mut s = fetch(2);
        assert_eq!(s.op.name(), "files.content");
        let first = s.expect_send();
        assert!(first.stream_success, "the body goes to the caller unread");
        assert!(first.request.headers().get("range").is_none());
        s.stream(200, FIRST);
        let delivery = s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((delivery.info.len, delivery.skip), (Some(1000), 0));
        assert_eq!(s.op.attempts(), 1);

        cut(&mut s, 600);
        let pause = s.expect_sleep();
        let queued = s.notices();
        let [News::Retrying(notice)] = &queued[..] else {
            panic!("expected the retry to be queued, got {queued:?}")
        };
        assert_eq!(pause.cause, PauseCause::Retry(notice.clone()));
        assert_eq!((notice.attempt, notice.max_attempts), (2, 3));
        let again = s.expect_send();
        assert_eq!(again.request.headers()["range"], "bytes=600-");
        assert_eq!(again.request.headers()["if-range"], "\"v1\"");
        assert_eq!(s.op.attempts(), 2);
        s.stream(
            206,
            &[("content-range", "bytes 600-999/1000"), ("etag", "\"v1\"")],
        );
        let delivery = s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((delivery.info.status, delivery.skip), (206, 0));
    }

    #[test]
    fn a_whole_answer_to_a_resume_skips_what_was_delivered() {
        let mut s = fetch(2);
        s.expect_send();
        s.stream(200, &[("content-length", "1000")]);
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        cut(&mut s, 250);
        s.expect_sleep();
        let again = s.expect_send();
        assert!(
            again.request.headers().get("range").is_none(),
            "no ranges offered"
        );
        s.stream(200, &[("content-length", "1000")]);
        let delivery = s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(delivery.skip, 250);
    }

    #[test]
    fn the_budget_spans_every_request_and_a_failed_download_stays_failed() {
        let mut s = fetch(1);
        s.expect_send();
        s.stream(200, FIRST);
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        cut(&mut s, 10);
        s.expect_sleep();
        s.expect_send();
        s.stream(
            206,
            &[("content-range", "bytes 10-999/1000"), ("etag", "\"v1\"")],
        );
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        cut(&mut s, 20);
        let err = s.expect_done().unwrap_err();
        assert_eq!(
            err.to_string(),
            "connection failed while transferring: reset; gave up after 2 attempts"
        );
        assert_eq!(s.notices().len(), 1, "only the one retry was heard");
        let again = s.expect_done().unwrap_err();
        assert_eq!(
            again.to_string(),
            "HTTP client error: this download failed earlier; start it again with content()"
        );
        cut(&mut s, 30);
        assert_eq!(
            s.expect_done().unwrap_err().to_string(),
            again.to_string(),
            "a failed download ignores what it is fed"
        );
    }

    #[test]
    fn a_different_file_in_the_continuation_is_refused() {
        let mut s = fetch(3);
        s.expect_send();
        s.stream(200, FIRST);
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        cut(&mut s, 600);
        s.expect_sleep();
        s.expect_send();
        s.stream(200, &[("content-length", "1000"), ("etag", "\"v2\"")]);
        let err = s.expect_done().unwrap_err();
        assert!(err.to_string().contains("sent a different file"), "{err}");
        assert_eq!(err.attempts(), Some(2));
    }

    #[test]
    fn a_first_answer_that_fails_is_the_download_s_error() {
        let mut s = fetch(0);
        s.expect_send();
        s.respond(
            404,
            &[],
            r#"{"error":{"message":"No such File object: file-1"}}"#,
        );
        let err = s.expect_done().unwrap_err();
        assert!(err.to_string().starts_with("HTTP 404 Not Found"), "{err}");
        cut(&mut s, 0);
        assert!(s.expect_done().is_err(), "nothing more is sent");
    }

    #[test]
    fn events_out_of_turn_fail_instead_of_panicking() {
        let mut s = fetch(2);
        cut(&mut s, 5);
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string().contains("fed a download the wrong event"),
            "{err}"
        );
        let mut s = fetch(2);
        s.expect_send();
        s.stream(200, FIRST);
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string().contains("while the body was being read"),
            "{err}"
        );
        // A cut while a continuation is out is no cut of a body the caller reads.
        let mut s = fetch(2);
        s.expect_send();
        s.stream(200, FIRST);
        s.expect_done().unwrap_or_else(|e| panic!("{e}"));
        cut(&mut s, 5);
        s.expect_sleep();
        s.expect_send();
        cut(&mut s, 6);
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string().contains("fed a download the wrong event"),
            "{err}"
        );
    }
}
