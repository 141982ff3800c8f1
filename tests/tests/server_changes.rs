//! A file that changed on the server between a cut and the resume, over the wire, through
//! both transports: a download to a path is cut mid-body, and the request for the rest gets a
//! different file (another `ETag`, another length), a `206` from the wrong byte, or a whole
//! `200` that ignored the `Range`. The client joins parts of one file only: it refuses the
//! rest (not retryable, the destination untouched, nothing left beside it) — or, for a whole
//! `200` of the same file, drops the bytes it already has and finishes byte-identical. The
//! rules themselves are `files-core`'s `download::resume`, tested there without a network.

use files_cli::Api;
use files_client::{ContentInfo, Error, Purpose, TransportErrorKind, UploadRequest};
use files_emulator::{Fault, RecordedRequest};
use files_tests::{Setup, Wire, file_names, sample_bytes, sha256, sha256_file};

files_tests::both_transports!(
    a_200_of_a_file_with_another_etag_is_refused,
    a_206_with_another_etag_is_refused,
    a_206_with_another_total_length_is_refused,
    a_200_of_another_length_is_refused,
    a_206_from_an_earlier_byte_is_refused,
    a_206_from_a_later_byte_is_refused,
    a_200_that_ignored_the_range_is_skipped_to_the_cut_and_byte_identical,
    a_200_that_lost_its_validators_is_refused,
);

/// The file: four times the cut.
const SIZE: usize = 256 * 1024;
/// Where the first answer is cut: small enough to sit whole in the sockets' buffers, so the
/// client receives exactly this many bytes before the cut.
const CUT: u64 = 64 * 1024;
/// What the destination held before the download.
const OLD: &[u8] = b"the destination's old contents\n";
const DEST: &str = "copy.jsonl";

/// A stored file, what the server says of its content, and a destination that already
/// holds [`OLD`].
struct Stored {
    s: Setup,
    id: String,
    bytes: Vec<u8>,
    etag: String,
    last_modified: String,
    /// Content requests before the download under test (the probe's).
    before: usize,
}

impl Stored {
    fn new(wire: Wire) -> Stored {
        let s = Setup::new(wire);
        let bytes = sample_bytes(SIZE, 71);
        let file = s
            .api
            .create(UploadRequest::from_bytes(
                bytes.clone(),
                "data.jsonl",
                Purpose::BATCH,
            ))
            .unwrap();
        assert_eq!(file.bytes, SIZE as u64);
        // The validators, as the server sends them for this file: what the first answer of
        // the download under test carries too.
        let (info, probed) = read_content(&s.api, &file.id);
        assert_eq!(sha256(&probed), sha256(&bytes), "the probe reads the file");
        assert!(info.accept_ranges, "{info:?}");
        assert_eq!(info.len, Some(SIZE as u64));
        let etag = info.etag.expect("an ETag");
        let last_modified = info.last_modified.expect("a Last-Modified");
        std::fs::write(s.path(DEST), OLD).unwrap();
        let before = content_requests(&s).len();
        Stored {
            s,
            id: file.id,
            bytes,
            etag,
            last_modified,
            before,
        }
    }

    fn dest(&self) -> std::path::PathBuf {
        self.s.path(DEST)
    }

    /// Cuts the next download after [`CUT`] bytes, and answers the request for the rest
    /// with `then`; downloads to the destination.
    fn download_cut_then(&self, then: Fault) -> Result<u64, Error> {
        self.s.emulator.inject(
            Fault::cut_after_response_bytes(CUT)
                .on("GET", "/files/*/content")
                .times(1),
        );
        self.s
            .emulator
            .inject(then.on("GET", "/files/*/content").times(1));
        self.s.api.download_to_path(&self.id, &self.dest())
    }

