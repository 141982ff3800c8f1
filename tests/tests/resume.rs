//! Downloads cut mid-way, resumed over real loopback sockets through both transports: with a
//! `Range` when the server serves ranges, from zero when it does not, and never beyond the
//! retry budget or into a partial file.

use std::sync::{Arc, Mutex};

use files_cli::Api;
use files_client::{ContentInfo, Error, Observer, Purpose, RequestOptions, RetryNotice};
use files_client::{TransportErrorKind, UploadRequest};
use files_emulator::{EmulatorConfig, Fault, RecordedRequest};
use files_tests::{Setup, Wire, both_transports, sha256, sha256_file, write_sample};
use futures_util::StreamExt;

both_transports!(
    a_cut_download_resumes_with_a_range_and_is_byte_identical,
    without_ranges_a_cut_download_starts_again_and_is_byte_identical,
    a_cut_download_to_a_writer_resumes_too,
    cuts_beyond_the_budget_fail_with_the_attempt_count_and_leave_nothing,
    a_download_that_failed_for_good_sends_nothing_more,
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

/// The next `times` downloads are cut after `bytes` of their body.
fn cut(bytes: u64, times: u32) -> Fault {
    Fault::cut_after_response_bytes(bytes)
        .on("GET", "/files/*/content")
        .times(times)
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

/// What an observer heard: every byte count, and every retry notice.
#[derive(Default)]
struct Heard {
    received: Mutex<Vec<u64>>,
    retries: Mutex<Vec<RetryNotice>>,
}

impl Observer for Heard {
    fn received(&self, received: u64, _total: Option<u64>) {
        self.received.lock().unwrap().push(received);
    }
    fn retrying(&self, notice: &RetryNotice) {
        self.retries.lock().unwrap().push(notice.clone());
    }
}

impl Heard {
    /// The byte count each resume started from, as the client's notices give it
    /// ("connection failed while transferring after N bytes; resuming").
    fn resumed_after(&self) -> Vec<u64> {
        self.retries
            .lock()
            .unwrap()
            .iter()
            .map(|notice| {
                assert_eq!(notice.operation, "files.content", "{notice:?}");
                notice
                    .reason
                    .strip_prefix("connection failed while transferring after ")
                    .and_then(|rest| rest.strip_suffix(" bytes; resuming"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("not a resume notice: {notice:?}"))
            })
            .collect()
    }
}

/// Reads a file's content through `content()` on either transport: what the first response's
/// head said, and every byte.
fn read_content(api: &Api, id: &str) -> Result<(ContentInfo, Vec<u8>), Error> {
    match api {
        Api::Blocking(client) => {
            let mut download = client.files().content(id)?;
            let mut out = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = download.read_chunk(&mut buf)?;
                if n == 0 {
                    return Ok((download.info().clone(), out));
                }
                out.extend_from_slice(&buf[..n]);
            }
        }
        Api::Async(client, runtime) => runtime.block_on(async {
            let mut download = client.files().content(id).await?;
            let mut out = Vec::new();
            while let Some(chunk) = download.next().await {
                out.extend_from_slice(&chunk?);
            }
            Ok((download.info().clone(), out))
        }),
    }
}

fn a_cut_download_resumes_with_a_range_and_is_byte_identical(wire: Wire) {
    let s = Setup::new(wire);
    let (id, hash) = upload(&s);
    s.emulator.inject(cut(1_000_000, 1));
    let heard = Arc::new(Heard::default());
    let api = s.api_with_options(RequestOptions::new().observer(heard.clone()));
    let (first, bytes) = read_content(&api, &id).unwrap();
    assert_eq!(
        sha256(&bytes),
        hash,
        "the resumed content is byte-identical"
    );
    assert_eq!((first.status, first.len), (200, Some(SIZE as u64)));
    let etag = first.etag.expect("the first answer carries an ETag");

    let requests = content_requests(&s);
    assert_eq!(requests.len(), 2, "one cut, one resume");
    assert_eq!(requests[0].header("range"), None);
    assert_eq!(requests[0].header("if-range"), None);
    let resumed_after = heard.resumed_after();
    assert_eq!(resumed_after.len(), 1, "one resume");
    let from = resumed_after[0];
    assert!(from > 0 && from <= 1_000_000, "resumed after {from} bytes");
    assert_eq!(
        requests[1].header("range"),
        Some(format!("bytes={from}-").as_str()),
        "the rest is asked for from the byte the cut stopped at"
    );
    assert_eq!(
        requests[1].header("if-range"),
        Some(etag.as_str()),
        "the resume is conditional on the first answer's ETag"
    );

    let counts = heard.received.lock().unwrap().clone();
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back"
    );
    assert!(
        counts.contains(&from),
        "the count reached {from} before the cut"
    );
    assert_eq!(counts.last(), Some(&(SIZE as u64)));
}

fn without_ranges_a_cut_download_starts_again_and_is_byte_identical(wire: Wire) {
    let s = Setup::with_config(wire, EmulatorConfig::new(wire.dialect()).with_ranges(false));
    let (id, hash) = upload(&s);
    s.emulator.inject(cut(1_500_000, 1));
    let dest = s.path("copy.jsonl");
    assert_eq!(s.api.download_to_path(&id, &dest).unwrap(), SIZE as u64);
    assert_eq!(sha256_file(&dest), hash);
    let requests = content_requests(&s);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("range"), None, "no range was offered");
    assert_eq!(requests[1].header("if-range"), None);
    assert_eq!(files_left(&s), ["copy.jsonl", "sample.jsonl"]);
}

