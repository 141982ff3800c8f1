//! The Uploads API machine with sources other than a file, driven by hand: bytes cut into
//! slices, a reader or stream pulled a part at a time, the MD5 as the bytes pass, a source
//! of the wrong length, and the switch from `POST /files` for them.

use std::sync::Arc;

use bytes::Bytes;

use super::tests::{FILE, json_of, md5_hex, part_json, upload_json};
use super::*;
use crate::body::{OneShotReader, Segment};
use crate::ops::scenario::Scenario;
use crate::ops::{Attempt, CreateFile};
use crate::purpose::Purpose;
use crate::upload_request::UploadSource;
use crate::wire::tests::TestProvider;

fn machine(
    upload: UploadRequest,
    parts: PartOptions,
    options: RequestOptions,
) -> Scenario<UploadInParts> {
    Scenario::new(UploadInParts::new(
        Arc::new(TestProvider::openai_like()),
        &upload,
        parts,
        options,
    ))
}

fn reader(bytes: &'static [u8], len: u64) -> UploadRequest {
    UploadRequest::from_reader(bytes, len, "big.jsonl", Purpose::BATCH)
}

/// The bytes a part carries in memory.
fn data_of(attempt: &Attempt) -> Bytes {
    let mut found = attempt
        .request
        .body()
        .segments()
        .iter()
        .filter_map(|s| match s {
            Segment::Bytes(b) if !b.starts_with(b"--") && !b.starts_with(b"\r\n") => {
                Some(b.clone())
            }
            Segment::Path(_) | Segment::Reader(_) | Segment::Stream(_) => {
                panic!("a part of {s:?}, not of bytes")
            }
            _ => None,
        });
    let data = found.next().expect("a part holds bytes");
    assert!(found.next().is_none());
    data
}

/// Expects a pull of `len` bytes.
fn expect_pull(s: &mut Scenario<UploadInParts>, len: usize) {
    match s.poll() {
        Next::Pull { len: asked, .. } => assert_eq!(asked, len),
        other => panic!("expected a pull of {len}, got {other:?}"),
    }
}

fn pulled(s: &mut Scenario<UploadInParts>, bytes: &'static [u8]) {
    s.handle(Event::Read(Ok(Bytes::from_static(bytes))));
}

#[test]
fn bytes_go_out_as_slices_with_their_md5_and_no_read() {
    let upload = UploadRequest::from_bytes(FILE, "big.jsonl", Purpose::BATCH);
    let mut s = machine(
        upload,
        PartOptions::new().in_flight(2),
        RequestOptions::new(),
    );
    let create = s.expect_send();
    assert_eq!(json_of(&create)["bytes"], 40);
    s.respond(200, &[], &upload_json("pending", false));
    let (a, first, _) = s.expect_start();
    assert_eq!(&data_of(&first)[..], &FILE[..16]);
    let (b, second, _) = s.expect_start();
    assert_eq!(&data_of(&second)[..], &FILE[16..32]);
    // No read of anything: the MD5 is taken from the bytes as each part starts.
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    let (c, third, _) = s.expect_start();
    assert_eq!(&data_of(&third)[..], &FILE[32..]);
    s.finish(b, 200, &part_json("part_b"));
    s.expect_await();
    s.finish(c, 200, &part_json("part_c"));
    let complete = s.expect_send();
    assert_eq!(
        json_of(&complete),
        serde_json::json!({"part_ids": ["part_a", "part_b", "part_c"], "md5": md5_hex(FILE)})
    );
    s.respond(200, &[], &upload_json("completed", true));
    assert_eq!(s.expect_done().unwrap().id, "file-big");
}

