//! StepFun-only behaviour over loopback: remote-URL uploads, the parameterless listing, and
//! content as text.

use files_client::{AsyncClient, Client, ListParams, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator, EmulatorConfig};
use files_tests::RawServer;
use provider_stepfun::StepFun;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

fn stepfun(emulator: &Emulator) -> StepFun {
    StepFun::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap()
}

/// An emulator that may fetch from the test's own loopback server.
fn trusting_emulator() -> Emulator {
    Emulator::start_with(EmulatorConfig::new(Dialect::stepfun()).with_private_urls_allowed(true))
        .unwrap()
}

fn image_server() -> RawServer {
    let body = b"\x89PNG\r\n\x1a\nnot really an image";
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    RawServer::start(response)
}

#[test]
fn upload_from_a_remote_url_blocking() {
    let source = image_server();
    let emulator = trusting_emulator();
    let client = Client::new(stepfun(&emulator), UreqTransport::new().unwrap());
    let file = client
        .files()
        .create(UploadRequest::from_url(
            source.url("/media/product.png"),
            Purpose::STORAGE,
        ))
        .unwrap();
    assert_eq!(file.filename, "product.png");
    assert_eq!(file.bytes, 27);
    assert!(
        emulator.requests()[0].file_part.is_none(),
        "a url upload sends no file part"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_from_a_remote_url_async() {
    let source = image_server();
    let emulator = trusting_emulator();
    let client = AsyncClient::new(stepfun(&emulator), ReqwestTransport::new().unwrap());
    let file = client
        .files()
        .create(UploadRequest::from_url(
            source.url("/a/b/c.png?sig=1"),
            Purpose::STORAGE,
        ))
        .await
        .unwrap();
    assert_eq!(file.filename, "c.png");
}

#[test]
fn a_url_upload_never_reaches_a_private_address_by_default() {
    let source = image_server();
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let client = Client::new(stepfun(&emulator), UreqTransport::new().unwrap());
    let port = source.addr().port();
    for url in [
        source.url("/media/product.png"),
        format!("http://localhost:{port}/media/product.png"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]:9/x.png".to_owned(),
        "http://10.0.0.1/x.png".to_owned(),
    ] {
        let err = client
            .files()
            .create(UploadRequest::from_url(url.clone(), Purpose::STORAGE))
            .unwrap_err();
        assert_eq!(err.status(), Some(400), "{url}: {err}");
        assert!(
            err.to_string().contains("non-public address"),
            "{url}: {err}"
        );
    }
    assert_eq!(
        source.requests_served(),
        0,
        "the private server was reached"
    );
}

#[test]
fn openai_only_options_are_refused_before_sending() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let client = Client::new(stepfun(&emulator), UreqTransport::new().unwrap());
    let err = client
        .files()
        .list(&ListParams::new().limit(10))
        .unwrap_err();
    assert!(
        err.to_string().contains("StepFun lists all files at once"),
        "{err}"
    );
    let err = client
        .files()
        .create(
            UploadRequest::from_bytes("x", "a.txt", Purpose::FILE_EXTRACT).with_expires_after(3600),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("StepFun does not support an expiry"),
        "{err}"
    );
    assert!(emulator.requests().is_empty());
}

#[test]
fn listing_has_no_pagination_and_content_is_text() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let client = Client::new(stepfun(&emulator), UreqTransport::new().unwrap());
    let file = client
        .files()
        .create(UploadRequest::from_bytes(
            "Hello, 世界",
            "doc.txt",
            Purpose::FILE_EXTRACT,
        ))
        .unwrap();
    let page = client.files().list(&ListParams::new()).unwrap();
    assert_eq!(page.has_more, None);
    assert_eq!(page.next_cursor(), None);
    assert_eq!(client.files().list_all(&ListParams::new()).count(), 1);
    let mut text = Vec::new();
    let download = client.files().content(&file.id).unwrap();
    assert!(
        download
            .info()
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("text/plain")
    );
    client.files().download_to(&file.id, &mut text).unwrap();
    assert_eq!(String::from_utf8(text).unwrap(), "Hello, 世界");
}
