//! [`Exchange`]: one request, retried under the rules of [`super::retry`], its answer decoded.
//!
//! ```text
//!   Ready ──poll──▶ Sent ──handle(success)──▶ Answered ──poll──▶ Finished (Done(Ok))
//!     ▲               │
//!     │               └──handle(failure)──▶ Failed ──poll: retry──▶ Ready (Sleep first)
//!     │                                        │
//!     └────────────────────────────────────────┘ poll: stop ──▶ Finished (Done(Err))
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::response::Parts;
use http::{HeaderMap, Method, Uri, Version};

use super::retry::{self, Verdict};
use super::{Attempt, Event, Next, Now, Operation, Pause, PauseCause};
use crate::body::Body;
use crate::download::ContentInfo;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::list::ListParams;
use crate::objects::{DeletedFile, FileList, FileObject};
use crate::options::{RequestOptions, Timeouts};
use crate::progress::{Observer, RetryNotice};
use crate::provider::Provider;
use crate::wire::{self, api_error, finish_json};

/// How a success is turned into the output.
enum Decode<O> {
    /// The body is read and decoded.
    Buffered(fn(&Parts, &[u8]) -> Result<O, Error>),
    /// The body goes to the caller unread; the output comes from the head.
    Streamed(fn(&Parts) -> O),
}

/// A request that can be built again for every attempt.
struct Prepared {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Body,
}

impl Prepared {
    fn new(request: http::Request<Body>, extra_headers: &HeaderMap) -> Self {
        let (mut parts, body) = request.into_parts();
        for (name, value) in extra_headers {
            parts.headers.insert(name.clone(), value.clone());
        }
        Prepared {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            body,
        }
    }

    fn request(&self) -> http::Request<Body> {
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers.clone();
        request
    }
}

enum State<O> {
    /// The next attempt is to be sent.
    Ready,
    /// An attempt is out.
    Sent,
    /// The last attempt failed; the next poll decides whether to retry.
    Failed(Error),
    /// The answer is in.
    Answered(Result<O, Error>),
    /// The output was handed out.
    Finished,
}

/// One request with its retries: the machine every operation is built on. Its output is
/// the decoded answer (or, for [`Exchange::content`], the head of a body left to stream).
pub struct Exchange<O> {
    name: &'static str,
    prepared: Option<Prepared>,
    decode: Decode<O>,
    max_retries: u32,
    timeouts: Timeouts,
    observer: Option<Arc<dyn Observer>>,
    attempts: u32,
    last_request_id: Option<String>,
    state: State<O>,
}

impl<O> std::fmt::Debug for Exchange<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("name", &self.name)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<O: Send> Exchange<O> {
    fn new(
        name: &'static str,
        request: Result<http::Request<Body>, Error>,
        decode: Decode<O>,
        options: &RequestOptions,
    ) -> Self {
        let (prepared, state) = match request {
            Ok(request) => (
                Some(Prepared::new(request, options.headers())),
                State::Ready,
            ),
            Err(e) => (None, State::Answered(Err(e))),
        };
        Exchange {
            name,
            prepared,
            decode,
            max_retries: options.max_retries_value(),
            timeouts: options.timeouts(),
            observer: options.observer_value().cloned(),
            attempts: 0,
            last_request_id: None,
            state,
        }
    }

    /// A request whose JSON answer is decoded by `decode`; a builder's error ends the
    /// operation at its first poll, before anything is sent.
    pub fn json(
        name: &'static str,
        request: Result<http::Request<Body>, Error>,
        decode: fn(&Parts, &[u8]) -> Result<O, Error>,
        options: &RequestOptions,
    ) -> Self {
        Exchange::new(name, request, Decode::Buffered(decode), options)
    }

