//! The providers' rules over the wire, both sides: the client refuses before sending (the
//! emulator hears nothing), and with client validation off the emulator refuses the same input
//! with the same rule. Sites, the file cap, warnings, error kinds. Pure checks: `rules.rs`.

use files_client::{Error, Purpose, RequestOptions, RuleKind, UploadRequest};
use files_core::extend::provider::UploadCheck;
use files_tests::samples::{gif, html_page, jsonl, pdf, png, wav};
use files_tests::{Setup, Wire};
use provider_stepfun::{Region, StepFun};

const MB: u64 = 1 << 20;

/// Uploads `upload` through a client with validation on: it must be refused with `kind`
/// before the emulator hears a thing.
fn client_refuses(s: &Setup, upload: UploadRequest, kind: RuleKind) -> String {
    let before = s.emulator.requests().len();
    match s.api.create(upload) {
        Err(Error::Validation(e)) => {
            assert_eq!(e.kind, kind, "{e}");
            assert_eq!(s.emulator.requests().len(), before, "nothing is sent");
            e.to_string()
        }
        other => panic!("expected a refusal ({kind}), got {other:?}"),
    }
}

/// Uploads `upload` with validation off: the emulator must refuse it with a 400 (naming
/// `param`, in OpenAI's envelope: StepFun's has no `param`), and its message is returned.
fn emulator_refuses(s: &Setup, upload: UploadRequest, param: &str) -> String {
    let api = s.api_with_options(RequestOptions::new().validate(false).max_retries(0));
    let before = s.emulator.requests().len();
    match api.create(upload) {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400, "{e}");
            if s.emulator.dialect() == files_emulator::Dialect::openai() {
                assert_eq!(e.param.as_deref(), Some(param), "{e}");
            }
            assert_eq!(s.emulator.requests().len(), before + 1, "it was sent");
            e.message.clone()
        }
        other => panic!("expected the emulator's 400, got {other:?}"),
    }
}

/// Each case: a rule the client refuses, which the emulator refuses the same way. The file
/// rules give the same words on both sides (one engine, one table); the emulator words the
/// purpose and expiry refusals as the provider does, with the same values and limits.
fn same_refusal(s: &Setup, make: impl Fn() -> UploadRequest, kind: RuleKind, param: &str) {
    let client = client_refuses(s, make(), kind);
    let server = emulator_refuses(s, make(), param);
    match param {
        "file" => assert_eq!(server, client, "the same rule, in the same words"),
        "expires_after" => {
            for limit in ["3600", "2592000"] {
                assert!(
                    client.contains(limit) && server.contains(limit),
                    "{client} / {server}"
                );
            }
        }
        "url" => assert!(server.contains("unsupported scheme 'ftp'"), "{server}"),
        _ => {
            // The client lists what to use instead; so does the emulator, in its words.
            assert!(
                client.contains("does not accept it for uploads; use one of"),
                "{client}"
            );
            assert!(server.contains("Expected one of"), "{server}");
        }
    }
}

/// An upload of `b` named `name` for `purpose`, made afresh for each side.
fn bytes(b: Vec<u8>, name: &str, purpose: Purpose) -> impl Fn() -> UploadRequest {
    let name = name.to_owned();
    move || UploadRequest::from_bytes(b.clone(), name.clone(), purpose.clone())
}

/// An undocumented purpose: a strict client refuses it before sending; an open one (the
/// default) sends it with a warning, and the emulator, answering as the documented API does,
/// refuses it.
fn strict_refusal(s: &Setup, make: impl Fn() -> UploadRequest) {
    let strict = s.api_with_options(RequestOptions::new().strict_purposes(true));
    let before = s.emulator.requests().len();
    match strict.create(make()) {
        Err(Error::Validation(e)) => {
            assert_eq!(e.kind, RuleKind::PurposeNotAccepted, "{e}");
            assert!(e.to_string().contains("strict"), "{e}");
        }
        other => panic!("expected a strict refusal, got {other:?}"),
    }
    assert_eq!(s.emulator.requests().len(), before, "nothing is sent");
    let warnings = files_tests::WarningLog::default();
    let open = s.api_with_options(
        RequestOptions::new()
            .max_retries(0)
            .observer(std::sync::Arc::new(warnings.clone())),
    );
    match open.create(make()) {
        Err(Error::Api(e)) => assert_eq!(e.status, 400, "{e}"),
        other => panic!("expected the emulator's 400, got {other:?}"),
    }
    assert_eq!(s.emulator.requests().len(), before + 1, "it was sent");
    assert_eq!(
        warnings.kinds(),
        [files_client::WarningKind::UnknownPurpose]
    );
}

