//! The Uploads API over real loopback sockets, through both transports: a file in parts
//! (side by side) that downloads byte-identical, a part retried, a part that keeps failing
//! and cancels the Upload, an expired Upload, and the emulator's own checks of the steps.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use files_client::{
    Client, Error, NewUpload, Observer, PartOptions, PartProgress, Purpose, RequestOptions,
    ResumeFrom, SentPart, UploadRequest,
};
use files_core::extend::body::PathRange;
use files_core::uploads::{UploadAfterFailure, UploadStatus, UploadStep};
use files_emulator::{Fault, RecordedRequest};
use files_tests::{Setup, Wire, md5_hex, sample_bytes, sha256, sha256_file, write_sample};
use provider_openai::OpenAi;
use transport_ureq::UreqTransport;

files_tests::both_transports!(
    a_file_sent_in_parts_side_by_side_downloads_byte_identical,
    a_part_that_fails_once_is_retried_on_its_own,
    a_part_that_keeps_failing_cancels_the_upload,
    an_upload_resumed_after_it_expired_says_so,
    a_part_that_panics_fails_the_upload_and_does_not_hang,
    files_create_goes_through_the_uploads_api_when_asked,
);

/// A loopback relay in front of the emulator that keeps every byte the client sends through
/// it, so a test can read a request's body (the emulator records only its size). It stops
/// accepting when dropped.
struct Relay {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// What the client sent, one entry a connection.
    sent: Arc<Mutex<Vec<Kept>>>,
}

/// The bytes a client sent on one connection.
type Kept = Arc<Mutex<Vec<u8>>>;

