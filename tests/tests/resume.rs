//! Downloads cut mid-way, resumed over real loopback sockets through both transports: with a
//! `Range` when the server serves ranges, from zero when it does not, and never beyond the
//! retry budget or into a partial file.

use std::sync::{Arc, Mutex};

use files_client::{Error, Observer, Purpose, RequestOptions, UploadRequest};
use files_emulator::{EmulatorConfig, Fault, RecordedRequest};
use files_tests::{Setup, Wire, both_transports, sha256, sha256_file, write_sample};

both_transports!(
    a_cut_download_resumes_with_a_range_and_is_byte_identical,
    without_ranges_a_cut_download_starts_again_and_is_byte_identical,
    a_cut_download_to_a_writer_resumes_too,
    cuts_beyond_the_budget_fail_with_the_attempt_count_and_leave_nothing,
);

const SIZE: usize = 3 * 1024 * 1024;

/// Uploads a sample of [`SIZE`] bytes; returns its id and hash.
fn upload(s: &Setup) -> (String, String) {
    let source = s.path("sample.jsonl");
    let hash = write_sample(&source, SIZE, 23);
    let file = s
        .api
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .unwrap();
    (file.id, hash)
}

fn content_requests(s: &Setup) -> Vec<RecordedRequest> {
    s.emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/content"))
        .collect()
}

fn files_left(s: &Setup) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The largest count an observer heard, and whether the counts never went back.
#[derive(Default)]
struct Received(Mutex<Vec<u64>>);

impl Observer for Received {
    fn received(&self, received: u64, _total: Option<u64>) {
        self.0.lock().unwrap().push(received);
    }
}

fn a_cut_download_resumes_with_a_range_and_is_byte_identical(wire: Wire) {
    let s = Setup::new(wire);
    let (id, hash) = upload(&s);
    s.emulator
        .inject(Fault::cut_after_response_bytes(1_000_000).on("GET", "/files/*/content"));
    let heard = Arc::new(Received::default());
    let api = s.api_with_options(RequestOptions::new().observer(heard.clone()));
    let dest = s.path("copy.jsonl");
    assert_eq!(api.download_to_path(&id, &dest).unwrap(), SIZE as u64);
    assert_eq!(sha256_file(&dest), hash);

    let requests = content_requests(&s);
    assert_eq!(requests.len(), 2, "one cut, one resume");
    assert_eq!(requests[0].header("range"), None);
    let range = requests[1].header("range").unwrap_or_default();
    let from: u64 = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("range {range:?}"));
    assert!(from > 0 && from <= 1_000_000, "resumed from {from}");
    assert!(requests[1].header("if-range").is_some());

    let counts = heard.0.lock().unwrap().clone();
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back"
    );
    assert_eq!(counts.last(), Some(&(SIZE as u64)));
}

fn without_ranges_a_cut_download_starts_again_and_is_byte_identical(wire: Wire) {
    let s = Setup::with_config(wire, EmulatorConfig::new(wire.dialect()).with_ranges(false));
    let (id, hash) = upload(&s);
    s.emulator
        .inject(Fault::cut_after_response_bytes(1_500_000).on("GET", "/files/*/content"));
    let dest = s.path("copy.jsonl");
    assert_eq!(s.api.download_to_path(&id, &dest).unwrap(), SIZE as u64);
    assert_eq!(sha256_file(&dest), hash);
    let requests = content_requests(&s);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("range"), None, "no range was offered");
}

fn a_cut_download_to_a_writer_resumes_too(wire: Wire) {
    let s = Setup::new(wire);
    let (id, hash) = upload(&s);
    s.emulator.inject(
        Fault::cut_after_response_bytes(700_000)
            .on("GET", "/files/*/content")
            .times(2),
    );
    let mut out = Vec::new();
    assert_eq!(
        s.api.download_to_writer(&id, &mut out).unwrap(),
        SIZE as u64
    );
    assert_eq!(sha256(&out), hash);
    assert_eq!(content_requests(&s).len(), 3, "two cuts, two resumes");
}

fn cuts_beyond_the_budget_fail_with_the_attempt_count_and_leave_nothing(wire: Wire) {
    let s = Setup::new(wire);
    let (id, _) = upload(&s);
    s.emulator.inject(
        Fault::cut_after_response_bytes(200_000)
            .on("GET", "/files/*/content")
            .times(3),
    );
    let dest = s.path("copy.jsonl");
    let err = s.api.download_to_path(&id, &dest).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.attempts, 3, "{err}");
    assert!(
        err.to_string().contains("gave up after 3 attempts"),
        "{err}"
    );
    assert_eq!(content_requests(&s).len(), 3);
    assert_eq!(files_left(&s), ["sample.jsonl"], "no partial file is left");

    // A reader that failed for good stays failed: it sends nothing more.
    if let files_cli::Api::Blocking(client) = &s.api {
        s.emulator.inject(
            Fault::cut_after_response_bytes(200_000)
                .on("GET", "/files/*/content")
                .times(3),
        );
        let mut download = client.files().content(&id).unwrap();
        let first = std::io::copy(&mut download, &mut std::io::sink()).unwrap_err();
        assert!(
            first.to_string().contains("gave up after 3 attempts"),
            "{first}"
        );
        let again = std::io::copy(&mut download, &mut std::io::sink()).unwrap_err();
        assert!(again.to_string().contains("failed earlier"), "{again}");
        assert_eq!(content_requests(&s).len(), 6);
    }
}
