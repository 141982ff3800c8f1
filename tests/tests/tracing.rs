//! What the clients tell `tracing`: a span per operation and an event per attempt — method,
//! path, status, request id, attempt, wait — and never a key or a body.

use files_client::{Client, ListParams, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator, EmulatorConfig, Fault};
use files_tests::Captured;
use provider_openai::OpenAi;
use serde_json::json;
use transport_ureq::UreqTransport;

const KEY: &str = "sk-trace-secret-7f3a";
const CONTENT: &[u8] = b"PRIVATE-BODY-MARKER\n";

#[test]
fn one_span_per_operation_an_event_per_attempt_and_no_secrets() {
    let emulator =
        Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_api_key(KEY)).unwrap();
    emulator.inject(
        Fault::status(503, json!({"error": {"message": "Overloaded"}}))
            .with_header("retry-after-ms", "5")
            .on("POST", "/files"),
    );
    let provider = OpenAi::new(KEY)
        .with_base_url(&emulator.base_url())
        .unwrap();
    let client = Client::new(provider, UreqTransport::new().unwrap());

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let file = client
            .files()
            .create(UploadRequest::from_bytes(
                CONTENT,
                "a.txt",
                Purpose::ASSISTANTS,
            ))
            .unwrap();
        client.files().list(&ListParams::new()).unwrap();
        let mut out = Vec::new();
        client.files().download_to(&file.id, &mut out).unwrap();
        let err = client.files().retrieve("file-missing").unwrap_err();
        assert_eq!(err.status(), Some(404));
    });

    let log = captured.text();
    let lines: Vec<&str> = log.lines().collect();
    let upload: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("operation=\"files.create\""))
        .collect();
    assert_eq!(upload.len(), 3, "two attempts and a retry between: {log}");
    assert!(
        upload[0].contains("answered") && upload[0].contains("status=503"),
        "{log}"
    );
    assert!(
        upload[0].contains("method=POST") && upload[0].contains("path=/v1/files"),
        "{log}"
    );
    assert!(
        upload[0].contains("attempt=1") && upload[0].contains("request_id=req_"),
        "{log}"
    );
    assert!(
        upload[1].contains("retrying") && upload[1].contains("wait_ms=5"),
        "{log}"
    );
    assert!(
        upload[2].contains("status=200") && upload[2].contains("attempt=2"),
        "{log}"
    );
    for operation in ["files.list", "files.content", "files.retrieve"] {
        assert!(
            log.contains(&format!("operation=\"{operation}\"")),
            "no span for {operation}: {log}"
        );
    }
    assert!(log.contains("status=404"), "{log}");
    assert!(
        !log.contains(KEY) && !log.contains("Bearer"),
        "a key in the log: {log}"
    );
    assert!(
        !log.contains("PRIVATE-BODY-MARKER"),
        "a body in the log: {log}"
    );
}

/// The parts of an upload in parts run on threads (blocking) or tasks (async) of their own;
/// their attempts still log to the caller's subscriber, in the operation's span.
#[test]
fn the_parts_of_an_upload_log_in_the_operation_s_span_from_either_client() {
    let emulator =
        Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_api_key(KEY)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("big.jsonl");
    files_tests::write_sample(&source, 200_000, 9);
    let parts = files_client::PartOptions::new()
        .part_size(64 << 10)
        .in_flight(2);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let provider = || {
        OpenAi::new(KEY)
            .with_base_url(&emulator.base_url())
            .unwrap()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        let client = Client::new(provider(), UreqTransport::new().unwrap());
        client
            .uploads()
            .upload(UploadRequest::from_path(&source, Purpose::BATCH), parts)
            .unwrap();
        let client = files_client::AsyncClient::new(
            provider(),
            transport_reqwest::ReqwestTransport::new().unwrap(),
        );
        runtime
            .block_on(
                client
                    .uploads()
                    .upload(UploadRequest::from_path(&source, Purpose::BATCH), parts),
            )
            .unwrap();
    });
    let log = captured.text();
    let parts_logged = log
        .lines()
        .filter(|l| {
            l.contains("operation=\"uploads.upload\"")
                && l.contains("path=/v1/uploads/upload_")
                && l.contains("/parts")
                && l.contains("status=200")
        })
        .count();
    assert_eq!(parts_logged, 8, "four parts each time: {log}");
    assert!(!log.contains(KEY), "{log}");
}