impl Relay {
    fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let sent: Arc<Mutex<Vec<Kept>>> = Arc::default();
        let (flag, connections) = (stop.clone(), sent.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let server = TcpStream::connect(upstream).unwrap();
                let kept = Arc::new(Mutex::new(Vec::new()));
                connections.lock().unwrap().push(kept.clone());
                let (client_in, server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(client_in, server_out, Some(kept)));
                std::thread::spawn(move || pipe(server, client, None));
            }
        });
        Relay { addr, stop, sent }
    }

    /// The emulator's base URL, through the relay.
    fn base_url(&self, s: &Setup) -> String {
        s.emulator
            .base_url()
            .replace(&s.emulator.addr().to_string(), &self.addr.to_string())
    }

    /// The bodies of the requests whose request line ends its path with `suffix`.
    fn bodies_to(&self, suffix: &str) -> Vec<Vec<u8>> {
        let connections = self.sent.lock().unwrap().clone();
        let mut bodies = Vec::new();
        for connection in connections {
            let bytes = connection.lock().unwrap().clone();
            for (request_line, body) in requests_in(&bytes) {
                let path = request_line.split(' ').nth(1).unwrap_or_default();
                if path.ends_with(suffix) {
                    bodies.push(body);
                }
            }
        }
        bodies
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` into `to` until either ends, keeping a copy of the bytes in `kept`.
fn pipe(mut from: TcpStream, mut to: TcpStream, kept: Option<Kept>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(kept) = &kept {
            kept.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// The HTTP/1.1 requests in what a client sent on one connection: each request line and its
/// body (by `Content-Length`, or de-chunked).
fn requests_in(mut bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut requests = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        bytes = &bytes[end + 4..];
        let header = |name: &str| {
            head.lines().skip(1).find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            while let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") {
                let size = String::from_utf8_lossy(&bytes[..line_end]);
                let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                    .unwrap_or(0);
                bytes = &bytes[line_end + 2..];
                let take = size.min(bytes.len());
                body.extend_from_slice(&bytes[..take]);
                bytes = &bytes[(take + 2).min(bytes.len())..];
                if size == 0 {
                    break;
                }
            }
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let take = len.min(bytes.len());
            body.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        requests.push((head.lines().next().unwrap_or_default().to_owned(), body));
    }
    requests
}

/// An HTTP date (`Thu, 01 Jan 1970 00:00:01 GMT`) of Unix time `secs`.
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (H. Hinnant's algorithm), for days since 1970-01-01.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[((days + 4) % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// 1 MiB and a bit: nine parts of 128 KiB, the last short.
const SIZE: usize = (1 << 20) + 123;
const PART: u64 = 128 << 10;

/// What an observer heard: parts in flight at once (most), parts done, the last total.
#[derive(Default)]
struct Heard {
    started: Mutex<HashSet<u64>>,
    done: Mutex<Vec<SentPart>>,
    most_in_flight: Mutex<usize>,
    last_total: Mutex<(u64, u64)>,
}

impl Observer for Heard {
    fn sent(&self, sent: u64, total: u64) {
        *self.last_total.lock().unwrap() = (sent, total);
    }
    fn part_sent(&self, progress: &PartProgress) {
        if progress.sent == 0 {
            return;
        }
        let mut started = self.started.lock().unwrap();
        started.insert(progress.range.offset);
        let done = self.done.lock().unwrap().len();
        let mut most = self.most_in_flight.lock().unwrap();
        *most = (*most).max(started.len() - done.min(started.len()));
    }
    fn part_done(&self, part: &SentPart) {
        self.done.lock().unwrap().push(part.clone());
    }
}

fn part_requests(s: &Setup) -> Vec<RecordedRequest> {
    files_tests::part_requests(&s.emulator)
}

fn a_file_sent_in_parts_side_by_side_downloads_byte_identical(wire: Wire) {
    let s = Setup::new(wire);
    // Each part's answer waits a moment, so parts overlap whatever the machine's speed.
    s.emulator.inject(
        Fault::delay(Duration::from_millis(150))
            .on("POST", "/uploads/*/parts")
            .times(100),
    );
    let heard = Arc::new(Heard::default());
    let relay = Relay::start(s.emulator.addr());
    let api = Setup::api_with(
        wire,
        &relay.base_url(&s),
        s.emulator.api_key(),
        RequestOptions::new().observer(heard.clone()),
    );
    let source = s.path("big.jsonl");
    let hash = write_sample(&source, SIZE, 41);
    let file = api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART).in_flight(3),
            None,
        )
        .unwrap();
    assert_eq!(file.bytes, SIZE as u64);
    assert_eq!(file.filename, "big.jsonl");
    let parts = part_requests(&s);
    assert_eq!(parts.len(), 9, "one request a part");
    assert!(
        parts
            .iter()
            .all(|r| r.file_part.as_ref().is_some_and(|p| p.bytes <= PART))
    );
    assert_eq!(heard.done.lock().unwrap().len(), 9);
    assert_eq!(
        *heard.last_total.lock().unwrap(),
        (SIZE as u64, SIZE as u64)
    );
    let most = *heard.most_in_flight.lock().unwrap();
    assert!((2..=3).contains(&most), "parts in flight at once: {most}");
    // The completion named the parts in file order and carried the file's MD5, which the
    // emulator checks when it is given (a wrong one is refused: see the steps test below).
    let mut done = heard.done.lock().unwrap().clone();
    done.sort_by_key(|part| part.range.offset);
    let part_ids: Vec<&str> = done.iter().map(|part| part.id.as_str()).collect();
    let completions = relay.bodies_to("/complete");
    assert_eq!(completions.len(), 1, "one completion");
    let completion: serde_json::Value = serde_json::from_slice(&completions[0]).unwrap();
    assert_eq!(
        completion,
        serde_json::json!({"part_ids": part_ids, "md5": md5_hex(&sample_bytes(SIZE, 41))}),
    );
    // The file is whole.
    let dest = s.path("back.jsonl");
    s.api.download_to_path(&file.id, &dest).unwrap();
    assert_eq!(sha256_file(&dest), hash);
}

fn a_part_that_fails_once_is_retried_on_its_own(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator.inject(
        Fault::status(
            503,
            serde_json::json!({"error": {"message": "busy", "type": "server_error"}}),
        )
        .on("POST", "/uploads/*/parts")
        .times(1),
    );
    let source = s.path("big.jsonl");
    let hash = write_sample(&source, SIZE, 42);
    let file = s
        .api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART).in_flight(4),
            None,
        )
        .unwrap();
    assert_eq!(part_requests(&s).len(), 10, "nine parts and one retry");
    let dest = s.path("back.jsonl");
    s.api.download_to_path(&file.id, &dest).unwrap();
    assert_eq!(sha256_file(&dest), hash);
}

fn a_part_that_keeps_failing_cancels_the_upload(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator.inject(
        Fault::status(
            500,
            serde_json::json!({"error": {"message": "disk full", "type": "server_error"}}),
        )
        .on("POST", "/uploads/*/parts")
        .every(3)
        .times(100),
    );
    let api = s.api_with_options(RequestOptions::new().max_retries(1));
    let source = s.path("big.jsonl");
    write_sample(&source, SIZE, 43);
    let err = api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART).in_flight(2),
            None,
        )
        .unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("expected an upload failure, got {err:?}")
    };
    assert!(
        matches!(failure.step, UploadStep::Part { count: 9, .. }),
        "{err}"
    );
    assert_eq!(failure.after, UploadAfterFailure::Cancelled, "{err}");
    let text = err.to_string();
    assert!(text.contains("of 9 (bytes "), "{text}");
    assert!(text.contains("disk full"), "{text}");
    assert!(text.contains("gave up after 2 attempts"), "{text}");
    assert!(text.ends_with("the Upload was cancelled"), "{text}");
    assert_eq!(err.status(), Some(500));
    let upload_id = failure.upload_id.clone().unwrap();
    assert!(
        s.emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/uploads/{upload_id}/cancel")))
    );
    // A cancelled Upload takes nothing more.
    let again = api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART),
            Some(ResumeFrom::new(upload_id, Vec::new())),
        )
        .unwrap_err();
    assert!(again.to_string().contains("it is cancelled"), "{again}");
}

fn an_upload_resumed_after_it_expired_says_so(wire: Wire) {
    let s = Setup::new(wire);
    let source = s.path("big.jsonl");
    write_sample(&source, SIZE, 44);
    let upload = s
        .api
        .create_upload(&NewUpload::new(
            "big.jsonl",
            Purpose::BATCH,
            SIZE as u64,
            "application/jsonl",
        ))
        .unwrap();
    assert_eq!(upload.status, UploadStatus::PENDING);
    assert_eq!(upload.expires_at, Some(upload.created_at + 3600));
    let expires_at = upload.expires_at.unwrap();
    s.emulator.advance_clock(Duration::from_secs(3601));
    let err = s
        .api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART),
            Some(ResumeFrom::new(upload.id.clone(), Vec::new()).with_expires_at(upload.expires_at)),
        )
        .unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("expected an upload failure, got {err:?}")
    };
    assert_eq!(failure.upload_id.as_deref(), Some(upload.id.as_str()));
    assert!(
        matches!(failure.step, UploadStep::Part { count: 9, .. }),
        "{err}"
    );
    // The server refused the cancel the same way: the Upload takes nothing more.
    assert_eq!(failure.after, UploadAfterFailure::NotOpen, "{err}");
    let Error::Api(refused) = &failure.source else {
        panic!("expected the server's refusal, got {err:?}")
    };
    assert_eq!(refused.status, 400, "{err}");
    assert_eq!(refused.error_type.as_deref(), Some("invalid_request_error"));
    assert_eq!(
        refused.message,
        format!(
            "Upload {} cannot take this request: it expired at {} (an Upload is open for an \
             hour after it is created); create a new Upload.",
            upload.id,
            http_date(expires_at)
        )
    );
    assert!(
        err.to_string().ends_with(
            "; the server refused to cancel it with the same answer, so it takes nothing more \
             (it expired, was cancelled or was completed): upload the file again from the start"
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert!(
        s.emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/uploads/{}/cancel", upload.id))),
        "the client tried to cancel it"
    );
    // And past the hour by the client's own clock, nothing is sent at all.
    let before = s.emulator.requests().len();
    let err = s
        .api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new(),
            Some(ResumeFrom::new(upload.id.clone(), Vec::new()).with_expires_at(Some(1))),
        )
        .unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("expected an upload failure, got {err:?}")
    };
    assert_eq!(failure.step, UploadStep::Resume, "{err}");
    assert_eq!(
        failure.after,
        UploadAfterFailure::Expired { at: 1 },
        "{err}"
    );
    assert!(matches!(failure.source, Error::Validation(_)), "{err}");
    let id = &upload.id;
    assert_eq!(
        err.to_string(),
        format!(
            "could not resume the upload of Upload {id}: Upload {id}: has expired; nothing more \
             can be added to it; the Upload expired at {} (an Upload stays open for a limited \
             time after it is created): upload the file again from the start",
            http_date(1)
        )
    );
    assert_eq!(http_date(1), "Thu, 01 Jan 1970 00:00:01 GMT");
    assert!(!err.is_retryable());
    assert_eq!(s.emulator.requests().len(), before);
}

/// The steps one at a time, and what the emulator refuses: a part over the limit, parts that
/// do not add up, a wrong MD5.
#[test]
fn the_steps_one_by_one_and_the_emulator_s_checks() {
    let s = Setup::new(Wire::OpenAiUreq);
    let client = Client::new(
        OpenAi::new(s.emulator.api_key())
            .with_base_url(&s.emulator.base_url())
            .unwrap(),
        UreqTransport::new().unwrap(),
    );
    let uploads = client.uploads();
    let source = s.path("data.jsonl");
    let bytes = files_tests::sample_bytes(300, 45);
    std::fs::write(&source, &bytes).unwrap();
    let new = NewUpload::new("data.jsonl", Purpose::BATCH, 300, "application/jsonl");
    let range = |offset, len| PathRange {
        path: source.clone(),
        offset,
        len,
    };

    // Parts that add up to less than declared.
    let upload = uploads.create(&new).unwrap();
    let a = uploads.add_part(&upload.id, range(0, 100)).unwrap();
    let err = uploads
        .complete(&upload.id, std::slice::from_ref(&a.id), None)
        .unwrap_err();
    assert!(err.to_string().contains("add up to 100 bytes"), "{err}");
    // A wrong MD5 is refused; the right one completes.
    let b = uploads.add_part(&upload.id, range(100, 200)).unwrap();
    let ids = [a.id.clone(), b.id.clone()];
    let err = uploads
        .complete(&upload.id, &ids, Some("00000000000000000000000000000000"))
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    let md5 = files_tests::md5_hex(&bytes);
    let done = uploads.complete(&upload.id, &ids, Some(&md5)).unwrap();
    assert_eq!(done.status, UploadStatus::COMPLETED);
    let file = done.file.unwrap();
    let mut back = Vec::new();
    client.files().download_to(&file.id, &mut back).unwrap();
    assert_eq!(sha256(&back), sha256(&bytes));
    // Parts out of order make another file: the order is the completion's.
    let upload = uploads.create(&new).unwrap();
    let b = uploads.add_part(&upload.id, range(100, 200)).unwrap();
    let a = uploads.add_part(&upload.id, range(0, 100)).unwrap();
    let done = uploads.complete(&upload.id, &[b.id, a.id], None).unwrap();
    let mut swapped = Vec::new();
    client
        .files()
        .download_to(&done.file.unwrap().id, &mut swapped)
        .unwrap();
    assert_eq!(&swapped[..200], &bytes[100..]);
    // A cancelled Upload answers as such.
    let upload = uploads.create(&new).unwrap();
    assert_eq!(
        uploads.cancel(&upload.id).unwrap().status,
        UploadStatus::CANCELLED
    );
    let err = uploads.add_part(&upload.id, range(0, 10)).unwrap_err();
    assert!(err.to_string().contains("it is cancelled"), "{err}");
}

/// A part over the provider's limit is refused by the emulator (`add_part` sends whatever
/// range it is given); the whole-file flow refuses such a part size before sending.
#[test]
fn the_emulator_refuses_a_part_over_64_mib() {
    let s = Setup::new(Wire::OpenAiUreq);
    let client = Client::new(
        OpenAi::new(s.emulator.api_key())
            .with_base_url(&s.emulator.base_url())
            .unwrap(),
        UreqTransport::new().unwrap(),
    );
    let source = s.path("sparse.jsonl");
    let file = std::fs::File::create(&source).unwrap();
    file.set_len((64 << 20) + 1).unwrap();
    let upload = client
        .uploads()
        .create(&NewUpload::new(
            "sparse.jsonl",
            Purpose::BATCH,
            (64 << 20) + 1,
            "application/jsonl",
        ))
        .unwrap();
    let err = client
        .uploads()
        .add_part(
            &upload.id,
            PathRange {
                path: source.clone(),
                offset: 0,
                len: (64 << 20) + 1,
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("a part holds at most 64 MB"),
        "{err}"
    );
    // The client refuses such a part size before sending anything.
    let err = client
        .uploads()
        .upload(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size((64 << 20) + 1),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err}");
}

/// An observer that panics while a part is sent.
struct Panics;

impl Observer for Panics {
    fn part_sent(&self, _: &PartProgress) {
        panic!("an observer that panics");
    }
}

/// A part whose thread or task panics (here, in the caller's observer) fails the upload with
/// a driver error instead of hanging it (the test fails past [`files_tests::SCENARIO_DEADLINE`]), and the Upload is
/// cancelled.
fn a_part_that_panics_fails_the_upload_and_does_not_hang(wire: Wire) {
    let s = Setup::new(wire);
    let api = s.api_with_options(RequestOptions::new().observer(Arc::new(Panics)));
    let source = s.path("big.jsonl");
    write_sample(&source, SIZE, 46);
    let err = api
        .upload_in_parts(
            UploadRequest::from_path(&source, Purpose::BATCH),
            PartOptions::new().part_size(PART).in_flight(2),
            None,
        )
        .unwrap_err();
    let Error::Upload(failure) = &err else {
        panic!("expected an upload failure, got {err:?}")
    };
    assert_eq!(failure.after, UploadAfterFailure::Cancelled, "{err}");
    let Error::Transport(lost) = &failure.source else {
        panic!("expected the driver's error, got {err:?}")
    };
    assert_eq!(lost.kind, files_client::TransportErrorKind::Other, "{err}");
    assert!(
        lost.message.ends_with("; this is a bug in files-core"),
        "{err}"
    );
    assert!(
        s.emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/cancel")),
        "the Upload is cancelled"
    );
}

/// `files().create` with `with_parts` takes the Uploads API (as it does by itself over
/// 512 MB) and returns the same `FileObject`.
fn files_create_goes_through_the_uploads_api_when_asked(wire: Wire) {
    let s = Setup::new(wire);
    let source = s.path("big.jsonl");
    let hash = write_sample(&source, SIZE, 47);
    let file = s
        .api
        .create(
            UploadRequest::from_path(&source, Purpose::BATCH)
                .with_parts(PartOptions::new().part_size(PART)),
        )
        .unwrap();
    assert_eq!(file.bytes, SIZE as u64);
    let requests = s.emulator.requests();
    assert!(!requests.iter().any(|r| r.path.ends_with("/files")));
    assert_eq!(part_requests(&s).len(), 9);
    let dest = s.path("back.jsonl");
    s.api.download_to_path(&file.id, &dest).unwrap();
    assert_eq!(sha256_file(&dest), hash);
}