fn openai_rules_hold_on_both_sides(wire: Wire) {
    let s = Setup::new(wire);
    strict_refusal(&s, bytes(png(), "a.png", Purpose::STORAGE));
    same_refusal(
        &s,
        bytes(b"a,b\n".to_vec(), "a.csv", Purpose::BATCH),
        RuleKind::FormatNotAccepted,
        "file",
    );
    same_refusal(
        &s,
        bytes(b"{}\nnope\n".to_vec(), "a.jsonl", Purpose::BATCH),
        RuleKind::NotJsonLines,
        "file",
    );
    same_refusal(
        &s,
        bytes(png(), "photo.jpg", Purpose::VISION),
        RuleKind::ContentMismatch,
        "file",
    );
    same_refusal(
        &s,
        bytes(Vec::new(), "empty.jsonl", Purpose::BATCH),
        RuleKind::EmptyFile,
        "file",
    );
    same_refusal(
        &s,
        || UploadRequest::from_bytes(jsonl(1), "a.jsonl", Purpose::BATCH).with_expires_after(60),
        RuleKind::ExpiresAfterOutOfRange,
        "expires_after",
    );
    // Good input goes through, on both sides.
    let file = s
        .api
        .create(UploadRequest::from_bytes(
            jsonl(2),
            "ok.jsonl",
            Purpose::BATCH,
        ))
        .unwrap();
    assert_eq!(file.purpose, Purpose::BATCH);
}

fn stepfun_rules_hold_on_both_sides(wire: Wire) {
    let s = Setup::new(wire);
    same_refusal(
        &s,
        bytes(gif(2), "spin.gif", Purpose::STORAGE),
        RuleKind::AnimatedGif,
        "file",
    );
    same_refusal(
        &s,
        bytes(html_page(), "clip.mp4", Purpose::STORAGE),
        RuleKind::ContentMismatch,
        "file",
    );
    same_refusal(
        &s,
        bytes(b"\0".to_vec(), "a.bin", Purpose::STORAGE),
        RuleKind::FormatNotAccepted,
        "file",
    );
    strict_refusal(&s, bytes(png(), "a.png", Purpose::BATCH));
    same_refusal(
        &s,
        bytes(pdf(), "notes.txt", Purpose::FILE_EXTRACT),
        RuleKind::ContentMismatch,
        "file",
    );
    same_refusal(
        &s,
        bytes(Vec::new(), "empty.png", Purpose::STORAGE),
        RuleKind::EmptyFile,
        "file",
    );
    same_refusal(
        &s,
        || UploadRequest::from_url("ftp://example.com/a.png", Purpose::STORAGE),
        RuleKind::UrlScheme,
        "url",
    );
    let file = s
        .api
        .create(UploadRequest::from_bytes(
            gif(1),
            "still.gif",
            Purpose::STORAGE,
        ))
        .unwrap();
    assert_eq!(file.filename, "still.gif");
    // Every refusal left nothing behind: the store holds the one file accepted.
    let stored: Vec<String> = std::fs::read_dir(s.emulator.storage_path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored, [file.id], "no temporary file is left");
}

files_tests::both_transports!(openai_rules_hold_on_both_sides);

mod stepfun_wire {
    use super::*;
    #[test]
    fn ureq() {
        super::stepfun_rules_hold_on_both_sides(Wire::StepFunUreq)
    }
    #[test]
    fn reqwest() {
        super::stepfun_rules_hold_on_both_sides(Wire::StepFunReqwest)
    }
}