    /// The download's requests: the cut one, then the resume, which asked for the rest from
    /// [`CUT`] on condition of the first answer's `ETag`; both faults fired.
    fn assert_one_resume_from_the_cut(&self) {
        let requests = content_requests(&self.s);
        let requests = &requests[self.before..];
        assert_eq!(
            requests.len(),
            2,
            "the cut answer and one resume: {requests:?}"
        );
        assert_eq!(requests[0].header("range"), None);
        assert_eq!(
            requests[1].header("range"),
            Some(format!("bytes={CUT}-").as_str()),
            "the client received exactly the {CUT} bytes sent before the cut"
        );
        assert_eq!(requests[1].header("if-range"), Some(self.etag.as_str()));
        assert_eq!(self.s.emulator.faults_fired(), 2, "the cut and the answer");
    }

    /// `err` is the client's refusal to join the parts, `what` saying why, not retried; the
    /// destination still holds [`OLD`] and nothing is left beside it.
    fn assert_refused(&self, err: &Error, what: &str) {
        let Error::Transport(t) = err else {
            panic!("expected a transport error, got {err:?}")
        };
        let message = format!(
            "the server {what} when the download of {} was resumed; download it again",
            self.id
        );
        assert_eq!(t.kind, TransportErrorKind::Other, "{err}");
        assert_eq!(t.message, message);
        assert_eq!(t.attempts, 2, "the cut request and the resume");
        assert_eq!(
            err.to_string(),
            format!("HTTP client error: {message}; gave up after 2 attempts")
        );
        assert!(!err.is_retryable(), "{err}");
        self.assert_one_resume_from_the_cut();
        assert_eq!(
            std::fs::read(self.dest()).unwrap(),
            OLD,
            "the old destination is untouched"
        );
        assert_eq!(
            file_names(self.s.dir.path()),
            [DEST],
            "nothing is left beside it"
        );
    }

    /// A `what` for a different file.
    fn changed(what: &str) -> String {
        format!("sent a different file ({what}) while it downloaded, so the parts cannot be joined")
    }
}

/// Reads a file's content through `content()` on either transport: what the first response's
/// head said, and every byte.
fn read_content(api: &Api, id: &str) -> (ContentInfo, Vec<u8>) {
    match api {
        Api::Blocking(client) => {
            let mut download = client.files().content(id).unwrap();
            let mut out = Vec::new();
            std::io::copy(&mut download, &mut out).unwrap();
            (download.info().clone(), out)
        }
        Api::Async(client, runtime) => runtime.block_on(async {
            use futures_util::StreamExt;
            let mut download = client.files().content(id).await.unwrap();
            let mut out = Vec::new();
            while let Some(chunk) = download.next().await {
                out.extend_from_slice(&chunk.unwrap());
            }
            (download.info().clone(), out)
        }),
    }
}

fn content_requests(s: &Setup) -> Vec<RecordedRequest> {
    s.emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/content"))
        .collect()
}

/// The file as it is after the change: other bytes, `len` of them.
fn new_bytes(len: usize) -> Vec<u8> {
    let bytes = sample_bytes(len, 72);
    assert_ne!(
        bytes[..SIZE.min(len)],
        sample_bytes(SIZE, 71)[..SIZE.min(len)]
    );
    bytes
}

/// An answer with `status` and `body` (sample text, so valid UTF-8), and these headers.
fn answer(status: u16, body: &[u8], headers: &[(&str, String)]) -> Fault {
    let body = String::from_utf8(body.to_vec()).expect("sample bytes are text");
    headers.iter().fold(
        Fault::respond(status, "application/octet-stream", body),
        |fault, (name, value)| fault.with_header(*name, value.clone()),
    )
}

/// The headers of an answer about the file with `etag`, `last_modified` and `range`.
fn heads(etag: &str, last_modified: &str, range: Option<String>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("accept-ranges", "bytes".to_owned()),
        ("etag", etag.to_owned()),
        ("last-modified", last_modified.to_owned()),
    ];
    if let Some(range) = range {
        headers.push(("content-range", range));
    }
    headers
}

/// The server's `If-Range` check failed, as it does for a changed file: a whole `200` of the
/// new content (same length, same `Last-Modified`, another `ETag`).
fn a_200_of_a_file_with_another_etag_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let new = new_bytes(SIZE);
    let headers = heads("\"changed\"", &f.last_modified, None);
    let err = f
        .download_cut_then(answer(200, &new, &headers))
        .unwrap_err();
    f.assert_refused(&err, &Stored::changed("its ETag or Last-Modified changed"));
}