fn a_cut_download_to_a_writer_resumes_too(wire: Wire) {
    let s = Setup::new(wire);
    let (id, hash) = upload(&s);
    s.emulator.inject(cut(700_000, 2));
    let heard = Arc::new(Heard::default());
    let api = s.api_with_options(RequestOptions::new().observer(heard.clone()));
    let mut out = Vec::new();
    assert_eq!(api.download_to_writer(&id, &mut out).unwrap(), SIZE as u64);
    assert_eq!(sha256(&out), hash);

    let requests = content_requests(&s);
    assert_eq!(requests.len(), 3, "two cuts, two resumes");
    assert_eq!(requests[0].header("range"), None);
    let resumed_after = heard.resumed_after();
    assert_eq!(resumed_after.len(), 2, "two resumes");
    let (first, second) = (resumed_after[0], resumed_after[1]);
    // The first cut ends the whole answer, the second the 206 that began at `first`.
    assert!(first > 0 && first <= 700_000, "first resume after {first}");
    assert!(
        second > first && second <= first + 700_000,
        "second resume after {second}"
    );
    for (request, from) in requests[1..].iter().zip([first, second]) {
        assert_eq!(
            request.header("range"),
            Some(format!("bytes={from}-").as_str()),
            "each resume asks for the rest from the byte delivered last"
        );
        assert!(request.header("if-range").is_some(), "{request:?}");
    }
    assert_eq!(
        requests[1].header("if-range"),
        requests[2].header("if-range")
    );
}

fn cuts_beyond_the_budget_fail_with_the_attempt_count_and_leave_nothing(wire: Wire) {
    let s = Setup::new(wire);
    let (id, _) = upload(&s);
    s.emulator.inject(cut(200_000, 3));
    let dest = s.path("copy.jsonl");
    let err = s.api.download_to_path(&id, &dest).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Io, "{err}");
    assert_eq!(t.attempts, 3, "{err}");
    assert!(
        err.to_string().contains("gave up after 3 attempts"),
        "{err}"
    );
    assert_eq!(content_requests(&s).len(), 3);
    assert!(!dest.exists());
    assert_eq!(files_left(&s), ["sample.jsonl"], "no partial file is left");
}

/// A download read through `content()` that failed for good stays failed: the blocking
/// reader fails every later read, the stream ends; neither sends another request.
fn a_download_that_failed_for_good_sends_nothing_more(wire: Wire) {
    let s = Setup::new(wire);
    let (id, _) = upload(&s);
    s.emulator.inject(cut(200_000, 3));
    match &s.api {
        Api::Blocking(client) => {
            let mut download = client.files().content(&id).unwrap();
            let first = std::io::copy(&mut download, &mut std::io::sink()).unwrap_err();
            assert!(
                first.to_string().contains("gave up after 3 attempts"),
                "{first}"
            );
            assert_eq!(content_requests(&s).len(), 3);
            let again = std::io::copy(&mut download, &mut std::io::sink()).unwrap_err();
            assert!(again.to_string().contains("failed earlier"), "{again}");
        }
        Api::Async(client, runtime) => runtime.block_on(async {
            let mut download = client.files().content(&id).await.unwrap();
            let first = loop {
                match download.next().await {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break e,
                    None => panic!("the stream ended without the error"),
                }
            };
            assert!(
                first.to_string().contains("gave up after 3 attempts"),
                "{first}"
            );
            assert_eq!(first.attempts(), Some(3), "{first}");
            assert_eq!(content_requests(&s).len(), 3);
            assert!(download.next().await.is_none(), "the stream has ended");
            assert!(download.next().await.is_none(), "and stays ended");
        }),
    }
    assert_eq!(content_requests(&s).len(), 3, "nothing more was sent");
}