/// A StepFun client of the emulator, checking against `region`'s purposes.
fn stepfun_client(
    emulator: &files_emulator::Emulator,
    region: Region,
    options: RequestOptions,
) -> files_client::Client {
    let provider = StepFun::new(emulator.api_key().to_owned())
        .with_base_url(&emulator.base_url())
        .unwrap()
        .with_site_rules(region);
    files_client::Client::new(provider, transport_ureq::UreqTransport::new().unwrap())
        .with_options(options)
}

#[test]
fn a_site_accepts_only_its_purposes_on_both_sides() {
    let config = files_emulator::EmulatorConfig::new(files_emulator::Dialect::stepfun())
        .with_site("international")
        .unwrap();
    let emulator = files_emulator::Emulator::start_with(config).unwrap();
    let upload = || UploadRequest::from_bytes("text", "a.txt", Purpose::FILE_EXTRACT);

    let client = stepfun_client(&emulator, Region::International, RequestOptions::new());
    match client.files().create(upload()) {
        Err(Error::Validation(e)) => {
            assert_eq!(e.kind, RuleKind::PurposeNotOnSite);
            assert!(e.to_string().contains("https://api.stepfun.com/v1"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(emulator.requests().is_empty(), "nothing is sent");

    // Validation off for the client, on for one call: the call's switch wins.
    let unchecked = stepfun_client(
        &emulator,
        Region::International,
        RequestOptions::new().validate(false),
    );
    let checked = unchecked
        .files()
        .with_options(RequestOptions::new().validate(true));
    assert!(matches!(
        checked.create(upload()),
        Err(Error::Validation(_))
    ));
    assert!(emulator.requests().is_empty(), "nothing is sent");

    match unchecked.files().create(upload()) {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(
                e.message.contains("'file-extract'") && e.message.contains("'storage'"),
                "{e}"
            );
        }
        other => panic!("expected the emulator's refusal, got {other:?}"),
    }
    let ok = unchecked
        .files()
        .create(UploadRequest::from_bytes(png(), "a.png", Purpose::STORAGE))
        .unwrap();
    assert_eq!(ok.purpose, Purpose::STORAGE);
}

#[test]
fn a_file_too_large_is_refused_from_its_size_alone_on_both_sides() {
    let s = Setup::new(Wire::StepFunUreq);
    let path = s.path("book.txt");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(64 * MB + 1).unwrap(); // Sparse: nothing to read, and the client reads nothing.
    drop(file);
    let upload = || UploadRequest::from_path(&path, Purpose::FILE_EXTRACT);
    let client = client_refuses(&s, upload(), RuleKind::FileTooLarge);
    assert!(client.contains("at most 64 MB"), "{client}");
    let server = emulator_refuses(&s, upload(), "file");
    assert_eq!(server, client);

    // The client asked the file for its size only: no byte of it was read.
    let files = Recording::default();
    let client = stepfun_client(&s.emulator, Region::China, RequestOptions::new())
        .with_local_files(files.clone());
    let err = client.files().create(upload()).unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err}");
    assert_eq!(
        *files.0.lock().unwrap(),
        [0],
        "the prefix lengths asked for"
    );
    // A file within the limit is asked for its size, then for its first bytes.
    std::fs::write(&path, "some text").unwrap();
    client.files().create(upload()).unwrap();
    assert_eq!(
        *files.0.lock().unwrap(),
        [0, 0, files_core::extend::probe::PROBE_PREFIX_LEN]
    );
}

/// The machine's files, recording the prefix length of every inspection.
#[derive(Clone, Default)]
struct Recording(std::sync::Arc<std::sync::Mutex<Vec<usize>>>);

impl files_io::local::LocalFiles for Recording {
    fn inspect(
        &self,
        path: &std::path::Path,
        prefix_len: usize,
    ) -> Result<files_core::extend::probe::FileProbe, files_client::LocalFileError> {
        self.0.lock().unwrap().push(prefix_len);
        files_client::StdFiles.inspect(path, prefix_len)
    }

    fn open_range(
        &self,
        range: &files_core::extend::body::PathRange,
    ) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        files_client::StdFiles.open_range(range)
    }

    fn create(
        &self,
        dest: &std::path::Path,
    ) -> Result<Box<dyn files_io::local::PartialFile>, files_client::LocalFileError> {
        files_client::StdFiles.create(dest)
    }
}

#[test]
fn the_emulator_walks_a_whole_gif_where_the_client_sees_a_prefix() {
    let emulator = files_emulator::Emulator::start(files_emulator::Dialect::stepfun()).unwrap();
    let client = stepfun_client(
        &emulator,
        Region::China,
        RequestOptions::new().max_retries(0),
    );
    let gif = files_tests::samples::gif_with_a_large_first_frame(100_000);
    let purpose = Purpose::STORAGE;
    let prefix = UploadCheck::new(&purpose, Some("big.gif"), Some(gif.len() as u64))
        .with_prefix(&gif[..files_core::extend::probe::PROBE_PREFIX_LEN]);
    assert!(
        client.provider().check_upload(&prefix).is_ok(),
        "the prefix shows one image"
    );
    match client
        .files()
        .create(UploadRequest::from_bytes(gif, "big.gif", Purpose::STORAGE))
    {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(e.message.contains("it is an animated GIF"), "{e}");
        }
        other => panic!("expected the emulator's refusal, got {other:?}"),
    }
}

