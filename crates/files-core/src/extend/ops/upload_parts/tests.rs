//! The Uploads API machine, driven by hand: parts side by side, retries per part, the MD5,
//! cancel on failure, resume, expiry, and the switch from `POST /files`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};

use super::*;
use crate::body::Segment;
use crate::ops::scenario::{Scenario, file_json};
use crate::ops::{Attempt, CreateFile};
use crate::probe::PROBE_PREFIX_LEN;
use crate::purpose::Purpose;
use crate::uploads::{PartRange, SentPart};
use crate::wire::tests::TestProvider;

/// 40 bytes: parts of 16, 16 and 8 under the test provider's 16-byte limit.
pub(super) const FILE: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCD";
pub(super) const NOW: u64 = 1_700_000_000;

pub(super) fn upload_json(status: &str, file: bool) -> String {
    let file = if file {
        file_json("file-big", None)
    } else {
        "null".to_owned()
    };
    format!(
        r#"{{"id":"upload_1","object":"upload","bytes":40,"created_at":{NOW},"expires_at":{},
            "filename":"big.jsonl","purpose":"batch","status":"{status}","file":{file}}}"#,
        NOW + 3600
    )
}

pub(super) fn part_json(id: &str) -> String {
    format!(r#"{{"id":"{id}","object":"upload.part","created_at":{NOW},"upload_id":"upload_1"}}"#)
}

fn machine(parts: PartOptions) -> UploadInParts {
    UploadInParts::new(
        Arc::new(TestProvider::openai_like()),
        &UploadRequest::from_path("/data/big.jsonl", Purpose::BATCH),
        parts,
        RequestOptions::new(),
    )
}

/// Plays the inspection of [`FILE`].
fn inspect(s: &mut Scenario<UploadInParts>) {
    s.expect_inspect_of(0);
    s.inspected(FILE.len() as u64, b"");
    s.expect_inspect_of(PROBE_PREFIX_LEN);
    s.inspected(FILE.len() as u64, FILE);
}

/// Plays the inspection and the creation of the Upload.
fn created(s: &mut Scenario<UploadInParts>) {
    inspect(s);
    s.expect_send();
    s.respond(200, &[], &upload_json("pending", false));
}

/// The part an attempt carries: its range of the file.
fn range_of(attempt: &Attempt) -> (u64, u64) {
    attempt
        .request
        .body()
        .segments()
        .iter()
        .find_map(|s| match s {
            Segment::Path(p) => Some((p.offset, p.len)),
            _ => None,
        })
        .expect("a part holds a file range")
}

pub(super) fn json_of(attempt: &Attempt) -> serde_json::Value {
    let bytes: Vec<u8> = attempt
        .request
        .body()
        .segments()
        .iter()
        .flat_map(|s| match s {
            Segment::Bytes(b) => b.to_vec(),
            _ => Vec::new(),
        })
        .collect();
    serde_json::from_slice(&bytes).unwrap()
}

pub(super) fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn parts_go_out_side_by_side_and_complete_in_file_order_with_the_md5() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(2)));
    inspect(&mut s);
    let create = s.expect_send();
    assert!(create.request.uri().path().ends_with("/uploads"));
    assert_eq!(json_of(&create)["bytes"], 40);
    assert_eq!(json_of(&create)["mime_type"], "application/jsonl");
    s.respond(200, &[], &upload_json("pending", false));

    let (a, first, after) = s.expect_start();
    assert!(after.is_none());
    assert_eq!(range_of(&first), (0, 16));
    assert!(
        first
            .request
            .uri()
            .path()
            .ends_with("/uploads/upload_1/parts")
    );
    let (b, second, _) = s.expect_start();
    assert_eq!(range_of(&second), (16, 16));
    // Two in flight: the MD5 is read while they are out.
    assert_eq!(s.expect_read(), (0, 40));
    s.handle(Event::Read(Ok(Bytes::from_static(FILE))));
    s.expect_await();
    // The second part answers first; the third starts in its slot.
    s.finish(b, 200, &part_json("part_b"));
    let (c, third, _) = s.expect_start();
    assert_eq!(range_of(&third), (32, 8));
    s.finish(c, 200, &part_json("part_c"));
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));

    let complete = s.expect_send();
    assert!(
        complete
            .request
            .uri()
            .path()
            .ends_with("/uploads/upload_1/complete")
    );
    assert_eq!(
        json_of(&complete),
        serde_json::json!({"part_ids": ["part_a", "part_b", "part_c"], "md5": md5_hex(FILE)})
    );
    s.respond(200, &[], &upload_json("completed", true));
    assert_eq!(s.expect_done().unwrap().id, "file-big");
}