#[test]
fn resumed_bytes_send_the_missing_parts_and_hash_the_whole() {
    let resume = ResumeFrom::new(
        "upload_1",
        vec![crate::uploads::SentPart {
            id: "part_b".to_owned(),
            range: crate::uploads::PartRange {
                offset: 16,
                len: 16,
            },
        }],
    );
    let upload = UploadRequest::from_bytes(FILE, "big.jsonl", Purpose::BATCH);
    let mut s = Scenario::new(
        UploadInParts::new(
            Arc::new(TestProvider::openai_like()),
            &upload,
            PartOptions::new().in_flight(1),
            RequestOptions::new(),
        )
        .resume(resume),
    );
    let (a, first, _) = s.expect_start();
    assert_eq!(&data_of(&first)[..], &FILE[..16]);
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    let (c, third, _) = s.expect_start();
    assert_eq!(&data_of(&third)[..], &FILE[32..]);
    s.expect_await();
    s.finish(c, 200, &part_json("part_c"));
    let complete = s.expect_send();
    assert_eq!(json_of(&complete)["md5"], md5_hex(FILE));
    assert_eq!(
        json_of(&complete)["part_ids"],
        serde_json::json!(["part_a", "part_b", "part_c"])
    );
}

#[test]
fn a_reader_is_pulled_a_part_at_a_time_the_first_before_the_upload_for_the_checks() {
    let mut s = machine(
        reader(FILE, 40),
        PartOptions::new().in_flight(1),
        RequestOptions::new(),
    );
    // The first part comes first: its first bytes are checked before the Upload is made.
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[..16]);
    let create = s.expect_send();
    assert!(create.request.uri().path().ends_with("/uploads"));
    s.respond(200, &[], &upload_json("pending", false));
    let (a, first, _) = s.expect_start();
    assert_eq!(&data_of(&first)[..], &FILE[..16]);
    // One slot, taken: nothing more is pulled until it frees.
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[16..32]);
    let (b, second, _) = s.expect_start();
    assert_eq!(&data_of(&second)[..], &FILE[16..32]);
    s.expect_await();
    // A retried part is sent again from memory, no pull.
    s.finish(b, 503, r#"{"error":{"message":"busy"}}"#);
    let (again, retried, pause) = s.expect_start();
    assert_eq!(again, b);
    assert!(pause.is_some());
    assert_eq!(&data_of(&retried)[..], &FILE[16..32]);
    s.expect_await();
    s.finish(b, 200, &part_json("part_b"));
    expect_pull(&mut s, 8);
    pulled(&mut s, &FILE[32..]);
    let (c, _, _) = s.expect_start();
    // The end is checked: a byte more must not come.
    expect_pull(&mut s, 1);
    pulled(&mut s, b"");
    s.expect_await();
    s.finish(c, 200, &part_json("part_c"));
    let complete = s.expect_send();
    assert_eq!(json_of(&complete)["md5"], md5_hex(FILE));
    s.respond(200, &[], &upload_json("completed", true));
    assert_eq!(s.expect_done().unwrap().id, "file-big");
}

#[test]
fn a_reader_that_ends_early_fails_and_cancels_the_upload() {
    let mut s = machine(
        reader(FILE, 40),
        PartOptions::new().in_flight(1).md5(false),
        RequestOptions::new().validate(false),
    );
    // Validation off: no pull before the Upload.
    s.expect_send();
    s.respond(200, &[], &upload_json("pending", false));
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[..16]);
    let (a, _, _) = s.expect_start();
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[16..20]);
    let cancel = s.expect_send();
    assert!(cancel.request.uri().path().ends_with("/cancel"));
    s.respond(200, &[], &upload_json("cancelled", false));
    let text = s.expect_done().unwrap_err().to_string();
    assert!(
        text.contains("the upload's reader") && text.contains("ended after 20 bytes"),
        "{text}"
    );
    assert!(text.contains("declared 40"), "{text}");
    assert!(text.ends_with("the Upload was cancelled"), "{text}");
}