#[test]
fn openai_s_batch_limit_holds_on_both_sides() {
    let s = Setup::new(Wire::OpenAiUreq);
    let path = s.path("requests.jsonl");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(200 * MB + 1).unwrap();
    drop(file);
    let upload = || UploadRequest::from_path(&path, Purpose::BATCH);
    let client = client_refuses(&s, upload(), RuleKind::FileTooLarge);
    assert!(
        client.contains("purpose `batch` accepts at most 200 MB"),
        "{client}"
    );
    assert_eq!(emulator_refuses(&s, upload(), "file"), client);
}

#[test]
fn the_stepfun_file_cap_is_answered_like_the_provider() {
    let config =
        files_emulator::EmulatorConfig::new(files_emulator::Dialect::stepfun()).with_max_files(2);
    let emulator = files_emulator::Emulator::start_with(config).unwrap();
    let client = stepfun_client(
        &emulator,
        Region::China,
        RequestOptions::new().max_retries(0),
    );
    let upload = |n: u32| UploadRequest::from_bytes(png(), format!("{n}.png"), Purpose::STORAGE);
    let first = client.files().create(upload(1)).unwrap();
    client.files().create(upload(2)).unwrap();
    match client.files().create(upload(3)) {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(e.message.contains("holds 2 files"), "{e}");
        }
        other => panic!("expected the cap, got {other:?}"),
    }
    client.files().delete(&first.id).unwrap();
    client.files().create(upload(3)).unwrap();
}

#[test]
fn warnings_reach_the_observer_and_the_upload_goes_through() {
    #[derive(Default)]
    struct Warnings(std::sync::Mutex<Vec<String>>);
    impl files_client::Observer for Warnings {
        fn warning(&self, warning: &files_client::UploadWarning) {
            self.0.lock().unwrap().push(warning.message.clone());
        }
    }
    let emulator = files_emulator::Emulator::start(files_emulator::Dialect::stepfun()).unwrap();
    let seen = std::sync::Arc::new(Warnings::default());
    let client = stepfun_client(
        &emulator,
        Region::China,
        RequestOptions::new().observer(seen.clone()),
    );
    let dir = tempfile::tempdir().unwrap();
    let voice = dir.path().join("voice.wav");
    std::fs::write(&voice, wav(12)).unwrap();
    client
        .files()
        .create(UploadRequest::from_path(&voice, Purpose::STORAGE))
        .unwrap();
    client
        .files()
        .create(UploadRequest::from_bytes(
            "text",
            "notes.txt",
            Purpose::RETRIEVAL,
        ))
        .unwrap();
    let accepted = client.files().create(UploadRequest::from_bytes(
        &b"caf\xe9;cr\xe8me\n"[..],
        "latin1.csv",
        Purpose::FILE_EXTRACT,
    ));
    assert!(
        accepted.is_ok(),
        "text in another encoding is a warning: {accepted:?}"
    );
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[2].contains("`latin1.csv` is text in an encoding other than UTF-8"),
        "{seen:?}"
    );
    assert!(
        seen[0].contains("`voice.wav` lasts 12.0 s") && seen[0].contains("5 to 10 s"),
        "{seen:?}"
    );
    assert!(seen[1].contains("use `retrieval-text` instead"), "{seen:?}");
}