    /// How many attempts have been sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    fn max_attempts(&self) -> u32 {
        self.max_retries.saturating_add(1)
    }

    fn send(&mut self) -> Next<O> {
        let Some(prepared) = &self.prepared else {
            return self.finish(Err(polled_when_finished()));
        };
        self.attempts += 1;
        self.state = State::Sent;
        Next::Send(Box::new(Attempt {
            request: prepared.request(),
            number: self.attempts,
            max_attempts: self.max_attempts(),
            timeouts: self.timeouts,
            observer: self.observer.clone(),
            stream_success: matches!(self.decode, Decode::Streamed(_)),
        }))
    }

    fn finish(&mut self, result: Result<O, Error>) -> Next<O> {
        self.state = State::Finished;
        Next::Done(result)
    }

    /// Decides about the failed attempt: a pause before the next, or the final error with
    /// the attempt count, the last request id, and why it stopped.
    fn judge(&mut self, mut error: Error, random: u128) -> Next<O> {
        let replayable = self
            .prepared
            .as_ref()
            .is_some_and(|p| p.body.is_replayable());
        let retries = self.attempts.saturating_sub(1);
        match retry::judge(&error, retries, self.max_retries, replayable, random) {
            Verdict::Retry { wait } => {
                self.state = State::Ready;
                Next::Sleep(Pause {
                    duration: wait,
                    cause: PauseCause::Retry(RetryNotice {
                        operation: self.name,
                        attempt: self.attempts + 1,
                        max_attempts: self.max_attempts(),
                        wait,
                        reason: retry::reason(&error),
                    }),
                    observer: self.observer.clone(),
                })
            }
            Verdict::Stop { note } => {
                match &mut error {
                    Error::Api(e) => {
                        e.attempts = self.attempts;
                        e.not_retried = note;
                        e.request_id = e.request_id.take().or(self.last_request_id.take());
                    }
                    Error::Transport(e) => {
                        e.attempts = self.attempts;
                        e.not_retried = note;
                        e.request_id = e.request_id.take().or(self.last_request_id.take());
                    }
                    _ => {}
                }
                self.finish(Err(error))
            }
        }
    }
}

impl<O: Send> Operation for Exchange<O> {
    type Output = O;

    fn name(&self) -> &'static str {
        self.name
    }

    fn poll(&mut self, _now: Now, random: u128) -> Next<O> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Ready => self.send(),
            State::Failed(error) => self.judge(error, random),
            State::Answered(result) => self.finish(result),
            State::Sent => {
                self.state = State::Sent;
                self.finish(Err(out_of_order("polled while an attempt was out")))
            }
            State::Finished => self.finish(Err(polled_when_finished())),
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        match self.state {
            State::Sent => {}
            State::Finished => return,
            _ => {
                let error = out_of_order("fed an event no request was waiting for");
                self.state = State::Answered(Err(error));
                return;
            }
        }
        self.state = match event {
            Event::Response { head, body } => self.answer(&head, &body, now),
            Event::Streaming { head } => match &self.decode {
                Decode::Streamed(decode) if head.status.is_success() => {
                    State::Answered(Ok(decode(&head)))
                }
                _ => State::Answered(Err(out_of_order(
                    "streamed a body that should have been read",
                ))),
            },
            Event::Failed(error) => State::Failed(error),
            Event::Inspected(_) => {
                State::Answered(Err(out_of_order("inspected a file during an exchange")))
            }
        };
    }
}

impl<O: Send> Exchange<O> {
    fn answer(&mut self, head: &Parts, body: &Bytes, now: Now) -> State<O> {
        if let Some(id) = wire::request_id(&head.headers) {
            self.last_request_id = Some(id);
        }
        if !head.status.is_success() {
            let mut error = api_error(head, body, now.wall);
            if let Some(prepared) = &self.prepared {
                redact_secrets(&mut error, &prepared.headers);
            }
            return State::Failed(error.into());
        }
        match &self.decode {
            Decode::Buffered(decode) => State::Answered(decode(head, body)),
            Decode::Streamed(_) => State::Answered(Err(out_of_order(
                "read a download's body instead of streaming it",
            ))),
        }
    }
}

/// The shortest credential that is scrubbed from a server's words (shorter ones would match
/// ordinary text).
const MIN_SECRET_LEN: usize = 8;

