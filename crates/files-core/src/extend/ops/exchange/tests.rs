//! Tests of [`Exchange`](super::Exchange): the retry rules met through the machine, and any
//! answer a server can give.
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
fn extra_query_parameters_follow_the_clients_own_on_every_attempt() {
    let provider = TestProvider::openai_like();
    let options = RequestOptions::new()
        .query("tenant", "a b&c")
        .unwrap()
        .query("trace", "1")
        .unwrap();
    let params = ListParams::new().limit(5);
    let mut s = Scenario::new(Exchange::list_page(&provider, &params, &options));
    let attempt = s.expect_send();
    assert_eq!(
        attempt.request.uri().query(),
        Some("limit=5&tenant=a+b%26c&trace=1")
    );
    s.fail(TransportError::new(TransportErrorKind::Timeout, "slow"));
    s.expect_sleep();
    let again = s.expect_send();
    assert_eq!(
        again.request.uri().query(),
        Some("limit=5&tenant=a+b%26c&trace=1")
    );
    // A request without a query of its own gets one.
    let mut s = Scenario::new(retrieve(options));
    assert_eq!(
        s.expect_send().request.uri().to_string(),
        "http://127.0.0.1:9/v1/openai/v1/files/file-1?tenant=a+b%26c&trace=1"
    );
}

#[test]
fn an_extra_that_would_replace_the_clients_own_is_refused_before_sending() {
    let provider = TestProvider::openai_like();
    // `after` is the listing's even on a first page that does not send it.
    for name in ["limit", "after", "ORDER"] {
        let options = RequestOptions::new().query(name, "x").unwrap();
        let mut s = Scenario::new(Exchange::list_page(&provider, &ListParams::new(), &options));
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("query parameter {name}: is sent by the client")),
            "{err}"
        );
    }
    let options = RequestOptions::new()
        .header("Authorization", "Bearer other")
        .unwrap();
    let mut s = Scenario::new(retrieve(options));
    let err = s.expect_done().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("header authorization: is sent by the client itself"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("other"),
        "the value is not shown: {err}"
    );
}