#[test]
fn a_part_that_fails_once_is_sent_again_after_its_own_pause() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(1).md5(false)));
    created(&mut s);
    let (slot, _, _) = s.expect_start();
    s.expect_await();
    s.finish(slot, 503, r#"{"error":{"message":"busy"}}"#);
    let (again, attempt, after) = s.expect_start();
    assert_eq!(again, slot);
    assert_eq!(attempt.number, 2);
    assert_eq!(range_of(&attempt), (0, 16));
    assert!(after.is_some_and(|p| p.duration > Duration::ZERO));
}

#[test]
fn a_part_that_keeps_failing_cancels_the_upload_and_the_error_names_it() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(2).md5(false)));
    created(&mut s);
    let (a, _, _) = s.expect_start();
    let (b, _, _) = s.expect_start();
    s.expect_await();
    s.finish(
        b,
        400,
        r#"{"error":{"message":"part refused","type":"invalid_request_error"}}"#,
    );
    // No more parts start; the one still out is waited for.
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    let cancel = s.expect_send();
    assert!(
        cancel
            .request
            .uri()
            .path()
            .ends_with("/uploads/upload_1/cancel")
    );
    s.respond(200, &[], &upload_json("cancelled", false));
    let err = s.expect_done().unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("part 2 of 3 (bytes 16..32) of Upload upload_1 failed: HTTP 400"),
        "{text}"
    );
    assert!(text.contains("part refused"), "{text}");
    assert!(text.ends_with("the Upload was cancelled"), "{text}");
    assert_eq!(err.status(), Some(400));
}

#[test]
fn a_resumed_upload_sends_only_the_missing_parts() {
    let resume = ResumeFrom::new(
        "upload_1",
        vec![SentPart {
            id: "part_b".into(),
            range: PartRange {
                offset: 16,
                len: 16,
            },
        }],
    )
    .with_expires_at(Some(NOW + 60));
    let mut s = Scenario::new(machine(PartOptions::new().md5(false)).resume(resume));
    inspect(&mut s);
    let (a, first, _) = s.expect_start();
    assert_eq!(range_of(&first), (0, 16));
    let (c, third, _) = s.expect_start();
    assert_eq!(range_of(&third), (32, 8));
    s.expect_await();
    s.finish(c, 200, &part_json("part_c"));
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    let complete = s.expect_send();
    assert_eq!(
        json_of(&complete),
        serde_json::json!({"part_ids": ["part_a", "part_b", "part_c"]})
    );
}

#[test]
fn an_expired_upload_is_reported_before_anything_is_sent() {
    let resume = ResumeFrom::new("upload_1", Vec::new()).with_expires_at(Some(NOW - 1));
    let mut s = Scenario::new(machine(PartOptions::new()).resume(resume));
    inspect(&mut s);
    let err = s.expect_done().unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("{err:?}")
    };
    assert!(failure.expired());
    assert!(err.to_string().contains("expired at"), "{err}");
}

#[test]
fn a_part_refused_after_the_upload_expired_says_so_and_cancels_nothing() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(1).md5(false)));
    created(&mut s);
    let (slot, _, _) = s.expect_start();
    s.advance(Duration::from_secs(3601));
    s.finish(slot, 400, r#"{"error":{"message":"Upload is expired"}}"#);
    let err = s.expect_done().unwrap_err();
    assert!(err.to_string().contains("the Upload expired at"), "{err}");
    assert!(!err.is_retryable());
}