/// A `206` of the rest from the right byte, but of a file with another `ETag`.
fn a_206_with_another_etag_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let new = new_bytes(SIZE);
    let range = format!("bytes {CUT}-{}/{SIZE}", SIZE - 1);
    let headers = heads("\"changed\"", &f.last_modified, Some(range));
    let err = f
        .download_cut_then(answer(206, &new[CUT as usize..], &headers))
        .unwrap_err();
    f.assert_refused(&err, &Stored::changed("its ETag or Last-Modified changed"));
}

/// A `206` from the right byte with the same validators, but the whole is now longer.
fn a_206_with_another_total_length_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let longer = SIZE + 4096;
    let new = new_bytes(longer);
    let range = format!("bytes {CUT}-{}/{longer}", longer - 1);
    let headers = heads(&f.etag, &f.last_modified, Some(range));
    let err = f
        .download_cut_then(answer(206, &new[CUT as usize..], &headers))
        .unwrap_err();
    let what = format!("its length went from {SIZE} to {longer} bytes");
    f.assert_refused(&err, &Stored::changed(&what));
}

/// A whole `200` with the same validators, but shorter than the first answer announced.
fn a_200_of_another_length_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let shorter = SIZE - 4096;
    let new = new_bytes(shorter);
    let headers = heads(&f.etag, &f.last_modified, None);
    let err = f
        .download_cut_then(answer(200, &new, &headers))
        .unwrap_err();
    let what = format!("its length went from {SIZE} to {shorter} bytes");
    f.assert_refused(&err, &Stored::changed(&what));
}

/// A `206` of the same file that starts at byte 0 instead of where the cut stopped.
fn a_206_from_an_earlier_byte_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let range = format!("bytes 0-{}/{SIZE}", SIZE - 1);
    let headers = heads(&f.etag, &f.last_modified, Some(range));
    let err = f
        .download_cut_then(answer(206, &f.bytes, &headers))
        .unwrap_err();
    f.assert_refused(&err, &format!("resumed at byte 0 instead of {CUT}"));
}

/// A `206` of the same file that starts past where the cut stopped (a gap).
fn a_206_from_a_later_byte_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let later = CUT as usize + 1000;
    let range = format!("bytes {later}-{}/{SIZE}", SIZE - 1);
    let headers = heads(&f.etag, &f.last_modified, Some(range));
    let err = f
        .download_cut_then(answer(206, &f.bytes[later..], &headers))
        .unwrap_err();
    f.assert_refused(&err, &format!("resumed at byte {later} instead of {CUT}"));
}

/// A server that ignored the `Range` and sent the same file whole: the client drops the
/// bytes it already has and finishes byte-identical, replacing the old destination.
fn a_200_that_ignored_the_range_is_skipped_to_the_cut_and_byte_identical(wire: Wire) {
    let f = Stored::new(wire);
    let headers = heads(&f.etag, &f.last_modified, None);
    let written = f
        .download_cut_then(answer(200, &f.bytes, &headers))
        .unwrap();
    assert_eq!(written, SIZE as u64);
    f.assert_one_resume_from_the_cut();
    assert_eq!(sha256_file(&f.dest()), sha256(&f.bytes), "byte-identical");
    assert_eq!(
        file_names(f.s.dir.path()),
        [DEST],
        "nothing is left beside it"
    );
}

/// A whole `200` of the same length and bytes, but without the `ETag` and `Last-Modified`
/// the first answer had: the client cannot tell it is the same file, so it refuses it.
fn a_200_that_lost_its_validators_is_refused(wire: Wire) {
    let f = Stored::new(wire);
    let err = f.download_cut_then(answer(200, &f.bytes, &[])).unwrap_err();
    f.assert_refused(&err, &Stored::changed("its ETag or Last-Modified changed"));
}