#[test]
fn api_errors_have_a_kind_to_match_and_a_hint() {
    use files_client::ApiErrorKind;
    use files_emulator::Fault;
    let s = Setup::new(Wire::StepFunUreq);
    let api = s.api_with_options(RequestOptions::new().max_retries(0));
    let envelope =
        |message: &str| serde_json::json!({"error": {"message": message, "type": "error"}});
    for (status, body, kind, hint) in [
        (
            402,
            envelope("balance"),
            ApiErrorKind::InsufficientBalance,
            "balance is insufficient",
        ),
        (
            451,
            envelope("refused"),
            ApiErrorKind::ContentModeration,
            "moderation",
        ),
        (
            503,
            envelope("busy"),
            ApiErrorKind::Overloaded,
            "overloaded",
        ),
        (
            429,
            envelope("slow down"),
            ApiErrorKind::RateLimited,
            "rate limited",
        ),
        (
            429,
            serde_json::json!({"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}),
            ApiErrorKind::InsufficientQuota,
            "quota is used up",
        ),
        (
            401,
            envelope("who"),
            ApiErrorKind::Authentication,
            "check the API key",
        ),
        (
            404,
            envelope("gone"),
            ApiErrorKind::NotFound,
            // A 404 for the list is one for the endpoint, not for a file.
            "may not implement the Files API",
        ),
    ] {
        s.emulator
            .inject(Fault::status(status, body).on("GET", "/files"));
        let err = api.list(&files_client::ListParams::new()).unwrap_err();
        assert_eq!(err.api_error_kind(), Some(kind), "{err}");
        assert!(err.to_string().contains(hint), "{err}");
    }
}

#[test]
fn an_emulator_that_takes_any_size_stores_a_file_over_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.txt");
    // Text as far as the rules look (its first bytes), sparse after that.
    let text = "words ".repeat(2 * files_core::extend::probe::PROBE_PREFIX_LEN);
    std::fs::write(&path, text).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(64 * MB + 1).unwrap();
    drop(file);
    let config = files_emulator::EmulatorConfig::new(files_emulator::Dialect::stepfun());
    let unchecked = RequestOptions::new().validate(false);
    let upload = || UploadRequest::from_path(&path, Purpose::FILE_EXTRACT);

    let strict = files_emulator::Emulator::start_with(config.clone()).unwrap();
    let err = stepfun_client(&strict, Region::China, unchecked.clone())
        .files()
        .create(upload())
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");

    let lenient = files_emulator::Emulator::start_with(config.with_any_size(true)).unwrap();
    let stored = stepfun_client(&lenient, Region::China, unchecked)
        .files()
        .create(upload())
        .unwrap();
    assert_eq!(stored.bytes, 64 * MB + 1);
    // All of it is stored, byte for byte, not only what the purpose's limit would keep.
    let mut copy = Vec::new();
    let read = stepfun_client(&lenient, Region::China, RequestOptions::new())
        .files()
        .download_to(&stored.id, &mut copy)
        .unwrap();
    assert_eq!(read, 64 * MB + 1);
    assert_eq!(
        files_tests::sha256(&copy),
        files_tests::sha256_file(&path),
        "the stored file is the one sent"
    );
}