#[test]
fn a_file_the_md5_read_finds_shorter_fails_and_cancels() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(1)));
    created(&mut s);
    let (slot, _, _) = s.expect_start();
    s.expect_read();
    s.handle(Event::Read(Ok(Bytes::new())));
    s.expect_await();
    s.finish(slot, 200, &part_json("part_a"));
    s.expect_send(); // cancel
    s.respond(200, &[], &upload_json("cancelled", false));
    let err = s.expect_done().unwrap_err();
    assert!(
        err.to_string()
            .contains("it changed while it was being sent"),
        "{err}"
    );
}

#[test]
fn the_uploads_api_s_limits_are_checked_before_anything_is_sent() {
    let rules = || Arc::new(TestProvider::with_rules());
    let refused = |upload: UploadRequest, parts: PartOptions, len: u64| {
        let mut s = Scenario::new(UploadInParts::new(
            rules(),
            &upload,
            parts,
            RequestOptions::new(),
        ));
        s.expect_inspect_of(0);
        s.inspected(len, b"");
        match s.expect_done() {
            Err(Error::Validation(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    let big = UploadRequest::from_path("/d/big.bin", Purpose::ASSISTANTS);
    let e = refused(big, PartOptions::new(), (8 << 30) + 1);
    assert_eq!(e.kind, RuleKind::FileTooLarge);
    assert!(
        e.to_string()
            .contains("the Uploads API accepts at most 8 GB"),
        "{e}"
    );
    // A purpose with a smaller limit of its own keeps it in parts too.
    let batch = UploadRequest::from_path("/d/big.jsonl", Purpose::BATCH);
    let e = refused(batch, PartOptions::new(), 300 << 20);
    assert!(
        e.to_string()
            .contains("purpose `batch` accepts at most 200 MB"),
        "{e}"
    );
    let e = refused(
        UploadRequest::from_path("/d/a.txt", Purpose::RETRIEVAL),
        PartOptions::new(),
        100,
    );
    assert_eq!(e.kind, RuleKind::PurposeNotAccepted);
    let e = refused(
        UploadRequest::from_path("/d/a.jsonl", Purpose::BATCH),
        PartOptions::new().part_size(17),
        100,
    );
    assert!(e.to_string().contains("part size"), "{e}");
    // A URL has no bytes here to send in parts.
    let mut s = Scenario::new(UploadInParts::new(
        rules(),
        &UploadRequest::from_url("https://example.com/a.jsonl", Purpose::BATCH),
        PartOptions::new(),
        RequestOptions::new(),
    ));
    assert!(
        matches!(s.expect_done(), Err(Error::Validation(e)) if e.kind == RuleKind::Unsupported)
    );
}

#[test]
fn create_switches_to_parts_above_the_switch_size_and_on_request() {
    let create = |upload: UploadRequest| {
        Scenario::new(CreateFile::new(
            Arc::new(TestProvider::openai_like()),
            upload,
            RequestOptions::new(),
        ))
    };
    // Over the test provider's switch size of 1 GiB.
    let mut s = create(UploadRequest::from_path("/d/big.jsonl", Purpose::BATCH));
    s.expect_inspect_of(0);
    s.inspected((1 << 30) + 1, b"");
    s.expect_inspect_of(PROBE_PREFIX_LEN);
    s.inspected((1 << 30) + 1, b"{}");
    assert!(s.expect_send().request.uri().path().ends_with("/uploads"));
    // 10 bytes go through POST /files, unless parts are asked for.
    let mut s = create(UploadRequest::from_path("/d/a.jsonl", Purpose::BATCH));
    s.expect_inspect_of(0);
    s.inspected(10, b"");
    s.expect_inspect_of(PROBE_PREFIX_LEN);
    s.inspected(10, b"{}");
    assert!(s.expect_send().request.uri().path().ends_with("/files"));
    let mut s = create(
        UploadRequest::from_path("/d/a.jsonl", Purpose::BATCH).with_parts(PartOptions::new()),
    );
    s.expect_inspect_of(0);
    s.inspected(10, b"");
    s.expect_inspect_of(PROBE_PREFIX_LEN);
    s.inspected(10, b"{}");
    assert!(s.expect_send().request.uri().path().ends_with("/uploads"));
    // A provider with no Uploads API refuses parts.
    let mut s = Scenario::new(CreateFile::new(
        Arc::new(TestProvider::stepfun_like()),
        UploadRequest::from_path("/d/a.txt", Purpose::new("file-extract"))
            .with_parts(PartOptions::new()),
        RequestOptions::new(),
    ));
    s.expect_inspect_of(0);
    s.inspected(10, b"");
    assert!(
        s.expect_done()
            .unwrap_err()
            .to_string()
            .contains("has no Uploads API")
    );
}

#[test]
fn a_part_waiting_out_its_retry_pause_is_called_off_when_another_fails_for_good() {
    let mut s = Scenario::new(machine(PartOptions::new().in_flight(2).md5(false)));
    created(&mut s);
    let (a, _, _) = s.expect_start();
    let (b, _, _) = s.expect_start();
    s.expect_await();
    s.finish(a, 503, r#"{"error":{"message":"busy"}}"#);
    let abandon = match s.poll() {
        Next::Start {
            slot,
            after: Some(_),
            abandon,
            ..
        } if slot == a => abandon,
        other => panic!("expected the retry of part 1, got {other:?}"),
    };
    assert!(!abandon.is_raised());
    s.expect_await();
    s.finish(b, 400, r#"{"error":{"message":"no"}}"#);
    // Part 2's failure is judged at the next poll: the part still out is awaited, and the
    // retry still pausing is called off.
    s.expect_await();
    assert!(abandon.is_raised(), "the retry still pausing is called off");
    // The driver answers the called-off attempt without sending it; then the cancel.
    s.handle(Event::Finished {
        slot: a,
        event: Box::new(Event::Failed(
            crate::TransportError::new(crate::TransportErrorKind::Other, "not sent").into(),
        )),
    });
    assert!(s.expect_send().request.uri().path().ends_with("/cancel"));
}

/// Plays an upload of one part (16 bytes) to its completion request.
fn to_completion(s: &mut Scenario<UploadInParts>) {
    s.expect_inspect_of(0);
    s.inspected(16, b"");
    s.expect_inspect_of(PROBE_PREFIX_LEN);
    s.inspected(16, &FILE[..16]);
    s.expect_send();
    s.respond(200, &[], &upload_json("pending", false));
    let (slot, _, _) = s.expect_start();
    s.expect_await();
    s.finish(slot, 200, &part_json("part_a"));
    s.expect_send(); // complete, attempt 1
}

#[test]
fn a_completion_refused_after_a_lost_answer_may_have_completed_and_is_not_cancelled() {
    let mut s = Scenario::new(machine(PartOptions::new().md5(false)));
    to_completion(&mut s);
    s.fail(crate::TransportError::new(
        crate::TransportErrorKind::Timeout,
        "no answer",
    ));
    s.expect_sleep();
    s.expect_send(); // complete, attempt 2
    s.respond(
        400,
        &[],
        r#"{"error":{"message":"Upload upload_1 cannot take this request: it is completed."}}"#,
    );
    let err = s.expect_done().unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.after, UploadAfterFailure::MaybeCompleted);
    assert!(failure.is_final());
    assert!(err.to_string().contains("may have completed"), "{err}");
}

#[test]
fn a_cancel_refused_with_the_same_answer_says_the_upload_takes_nothing_more() {
    let mut s = Scenario::new(machine(PartOptions::new().md5(false)));
    to_completion(&mut s);
    let refusal = r#"{"error":{"message":"Upload upload_1 is expired."}}"#;
    s.respond(400, &[], refusal);
    s.expect_send(); // cancel
    s.respond(400, &[], refusal);
    let err = s.expect_done().unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.after, UploadAfterFailure::NotOpen);
    assert!(failure.is_final());
    assert!(err.to_string().contains("it takes nothing more"), "{err}");
}

#[test]
fn it_is_named_for_traces_and_notices() {
    assert_eq!(machine(PartOptions::new()).name(), "uploads.upload");
}

#[test]
fn a_path_with_no_file_name_is_refused_for_what_it_is() {
    let upload = UploadRequest::from_path("/data/..", Purpose::BATCH);
    let provider = Arc::new(TestProvider::openai_like());
    let mut s = Scenario::new(UploadInParts::new(
        provider,
        &upload,
        PartOptions::new(),
        RequestOptions::new(),
    ));
    let err = s.expect_done().unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "file name /data/..: is missing: give the upload a file name"
    );
}
