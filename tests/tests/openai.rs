//! OpenAI-only behaviour over loopback, with the library clients used directly.

use files_client::{AsyncClient, Client, Error, ListParams, Order, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

fn openai(emulator: &Emulator) -> OpenAi {
    OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap()
}

#[test]
fn list_all_follows_the_cursor_and_filters_by_purpose() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = Client::new(openai(&emulator), UreqTransport::new().unwrap());
    for i in 0..5 {
        client
            .files()
            .create(UploadRequest::from_bytes(
                format!("{{\"i\":{i}}}\n"),
                format!("{i}.jsonl"),
                Purpose::BATCH,
            ))
            .unwrap();
    }
    client
        .files()
        .create(UploadRequest::from_bytes(
            "x",
            "other.txt",
            Purpose::ASSISTANTS,
        ))
        .unwrap();

    let params = ListParams::new()
        .purpose(Purpose::BATCH)
        .limit(2)
        .order(Order::Asc);
    let first = client.files().list(&params).unwrap();
    assert_eq!(first.data.len(), 2);
    assert_eq!(first.has_more, Some(true));

    let all: Vec<_> = client
        .files()
        .list_all(&params)
        .collect::<Result<_, _>>()
        .unwrap();
    let names: Vec<_> = all.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(
        names,
        ["0.jsonl", "1.jsonl", "2.jsonl", "3.jsonl", "4.jsonl"]
    );
    let pages = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("after="))
        .count();
    assert_eq!(pages, 2, "three pages: the first and two with a cursor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_and_account_headers_reach_the_server() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let provider = openai(&emulator)
        .with_organization("org-7")
        .with_project("proj-9");
    let client = AsyncClient::new(provider, ReqwestTransport::new().unwrap());
    let file = client
        .files()
        .create(
            UploadRequest::from_bytes("{}\n", "a.jsonl", Purpose::USER_DATA)
                .with_expires_after(7200),
        )
        .await
        .unwrap();
    assert_eq!(file.expires_at, Some(file.created_at + 7200));
    let request = emulator.requests().pop().unwrap();
    assert_eq!(request.header("openai-organization"), Some("org-7"));
    assert_eq!(request.header("openai-project"), Some("proj-9"));
    assert_eq!(request.header("authorization"), Some("***"));
}

#[test]
fn rule_breaking_requests_are_refused_before_a_byte_is_sent() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = Client::new(openai(&emulator), UreqTransport::new().unwrap());
    let err = client
        .files()
        .list(&ListParams::new().limit(0))
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    let err = client
        .files()
        .create(UploadRequest::from_bytes("x", "a.jsonl", Purpose::BATCH).with_expires_after(10))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "expires_after 10 s: OpenAI accepts an expiry of 3600 to 2592000 seconds (1 hour to 30 \
         days); choose one in that range"
    );
    let err = client
        .files()
        .create(UploadRequest::from_url(
            "https://example.com/a.png",
            Purpose::VISION,
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("OpenAI does not upload from a URL"),
        "{err}"
    );
    let err = client
        .files()
        .create(UploadRequest::from_path(
            "/definitely/not/here.jsonl",
            Purpose::BATCH,
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not open /definitely/not/here.jsonl"),
        "{err}"
    );
    assert!(emulator.requests().is_empty(), "nothing reached the server");
}

#[test]
fn content_is_the_original_bytes() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = Client::new(openai(&emulator), UreqTransport::new().unwrap());
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let file = client
        .files()
        .create(UploadRequest::from_bytes(
            bytes.clone(),
            "b.bin",
            Purpose::USER_DATA,
        ))
        .unwrap();
    let mut download = client.files().content(&file.id).unwrap();
    assert_eq!(download.info().len, Some(70_000));
    assert_eq!(
        download.info().content_type.as_deref(),
        Some("application/octet-stream")
    );
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut download, &mut out).unwrap();
    assert_eq!(out, bytes);
    let request = emulator.requests().pop().unwrap();
    assert_eq!(request.header("accept"), Some("application/binary"));
}
