//! Tests of reconciling: looks over a scripted listing, through [`CreateFile`].
use super::*;
use crate::TransportErrorKind;
use crate::error::TransportError;
use crate::observer::Observer;
use crate::ops::CreateFile;
use crate::ops::scenario::{Scenario, file_json};
use crate::upload_request::UploadRequest;
use crate::wire::tests::TestProvider;

struct Quiet;
impl Observer for Quiet {}

/// The wall-clock second the scenario starts at.
const START: u64 = 1_700_000_000;

fn upload(options: RequestOptions) -> Scenario<CreateFile> {
    let options = options.observer(Arc::new(Quiet));
    Scenario::new(CreateFile::new(
        Arc::new(TestProvider::openai_like()),
        UploadRequest::from_bytes(&b"{}\n"[..], "a.jsonl", Purpose::BATCH),
        options,
    ))
}

/// The answer was lost after the body went out.
fn lost() -> TransportError {
    let mut error = TransportError::new(TransportErrorKind::Io, "connection closed");
    error.body_sent = true;
    error
}

fn listing(files: &[(&str, &str, u64, u64)]) -> String {
    let data: Vec<String> = files
        .iter()
        .map(|(id, name, bytes, created)| {
            format!(
                r#"{{"id":"{id}","object":"file","bytes":{bytes},"created_at":{created},"filename":"{name}","purpose":"batch"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"object":"list","data":[{}],"has_more":false}}"#,
        data.join(",")
    )
}

fn reconciled(s: &mut Scenario<CreateFile>) -> Vec<ReconcileNotice> {
    s.notices()
        .into_iter()
        .filter_map(|n| match n {
            News::Reconciled(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn a_file_the_lost_attempt_stored_is_returned_instead_of_a_second_upload() {
    let mut s = upload(RequestOptions::new());
    assert_eq!(s.expect_send().request.method(), "POST");
    s.advance(Duration::from_secs(3));
    s.fail(lost());
    s.expect_sleep();
    let look = s.expect_send();
    assert_eq!(look.request.method(), "GET");
    assert_eq!(
        look.request.uri().query(),
        Some("purpose=batch&limit=100&order=desc")
    );
    s.respond(
        200,
        &[],
        &listing(&[
            ("file-other", "a.jsonl", 99, START + 1),
            ("file-mine", "a.jsonl", 3, START + 1),
            ("file-older", "a.jsonl", 3, START - 3600),
        ]),
    );
    assert_eq!(s.expect_done().unwrap().id, "file-mine");
    assert_eq!(
        reconciled(&mut s),
        [ReconcileNotice {
            operation: "files.create",
            found: Some("file-mine".into()),
            looked_at: 3,
            failed: None,
        }]
    );
}

#[test]
fn without_a_match_the_held_retry_is_sent() {
    let mut s = upload(RequestOptions::new());
    s.expect_send();
    s.fail(lost());
    s.expect_sleep();
    s.expect_send();
    // Same name and size, but created before the attempt's window.
    let before = START - CLOCK_MARGIN.as_secs() - 1;
    s.respond(200, &[], &listing(&[("file-old", "a.jsonl", 3, before)]));
    let retry = s.expect_send();
    assert_eq!(retry.request.method(), "POST");
    assert_eq!(retry.number, 2, "the exchange's second attempt");
    s.respond(200, &[], &file_json("file-new", None));
    assert_eq!(s.expect_done().unwrap().id, "file-new");
    let notices = reconciled(&mut s);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].found, None);
    assert_eq!(notices[0].looked_at, 1);
}

#[test]
fn a_file_of_another_purpose_is_not_the_one_sent() {
    let mut s = upload(RequestOptions::new());
    s.expect_send();
    s.fail(lost());
    s.expect_sleep();
    s.expect_send();
    // Same name, size and time, but another purpose (a listing not narrowed by it).
    let other = listing(&[("file-theirs", "a.jsonl", 3, START)]).replace("batch", "assistants");
    s.respond(200, &[], &other);
    let retry = s.expect_send();
    assert_eq!(retry.request.method(), "POST", "sent again, not taken");
    s.respond(200, &[], &file_json("file-new", None));
    assert_eq!(s.expect_done().unwrap().id, "file-new");
}

#[test]
fn the_window_allows_for_skewed_clocks_each_way() {
    for created in [
        START - CLOCK_MARGIN.as_secs(),
        START + 5 + CLOCK_MARGIN.as_secs(),
    ] {
        let mut s = upload(RequestOptions::new());
        s.expect_send();
        s.advance(Duration::from_secs(5));
        s.fail(lost());
        s.expect_sleep();
        s.expect_send();
        s.respond(200, &[], &listing(&[("file-edge", "a.jsonl", 3, created)]));
        assert_eq!(s.expect_done().unwrap().id, "file-edge", "{created}");
    }
    let mut s = upload(RequestOptions::new());
    s.expect_send();
    s.fail(lost());
    s.expect_sleep();
    s.expect_send();
    let after = START + CLOCK_MARGIN.as_secs() + 1;
    s.respond(200, &[], &listing(&[("file-later", "a.jsonl", 3, after)]));
    assert_eq!(
        s.expect_send().request.method(),
        "POST",
        "too late to be ours"
    );
}

#[test]
fn a_failed_last_attempt_is_looked_for_before_its_error_is_returned() {
    let mut s = upload(RequestOptions::new().max_retries(0));
    s.expect_send();
    s.fail(lost());
    assert_eq!(
        s.expect_send().request.method(),
        "GET",
        "no pause: no retry"
    );
    s.respond(200, &[], &listing(&[("file-mine", "a.jsonl", 3, START)]));
    assert_eq!(s.expect_done().unwrap().id, "file-mine");

    let mut s = upload(RequestOptions::new().max_retries(0));
    s.expect_send();
    s.fail(lost());
    s.expect_send();
    s.respond(200, &[], &listing(&[]));
    let err = s.expect_done().unwrap_err();
    assert!(err.to_string().contains("connection closed"), "{err}");
}

#[test]
fn a_failed_listing_lets_the_retry_go() {
    let mut s = upload(RequestOptions::new());
    s.expect_send();
    s.fail(lost());
    s.expect_sleep();
    s.expect_send();
    s.respond(
        401,
        &[],
        r#"{"error":{"message":"Incorrect API key provided."}}"#,
    );
    assert_eq!(s.expect_send().request.method(), "POST");
    s.respond(200, &[], &file_json("file-new", None));
    s.expect_done().unwrap();
    let notices = reconciled(&mut s);
    assert!(
        notices[0]
            .failed
            .as_deref()
            .is_some_and(|f| f.contains("401")),
        "{notices:?}"
    );
}

#[test]
fn nothing_is_looked_for_when_the_body_never_left_or_reconciling_is_off() {
    let mut s = upload(RequestOptions::new());
    s.expect_send();
    s.fail(TransportError::new(TransportErrorKind::Connect, "refused"));
    s.expect_sleep();
    assert_eq!(s.expect_send().request.method(), "POST");

    let mut s = upload(RequestOptions::new().reconcile(false));
    s.expect_send();
    s.fail(lost());
    s.expect_sleep();
    assert_eq!(s.expect_send().request.method(), "POST");
    s.respond(200, &[], &file_json("file-2", None));
    s.expect_done().unwrap();
    assert_eq!(reconciled(&mut s), []);
}

#[test]
fn a_look_reads_at_most_its_pages_and_stops_at_older_files() {
    let provider = TestProvider::openai_like();
    let mut watch = Watch::new(Some(Identity {
        filename: "a.jsonl".into(),
        bytes: 3,
        purpose: Purpose::BATCH,
    }));
    let now = Now {
        monotonic: Duration::ZERO,
        wall: UNIX_EPOCH + Duration::from_secs(START),
    };
    watch.sending(now);
    watch.outcome(&Event::Failed(lost().into()), now);
    assert!(watch.take_due());
    assert!(!watch.take_due(), "once per failure");
    let look = watch.look("files.create", Arc::new(provider), &RequestOptions::new());
    let mut s = Scenario::new(Probe(look.unwrap(), Outbox::default()));
    // Full pages of strangers, each with more: the look stops at its page limit.
    for page in 0..MAX_LOOK_PAGES {
        let request = s.expect_send();
        if page > 0 {
            assert!(request.request.uri().query().unwrap().contains("after="));
        }
        let id = format!("file-{page}");
        let body = listing(&[(&id, "b.jsonl", 3, START)]).replace(
            r#""has_more":false"#,
            &format!(r#""has_more":true,"last_id":"{id}""#),
        );
        s.respond(200, &[], &body);
    }
    assert!(s.expect_done().unwrap().is_none(), "gave up");

    // Newest first: a page all older than the window ends the look at once.
    let look = watch.look(
        "files.create",
        Arc::new(TestProvider::openai_like()),
        &RequestOptions::new(),
    );
    let mut s = Scenario::new(Probe(look.unwrap(), Outbox::default()));
    s.expect_send();
    let old = START - CLOCK_MARGIN.as_secs() - 10;
    let body = listing(&[("file-old", "a.jsonl", 3, old)]).replace(
        r#""has_more":false"#,
        r#""has_more":true,"last_id":"file-old""#,
    );
    s.respond(200, &[], &body);
    assert!(s.expect_done().unwrap().is_none(), "no second page");

    // A page whose oldest file is at the window's very start is not older than it: the
    // next page is read.
    let look = watch.look(
        "files.create",
        Arc::new(TestProvider::openai_like()),
        &RequestOptions::new(),
    );
    let mut s = Scenario::new(Probe(look.unwrap(), Outbox::default()));
    s.expect_send();
    let edge = START - CLOCK_MARGIN.as_secs();
    let body = listing(&[("file-edge", "b.jsonl", 3, edge)]).replace(
        r#""has_more":false"#,
        r#""has_more":true,"last_id":"file-edge""#,
    );
    s.respond(200, &[], &body);
    let next = s.expect_send();
    assert!(
        next.request
            .uri()
            .query()
            .unwrap()
            .contains("after=file-edge")
    );
    s.respond(200, &[], &listing(&[("file-mine", "a.jsonl", 3, edge)]));
    assert_eq!(
        s.expect_done().unwrap().unwrap().id,
        "file-mine",
        "at the edge: inside"
    );
}

/// A look as an operation of its own, for the test above.
struct Probe(Look, Outbox);

impl Operation for Probe {
    type Output = Option<FileObject>;
    fn name(&self) -> &'static str {
        "probe"
    }
    fn poll(&mut self, now: Now, random: u128) -> Next<Option<FileObject>> {
        match self.0.poll(now, random, &mut self.1) {
            LookNext::Next(next) => next.pass(),
            LookNext::Over(found) => Next::Done(Ok(found)),
        }
    }
    fn handle(&mut self, event: Event, now: Now) {
        self.0.handle(event, now);
    }
    fn poll_notice(&mut self) -> Option<super::super::Notice> {
        None
    }
}