/// Replaces every credential the request carried (the values of its sensitive headers, with
/// any `Bearer ` scheme taken off) with `[redacted]` in what the server said: some servers
/// quote the key they refused, and an error must never show it.
fn redact_secrets(error: &mut crate::ApiError, headers: &HeaderMap) {
    let secrets: Vec<&str> = headers
        .values()
        .filter(|v| v.is_sensitive())
        .filter_map(|v| v.to_str().ok())
        .map(|v| {
            let v = v.trim();
            match v.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                _ => v,
            }
        })
        .filter(|secret| secret.len() >= MIN_SECRET_LEN)
        .collect();
    let scrub = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret) {
                *text = text.replace(secret, "[redacted]");
            }
        }
    };
    scrub(&mut error.message);
    [
        &mut error.raw_body,
        &mut error.param,
        &mut error.code,
        &mut error.kind,
    ]
    .into_iter()
    .flatten()
    .for_each(scrub);
}

/// The error of a driver that broke the protocol: a bug, reported rather than panicked on.
pub(super) fn out_of_order(what: &str) -> Error {
    TransportError::new(
        TransportErrorKind::Other,
        format!("the client's driver {what}; this is a bug in the driver"),
    )
    .into()
}

pub(super) fn polled_when_finished() -> Error {
    out_of_order("polled an operation that had finished")
}

impl Exchange<FileList> {
    /// One page of the listing.
    pub fn list_page(
        provider: &dyn Provider,
        params: &ListParams,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "files.list",
            wire::build_list(provider, params),
            |head, body| finish_json(head, body, "a file list"),
            options,
        )
    }
}

impl Exchange<FileObject> {
    /// One file's metadata.
    pub fn retrieve(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::json(
            "files.retrieve",
            wire::build_retrieve(provider, id),
            decode_file,
            options,
        )
    }
}

/// Decodes a file object.
pub(crate) fn decode_file(head: &Parts, body: &[u8]) -> Result<FileObject, Error> {
    finish_json(head, body, "a file object")
}

impl Exchange<DeletedFile> {
    /// Deletes a file.
    pub fn delete(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::json(
            "files.delete",
            wire::build_delete(provider, id),
            |head, body| finish_json(head, body, "a deleted-file object"),
            options,
        )
    }
}

impl Exchange<ContentInfo> {
    /// A file's content: the output is what the response head says about it, and the driver
    /// hands the body, unread, to the caller.
    pub fn content(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::new(
            "files.content",
            wire::build_content(provider, id),
            Decode::Streamed(ContentInfo::from_parts),
            options,
        )
    }

    /// The rest of a file's content, from a byte on (`Range: bytes=N-`, with `If-Range` when
    /// a validator is given), or all of it when `from` is `None`: the request that resumes a
    /// cut download (see [`Resumption`](crate::download::Resumption)).
    pub fn content_from(
        provider: &dyn Provider,
        id: &str,
        from: Option<(u64, Option<&str>)>,
        options: &RequestOptions,
    ) -> Self {
        let request = match from {
            None => wire::build_content(provider, id),
            Some((offset, validator)) => wire::build_content_from(provider, id, offset, validator),
        };
        Exchange::new(
            "files.content",
            request,
            Decode::Streamed(ContentInfo::from_parts),
            options,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::LocalFileOp;
    use crate::ops::scenario::{Scenario, file_json};
    use crate::wire::tests::TestProvider;

    fn retrieve(options: RequestOptions) -> Exchange<FileObject> {
        Exchange::retrieve(&TestProvider::openai_like(), "file-1", &options)
    }

    #[test]
    fn a_success_is_decoded_after_one_attempt() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        let attempt = s.expect_send();
        assert_eq!(attempt.number, 1);
        assert_eq!(attempt.max_attempts, 3);
        assert_eq!(attempt.request.uri().path(), "/v1/openai/v1/files/file-1");
        s.respond(200, &[], &file_json("file-1", None));
        assert_eq!(s.expect_done().unwrap().id, "file-1");
    }

    #[test]
    fn a_503_with_retry_after_ms_waits_as_asked_then_succeeds() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        s.expect_send();
        s.respond(
            503,
            &[("retry-after-ms", "250"), ("x-request-id", "r1")],
            "",
        );
        let pause = s.expect_sleep();
        assert_eq!(pause.duration, Duration::from_millis(250));
        let PauseCause::Retry(notice) = pause.cause else {
            panic!("{pause:?}")
        };
        assert_eq!((notice.attempt, notice.max_attempts), (2, 3));
        assert_eq!(notice.reason, "HTTP 503 Service Unavailable");
        assert_eq!(s.expect_send().number, 2);
        s.respond(200, &[], &file_json("file-1", None));
        assert!(s.expect_done().is_ok());
    }

