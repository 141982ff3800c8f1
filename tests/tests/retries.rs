//! Retries, timeouts and progress over real loopback sockets, through both transports: the
//! machines' rules (tested without a network in files-core) met by a misbehaving server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use files_client::{
    Error, ListParams, Observer, Polling, Purpose, RequestOptions, RetryNotice, TransportErrorKind,
    UploadRequest,
};
use files_emulator::{EmulatorConfig, Fault};
use files_tests::{Setup, Wire, both_transports, sha256_file, write_sample};
use serde_json::json;

both_transports!(
    a_503_with_retry_after_is_retried_and_stores_the_file_intact,
    three_502s_fail_after_three_requests_naming_the_status_and_attempts,
    a_spent_quota_is_not_retried,
    x_should_retry_false_is_not_retried,
    a_connection_cut_mid_upload_is_retried_and_stores_the_file_intact,
    a_late_response_head_times_out_and_is_retried,
    a_stalled_response_trips_the_idle_timeout_and_is_retried,
    a_stalled_download_is_a_timeout_and_leaves_no_file,
    progress_totals_equal_the_file_size_and_retries_are_reported,
    waiting_for_processing_polls_until_the_file_is_processed,
);

fn posts(s: &Setup) -> usize {
    s.emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

/// Uploads a sample file; returns its id, path and hash.
fn upload_sample(s: &Setup, api: &files_cli::Api, len: usize) -> (String, String) {
    let source = s.path("sample.jsonl");
    let hash = write_sample(&source, len, 17);
    let file = api
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .unwrap();
    assert_eq!(file.bytes, len as u64);
    (file.id, hash)
}

/// Downloads a file and checks it is byte-identical to what was sent.
fn assert_stored_intact(s: &Setup, id: &str, hash: &str) {
    let copy = s.path("copy.jsonl");
    s.api.download_to_path(id, &copy).unwrap();
    assert_eq!(
        sha256_file(&copy),
        hash,
        "the stored bytes are the ones sent"
    );
}

fn busy(status: u16) -> Fault {
    Fault::status(
        status,
        json!({"error": {"message": "Overloaded", "type": "server_error"}}),
    )
}

fn a_503_with_retry_after_is_retried_and_stores_the_file_intact(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator.inject(
        busy(503)
            .with_header("retry-after-ms", "20")
            .on("POST", "/files"),
    );
    let (id, hash) = upload_sample(&s, &s.api, 2 * 1024 * 1024 + 3);
    assert_eq!(
        posts(&s),
        2,
        "one refused attempt, one that stored the file"
    );
    assert_stored_intact(&s, &id, &hash);
}

fn three_502s_fail_after_three_requests_naming_the_status_and_attempts(wire: Wire) {
    let s = Setup::new(wire);
    // Each attempt's answer carries its own request id, so the one kept can be told apart.
    let ids = ["req_502_first", "req_502_second", "req_502_last"];
    for id in ids {
        s.emulator.inject(
            Fault::html_bad_gateway()
                .with_header("retry-after-ms", "10")
                .with_header("x-request-id", id)
                .on("GET", "/files"),
        );
    }
    let err = s.api.list(&ListParams::new()).unwrap_err();
    assert_eq!(s.emulator.requests().len(), 3);
    assert_eq!(
        s.emulator.faults_fired(),
        3,
        "each attempt got its own answer"
    );
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.attempts(), Some(3));
    let text = err.to_string();
    assert!(text.starts_with("HTTP 502 Bad Gateway"), "{text}");
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert_eq!(
        err.request_id(),
        Some("req_502_last"),
        "the last attempt's request id is kept: {text}"
    );
    assert!(text.contains("[request id req_502_last]"), "{text}");
}

fn a_spent_quota_is_not_retried(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator.inject(
        Fault::status(
            429,
            json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}),
        )
        .times(3),
    );
    let err = s.api.retrieve("file-1").unwrap_err();
    assert_eq!(s.emulator.requests().len(), 1);
    assert_eq!(err.status(), Some(429));
    assert!(!err.is_retryable());
}

fn x_should_retry_false_is_not_retried(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator
        .inject(busy(503).with_header("x-should-retry", "false").times(3));
    let err = s.api.retrieve("file-1").unwrap_err();
    assert_eq!(s.emulator.requests().len(), 1);
    assert_eq!((err.status(), err.attempts()), (Some(503), Some(1)));
}

fn a_connection_cut_mid_upload_is_retried_and_stores_the_file_intact(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator
        .inject(Fault::cut_after_request_bytes(256 * 1024).on("POST", "/files"));
    let recorder = Arc::new(Recorder::default());
    let api = s.api_with_options(RequestOptions::new().observer(recorder.clone()));
    let (id, hash) = upload_sample(&s, &api, 3 * 1024 * 1024);
    let retries = recorder.retries.lock().unwrap().clone();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(
        retries[0].reason, "connection failed while transferring",
        "the client saw the connection cut, not an answer"
    );
    let uploads: Vec<_> = s
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert!(
        uploads[0].body_bytes < uploads[1].body_bytes,
        "the first was cut"
    );
    assert_stored_intact(&s, &id, &hash);
}

fn a_late_response_head_times_out_and_is_retried(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator
        .inject(Fault::delay(Duration::from_secs(3)).on("GET", "/files"));
    let api = s.api_with_options(RequestOptions::new().timeout(Duration::from_millis(300)));
    let page = api.list(&ListParams::new()).unwrap();
    assert!(page.data.is_empty());
    assert_eq!(s.emulator.requests().len(), 2);
}