#[test]
fn a_404_for_the_endpoint_itself_says_the_api_may_be_missing() {
    let provider = TestProvider::openai_like();
    let not_found = r#"{"error":{"message":"Not Found"}}"#;
    let options = RequestOptions::new();
    let mut s = Scenario::new(Exchange::list_page(&provider, &ListParams::new(), &options));
    s.expect_send();
    s.respond(404, &[], not_found);
    let err = s.expect_done().unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP 404 Not Found: Not Found — the endpoint itself was not found, not a file: the \
         server may not implement the Files API (vLLM and Ollama, for instance, have none), or \
         the base URL is wrong (it usually ends in /v1)"
    );
    // A 404 for a file is the file's.
    let mut s = Scenario::new(retrieve(options.clone()));
    s.expect_send();
    s.respond(404, &[], not_found);
    let err = s.expect_done().unwrap_err();
    assert!(
        err.to_string()
            .contains("no such file or path: check the id"),
        "{err}"
    );
    match err {
        Error::Api(e) => assert_eq!(e.missing_api, None),
        other => panic!("{other:?}"),
    }
    // The Uploads API's own endpoint, and one of its Uploads.
    let new = crate::uploads::NewUpload::new(
        "a.jsonl",
        crate::purpose::Purpose::BATCH,
        3,
        "application/jsonl",
    );
    let mut s = Scenario::new(Exchange::create_upload(&provider, &new, &options));
    s.expect_send();
    s.respond(404, &[], not_found);
    match s.expect_done().unwrap_err() {
        Error::Api(e) => assert_eq!(e.missing_api.as_deref(), Some("Uploads API")),
        other => panic!("{other:?}"),
    }
    let mut s = Scenario::new(Exchange::complete_upload(
        &provider,
        "upload_1",
        &["part_1".to_owned()],
        None,
        &options,
    ));
    s.expect_send();
    s.respond(404, &[], not_found);
    match s.expect_done().unwrap_err() {
        Error::Api(e) => assert_eq!(e.missing_api, None, "an Upload's 404 is the Upload's"),
        other => panic!("{other:?}"),
    }
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
fn a_json_answer_is_read_up_to_one_byte_past_its_limit() {
    let provider = TestProvider::openai_like();
    let mut s = Scenario::new(Exchange::retrieve(&provider, "f", &RequestOptions::new()));
    let attempt = s.expect_send();
    let ok = http::Response::builder()
        .status(200)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    // One byte more than a JSON answer may hold, so that an answer over the limit shows.
    assert_eq!(
        attempt.read_plan(&ok),
        super::super::ReadPlan::Buffer {
            limit: crate::wire::MAX_JSON_BODY + 1
        }
    );
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
    let failed = http::Response::builder()
        .status(404)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    assert_eq!(
        attempt.read_plan(&failed),
        super::super::ReadPlan::Buffer {
            limit: crate::wire::MAX_ERROR_BODY
        },
        "an error body is read up to its own limit, not streamed"
    );
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
    let body =
        format!(r#"{{"error":{{"message":"Incorrect API key provided: {key}","code":"{key}"}}}}"#);
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
fn a_key_quoted_in_an_undecodable_success_is_redacted_in_the_snippet() {
    let mut s = Scenario::new(retrieve(RequestOptions::new()));
    let attempt = s.expect_send();
    let auth = attempt.request.headers()["authorization"]
        .to_str()
        .unwrap_or_default();
    let key = auth.trim_start_matches("Bearer ").to_owned();
    s.respond(200, &[], &format!("<html>proxy echo: {key}</html>"));
    let err = s.expect_done().unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert!(decode.snippet.contains("[redacted]"), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&key), "{shown}");
}

#[test]
fn a_streamed_head_with_an_error_status_is_a_driver_bug_not_a_download() {
    let provider = TestProvider::openai_like();
    let mut s = Scenario::new(Exchange::content(&provider, "f", &RequestOptions::new()));
    s.expect_send();
    let failed = http::Response::builder()
        .status(404)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    s.handle(Event::Streaming { head: failed });
    let err = s.expect_done().unwrap_err();
    assert!(err.to_string().contains("bug in the driver"), "{err}");
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
        // Any status, and often one that is retried or a success, so sequences of one, two
        // and three attempts are all common.
        prop_oneof![
            100u16..600,
            proptest::sample::select(vec![200u16, 201, 408, 409, 429, 500, 502, 503]),
        ],
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

/// How many attempts a retrieve with the default budget (two retries) makes when attempt
/// `n` is answered by `answers[n - 1]`, from the retry rule: a success ends it; so does a
/// status that is not retried (only 408, 409, 429 and 5xx are, and never a 429 for a spent
/// quota), and a `retry-after` over [`retry::MAX_REQUESTED_WAIT`]; else the next answer is
/// drawn, up to three attempts.
fn attempts_for(answers: &[(u16, String, Option<String>, Vec<u8>)], now: Now) -> u32 {
    for (n, (status, _, retry_after, body)) in answers.iter().enumerate().take(3) {
        let status = *status;
        if (200..300).contains(&status) {
            return n as u32 + 1;
        }
        let mut headers = HeaderMap::new();
        if let Some(wait) = retry_after {
            headers.insert(
                "retry-after",
                http::HeaderValue::from_str(wait).unwrap_or_else(|e| panic!("{wait:?}: {e}")),
            );
        }
        let wait = wire::requested_wait(&headers, now.wall);
        let head = http::Response::builder()
            .status(status)
            .body(())
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        let quota = wire::api_error(
            &crate::dialect::Dialect::openai(),
            &head.into_parts().0,
            body,
            now.wall,
        )
        .is_quota_exhausted();
        let retried = matches!(status, 408 | 409 | 429 | 500..=599) && !quota;
        if !retried || wait.is_some_and(|w| w > retry::MAX_REQUESTED_WAIT) {
            return n as u32 + 1;
        }
    }
    3
}

#[test]
fn the_attempt_count_follows_the_retry_rule() {
    let answer = |status: u16, retry_after: Option<&str>| {
        (
            status,
            String::new(),
            retry_after.map(str::to_owned),
            Vec::new(),
        )
    };
    let now = Now {
        monotonic: Duration::ZERO,
        wall: std::time::UNIX_EPOCH,
    };
    let count = |answers: &[_]| attempts_for(answers, now);
    assert_eq!(
        count(&[answer(200, None), answer(503, None), answer(503, None)]),
        1
    );
    assert_eq!(
        count(&[answer(404, None), answer(200, None), answer(200, None)]),
        1
    );
    assert_eq!(
        count(&[answer(503, None), answer(201, None), answer(503, None)]),
        2
    );
    assert_eq!(
        count(&[
            answer(429, Some("120")),
            answer(400, None),
            answer(200, None)
        ]),
        2
    );
    assert_eq!(
        count(&[
            answer(429, Some("121")),
            answer(200, None),
            answer(200, None)
        ]),
        1
    );
    assert_eq!(
        count(&[answer(502, None), answer(408, None), answer(409, None)]),
        3
    );
}

proptest::proptest! {
    /// Whatever the server answers, every time, a retrieve ends in a file or in a typed
    /// error that fits the status, after exactly the attempts the retry rule allows: never a
    /// panic, never a loop.
    #[test]
    fn any_answers_end_in_a_value_or_a_fitting_error(
        answers in proptest::collection::vec(any_response(), 3),
    ) {
        let mut s = Scenario::new(retrieve(RequestOptions::new()));
        let expected_attempts = attempts_for(&answers, s.now());
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
                    proptest::prop_assert_eq!(s.op.attempts(), expected_attempts);
                    proptest::prop_assert_eq!(s.op.name(), "files.retrieve");
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
                            proptest::prop_assert_eq!(e.attempts, expected_attempts);
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

#[test]
fn a_finished_exchange_ignores_late_events_and_says_it_was_polled_after_the_end() {
    let provider = TestProvider::openai_like();
    let mut s = Scenario::new(Exchange::retrieve(&provider, "f", &RequestOptions::new()));
    s.expect_send();
    s.respond(200, &[], &crate::ops::scenario::file_json("f", None));
    assert_eq!(s.expect_done().unwrap().id, "f");
    // A late event changes nothing: the next poll reports the poll, not the event.
    s.fail(crate::error::TransportError::new(
        crate::error::TransportErrorKind::Io,
        "late",
    ));
    let err = s.expect_done().unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP client error: the client's driver polled an operation that had finished; this \
         is a bug in the driver"
    );
}