#[test]
fn a_reader_longer_than_declared_fails_rather_than_store_a_file_cut_short() {
    let mut s = machine(
        reader(FILE, 24),
        PartOptions::new().in_flight(2),
        RequestOptions::new(),
    );
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[..16]);
    s.expect_send();
    s.respond(200, &[], &upload_json("pending", false));
    let (a, _, _) = s.expect_start();
    expect_pull(&mut s, 8);
    pulled(&mut s, &FILE[16..24]);
    let (b, _, _) = s.expect_start();
    expect_pull(&mut s, 1);
    pulled(&mut s, &FILE[24..25]);
    // The parts out are waited for; then the Upload is cancelled.
    s.expect_await();
    s.finish(a, 200, &part_json("part_a"));
    s.expect_await();
    s.finish(b, 200, &part_json("part_b"));
    s.expect_send();
    s.respond(200, &[], &upload_json("cancelled", false));
    let text = s.expect_done().unwrap_err().to_string();
    assert!(
        text.contains("holds more than the 24 bytes the upload declared"),
        "{text}"
    );
    assert!(text.starts_with("part 2 of 2 (bytes 16..24)"), "{text}");
}

#[test]
fn a_reader_first_part_is_checked_before_anything_is_sent() {
    // A batch file must be JSON Lines: the first part's bytes show a ZIP archive.
    let zip: &'static [u8] = b"PK\x03\x04\x14\0\x06\0";
    let mut s = Scenario::new(UploadInParts::new(
        Arc::new(TestProvider::with_rules()),
        &reader(zip, 8),
        PartOptions::new(),
        RequestOptions::new(),
    ));
    expect_pull(&mut s, 8);
    pulled(&mut s, zip);
    match s.expect_done() {
        Err(Error::Validation(e)) => assert_eq!(e.kind, RuleKind::ContentMismatch, "{e}"),
        other => panic!("expected the content refused, got {other:?}"),
    }
    // A short first part is the reader's error, before anything is sent.
    let mut s = machine(reader(FILE, 40), PartOptions::new(), RequestOptions::new());
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[..3]);
    let text = s.expect_done().unwrap_err().to_string();
    assert!(
        text.contains("the upload's reader") && text.contains("ended after 3 bytes"),
        "{text}"
    );
    // A stream's is named as one (the core holds it without polling it).
    let stream = crate::body::OneShotStream::from_erased(Box::new(()), 40);
    let upload =
        UploadRequest::new(UploadSource::Stream(stream), Purpose::BATCH).with_filename("big.jsonl");
    let mut s = machine(upload, PartOptions::new(), RequestOptions::new());
    expect_pull(&mut s, 16);
    pulled(&mut s, &FILE[..3]);
    let text = s.expect_done().unwrap_err().to_string();
    assert!(text.contains("the upload's stream"), "{text}");
}

#[test]
fn a_reader_cannot_resume_an_upload() {
    let mut s = Scenario::new(
        UploadInParts::new(
            Arc::new(TestProvider::openai_like()),
            &reader(FILE, 40),
            PartOptions::new(),
            RequestOptions::new(),
        )
        .resume(ResumeFrom::new("upload_1", vec![])),
    );
    let text = s.expect_done().unwrap_err().to_string();
    assert!(text.contains("cannot resume an Upload"), "{text}");
}

#[test]
fn bytes_and_readers_over_the_switch_size_go_through_the_uploads_api() {
    let big = (1u64 << 30) + 1;
    let mut s = Scenario::new(CreateFile::new(
        Arc::new(TestProvider::openai_like()),
        UploadRequest::from_reader(std::io::empty(), big, "big.jsonl", Purpose::BATCH),
        RequestOptions::new(),
    ));
    match s.poll() {
        Next::Pull { len, source } => {
            assert_eq!(len, 16);
            assert_eq!(source.len(), big);
        }
        other => panic!("expected the first part pulled, got {other:?}"),
    }
    // At the switch size, POST /files.
    let mut s = Scenario::new(CreateFile::new(
        Arc::new(TestProvider::openai_like()),
        UploadRequest::new(
            UploadSource::Reader(OneShotReader::new(std::io::empty(), 1 << 30)),
            Purpose::ASSISTANTS,
        )
        .with_filename("a.txt"),
        RequestOptions::new(),
    ));
    assert!(s.expect_send().request.uri().path().ends_with("/files"));
}