fn a_stalled_response_trips_the_idle_timeout_and_is_retried(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator
        .inject(Fault::stall_after_response_bytes(5).on("GET", "/files"));
    let api = s.api_with_options(RequestOptions::new().idle_timeout(Duration::from_millis(300)));
    assert!(api.list(&ListParams::new()).unwrap().data.is_empty());
    assert_eq!(s.emulator.requests().len(), 2);

    // Without retries, the stall is reported as a timeout.
    s.emulator
        .inject(Fault::stall_after_response_bytes(5).on("GET", "/files"));
    let impatient = s.api_with_options(
        RequestOptions::new()
            .idle_timeout(Duration::from_millis(300))
            .max_retries(0),
    );
    let err = impatient.list(&ListParams::new()).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Timeout, "{err}");
}

fn a_stalled_download_is_a_timeout_and_leaves_no_file(wire: Wire) {
    let s = Setup::new(wire);
    let (id, _) = upload_sample(&s, &s.api, 1024 * 1024);
    // Every attempt stalls (a stall once would be resumed: see resume.rs).
    s.emulator.inject(
        Fault::stall_after_response_bytes(100_000)
            .on("GET", "/files/*/content")
            .times(2),
    );
    let api = s.api_with_options(
        RequestOptions::new()
            .idle_timeout(Duration::from_millis(300))
            .max_retries(1),
    );
    let dest = s.path("out.jsonl");
    let err = api.download_to_path(&id, &dest).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Timeout, "{err}");
    assert_eq!(t.attempts, 2, "{err}");
    assert!(!dest.exists());
    let left: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["sample.jsonl"], "no temporary file is left");
}

/// Everything an observer heard.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(u64, u64)>>,
    received: Mutex<Vec<(u64, Option<u64>)>>,
    retries: Mutex<Vec<RetryNotice>>,
}

impl Observer for Recorder {
    fn sent(&self, sent: u64, total: u64) {
        self.sent.lock().unwrap().push((sent, total));
    }
    fn received(&self, received: u64, total: Option<u64>) {
        self.received.lock().unwrap().push((received, total));
    }
    fn retrying(&self, notice: &RetryNotice) {
        self.retries.lock().unwrap().push(notice.clone());
    }
}

fn progress_totals_equal_the_file_size_and_retries_are_reported(wire: Wire) {
    let s = Setup::new(wire);
    let len = 3 * 1024 * 1024 + 11;
    let recorder = Arc::new(Recorder::default());
    let api = s.api_with_options(RequestOptions::new().observer(recorder.clone()));
    s.emulator.inject(
        busy(503)
            .with_header("retry-after-ms", "15")
            .on("POST", "/files"),
    );
    let (id, _) = upload_sample(&s, &api, len);
    let len = len as u64;

    let sent = recorder.sent.lock().unwrap().clone();
    assert_eq!(
        sent.last(),
        Some(&(len, len)),
        "the last report is the whole file"
    );
    assert!(sent.iter().all(|(_, total)| *total == len));
    let restarts = sent.iter().filter(|(n, _)| *n == 0).count();
    assert_eq!(restarts, 2, "each attempt starts again at 0");

    let retries = recorder.retries.lock().unwrap().clone();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0].attempt, 2);
    assert_eq!(retries[0].max_attempts, 3);
    assert_eq!(retries[0].wait, Duration::from_millis(15));
    assert_eq!(retries[0].reason, "HTTP 503 Service Unavailable");
    assert_eq!(retries[0].operation, "files.create");

    api.download_to_path(&id, &s.path("copy.jsonl")).unwrap();
    let received = recorder.received.lock().unwrap().clone();
    assert_eq!(received.first(), Some(&(0, Some(len))));
    assert_eq!(received.last(), Some(&(len, Some(len))));
}

fn waiting_for_processing_polls_until_the_file_is_processed(wire: Wire) {
    let s = Setup::with_config(wire, EmulatorConfig::new(wire.dialect()));
    let (id, _) = upload_sample(&s, &s.api, 10);
    let uploaded = json!({"id": id, "object": "file", "bytes": 10, "created_at": 1,
        "filename": "sample.jsonl", "purpose": "batch", "status": "uploaded"});
    s.emulator
        .inject(Fault::status(200, uploaded).on("GET", "/files/*").times(2));
    let polling = Polling::new().every(Duration::from_millis(20));
    let file = s.api.wait_for_processing(&id, polling).unwrap();
    assert_eq!(file.status.unwrap().as_str(), "processed");
    let checks = s
        .emulator
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&id))
        .count();
    assert_eq!(checks, 3);

    s.emulator.inject(
        Fault::status(
            200,
            json!({"id": id, "object": "file", "bytes": 10, "created_at": 1,
            "filename": "sample.jsonl", "purpose": "batch", "status": "uploaded"}),
        )
        .on("GET", "/files/*")
        .times(100),
    );
    let polling = Polling::new()
        .every(Duration::from_millis(20))
        .up_to(Duration::from_millis(100));
    let err = s.api.wait_for_processing(&id, polling).unwrap_err();
    let Error::ProcessingTimeout(timeout) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(timeout.file_id, id);
    assert!(err.to_string().contains("was still 'uploaded'"), "{err}");
}