    #[test]
    fn three_502s_fail_with_the_attempt_count_and_last_request_id() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        for n in 1..=3 {
            s.expect_send();
            s.respond(
                502,
                &[("x-request-id", &format!("req_{n}"))],
                "<html>bad</html>",
            );
            if n < 3 {
                let pause = s.expect_sleep();
                // The backoff at the scenario's random number, for retries 0 and 1.
                assert_eq!(pause.duration, retry::backoff(n - 1, s.random()));
            }
        }
        let err = s.expect_done().unwrap_err();
        assert_eq!(err.status(), Some(502));
        assert_eq!(err.attempts(), Some(3));
        assert_eq!(err.request_id(), Some("req_3"));
        assert!(
            err.to_string().contains("gave up after 3 attempts"),
            "{err}"
        );
    }

    #[test]
    fn a_transport_failure_after_an_answer_keeps_the_last_request_id() {
        let mut s = Scenario::new(retrieve(RequestOptions::new().max_retries(1)));
        s.expect_send();
        s.respond(500, &[("x-request-id", "req_a")], "");
        s.expect_sleep();
        s.expect_send();
        s.fail(TransportError::new(TransportErrorKind::Connect, "refused"));
        let err = s.expect_done().unwrap_err();
        assert_eq!(err.request_id(), Some("req_a"));
        assert_eq!(err.attempts(), Some(2));
    }

    #[test]
    fn a_local_failure_is_never_retried() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        s.expect_send();
        s.handle(Event::Failed(
            crate::LocalFileError::new(LocalFileOp::Read, "x", std::io::ErrorKind::NotFound.into())
                .into(),
        ));
        assert!(matches!(s.expect_done(), Err(Error::LocalFile(_))));
    }

    #[test]
    fn extra_headers_and_timeouts_reach_every_attempt() {
        let options = RequestOptions::new()
            .header("x-trace", "t1")
            .unwrap()
            .idle_timeout(Duration::from_secs(7));
        let mut s = Scenario::new(retrieve(options));
        let attempt = s.expect_send();
        assert_eq!(attempt.request.headers()["x-trace"], "t1");
        assert_eq!(attempt.timeouts.idle, Some(Duration::from_secs(7)));
        s.fail(TransportError::new(TransportErrorKind::Timeout, "slow"));
        s.expect_sleep();
        assert_eq!(s.expect_send().request.headers()["x-trace"], "t1");
    }

    #[test]
    fn a_validation_error_ends_the_operation_before_anything_is_sent() {
        let mut s = Scenario::new(Exchange::retrieve(
            &TestProvider::openai_like(),
            "..",
            &RequestOptions::new(),
        ));
        assert!(matches!(s.expect_done(), Err(Error::Validation(_))));
    }

    #[test]
    fn content_streams_a_success_and_reads_an_error() {
        let provider = TestProvider::openai_like();
        let mut s = Scenario::new(Exchange::content(&provider, "f", &RequestOptions::new()));
        let attempt = s.expect_send();
        let ok = http::Response::builder()
            .status(200)
            .header("content-length", "5")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(attempt.read_plan(&ok), super::super::ReadPlan::Stream);
        s.handle(Event::Streaming { head: ok });
        assert_eq!(s.expect_done().unwrap().len, Some(5));

        let mut s = Scenario::new(Exchange::content(&provider, "f", &RequestOptions::new()));
        s.expect_send();
        s.respond(
            404,
            &[],
            r#"{"error":{"message":"No such File object: f"}}"#,
        );
        let err = s.expect_done().unwrap_err();
        assert!(err.to_string().contains("No such File object: f"), "{err}");
    }

    #[test]
    fn a_key_the_server_quotes_is_redacted() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        let attempt = s.expect_send();
        let auth = attempt.request.headers()["authorization"]
            .to_str()
            .unwrap_or_default();
        let key = auth.trim_start_matches("Bearer ").to_owned();
        assert!(key.len() >= MIN_SECRET_LEN, "the test provider has a key");
        let body = format!(
            r#"{{"error":{{"message":"Incorrect API key provided: {key}","code":"{key}"}}}}"#
        );
        s.respond(401, &[], &body);
        let err = s.expect_done().unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&key), "{shown}");
        assert!(
            err.to_string()
                .contains("Incorrect API key provided: [redacted]"),
            "{err}"
        );
    }

    #[test]
    fn a_broken_protocol_is_an_error_not_a_panic() {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        s.expect_send();
        s.handle(Event::Streaming {
            head: http::Response::new(()).into_parts().0,
        });
        let err = s.expect_done().unwrap_err();
        assert!(err.to_string().contains("bug in the driver"), "{err}");
        assert!(matches!(s.poll(), Next::Done(Err(_))));
    }

    /// One arbitrary response: a status, a content type, retry headers and a body.
    fn any_response()
    -> impl proptest::strategy::Strategy<Value = (u16, String, Option<String>, Vec<u8>)> {
        use proptest::prelude::*;
        (
            100u16..600,
            prop_oneof![
                Just("application/json".to_owned()),
                Just("text/html".to_owned()),
                Just("text/plain; charset=utf-8".to_owned()),
                "[ -~]{0,30}",
            ],
            proptest::option::of(prop_oneof!["[0-9]{1,4}", "-?[0-9.]{1,6}", "[ -~]{0,20}"]),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                Just(file_json("file-1", Some("processed")).into_bytes()),
                Just(br#"{"error":{"message":"m","code":7}}"#.to_vec()),
                Just(br#"{"detail":[{"loc":["a"],"msg":"b"}]}"#.to_vec()),
                Just(br#"{"id":"file-1","bytes":1.5e300}"#.to_vec()),
            ],
        )
    }

    proptest::proptest! {
        /// Whatever the server answers, every time, a retrieve ends in a file or in a typed
        /// error that fits the status: never a panic, never a loop.
        #[test]
        fn any_answers_end_in_a_value_or_a_fitting_error(
            answers in proptest::collection::vec(any_response(), 3),
        ) {
            let mut s = Scenario::new(retrieve(RequestOptions::new()));
            let mut last_status = 0;
            for _ in 0..10 {
                match s.poll() {
                    Next::Send(_) => {
                        let (status, content_type, retry_after, body) =
                            answers[(s.op.attempts() as usize - 1) % answers.len()].clone();
                        last_status = status;
                        let mut head = http::Response::builder()
                            .status(status)
                            .header("content-type", content_type.as_str());
                        if let Some(wait) = &retry_after {
                            head = head.header("retry-after", wait.as_str());
                        }
                        let head = head.body(()).unwrap_or_default().into_parts().0;
                        s.handle(Event::Response { head, body: Bytes::from(body) });
                    }
                    Next::Sleep(pause) => s.advance(pause.duration),
                    Next::Done(result) => {
                        let success = (200..300).contains(&last_status);
                        match result {
                            Ok(file) => proptest::prop_assert!(success && file.id == "file-1"),
                            Err(Error::Decode(e)) => {
                                proptest::prop_assert!(success);
                                proptest::prop_assert_eq!(e.status, last_status);
                            }
                            Err(Error::Api(e)) => {
                                proptest::prop_assert!(!success);
                                proptest::prop_assert_eq!(e.status, last_status);
                                proptest::prop_assert!(!e.message.is_empty());
                                proptest::prop_assert!(e.attempts >= 1 && e.attempts <= 3);
                            }
                            Err(other) => proptest::prop_assert!(false, "{other:?}"),
                        }
                        return Ok(());
                    }
                    other => proptest::prop_assert!(false, "{other:?}"),
                }
            }
            proptest::prop_assert!(false, "no end after 10 steps");
        }
    }
}
