//! Sources and sinks at their edges: async streams, one-shot readers, declared lengths that
//! lie, and downloads cut short.

use bytes::Bytes;
use files_client::{
    AsyncClient, Client, Error, Purpose, StreamUpload, TransportErrorKind, UploadRequest,
};
use files_emulator::{Dialect, Emulator};
use files_tests::{RawServer, sample_bytes};
use futures_util::stream;
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

fn openai(base_url: &str, key: &str) -> OpenAi {
    OpenAi::new(key).with_base_url(base_url).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_stream_uploads_with_an_exact_length() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = AsyncClient::new(
        openai(&emulator.base_url(), emulator.api_key()),
        ReqwestTransport::new().unwrap(),
    );
    let data = sample_bytes(1_000_000, 11);
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(65_536)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let upload = UploadRequest::from_stream(
        stream::iter(chunks),
        data.len() as u64,
        "s.bin",
        Purpose::USER_DATA,
    );
    let file = client.files().create(upload).await.unwrap();
    assert_eq!(file.bytes, 1_000_000);
    let request = emulator.requests().pop().unwrap();
    assert!(!request.chunked);
    let mut out = futures_util::io::Cursor::new(Vec::new());
    client
        .files()
        .download_to(&file.id, &mut out)
        .await
        .unwrap();
    assert_eq!(out.into_inner(), data);
}

#[test]
fn a_blocking_transport_refuses_an_async_stream_with_a_clear_error() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = Client::new(
        openai(&emulator.base_url(), emulator.api_key()),
        UreqTransport::new().unwrap(),
    );
    let upload = UploadRequest::from_stream(
        stream::iter(vec![Ok(Bytes::from_static(b"abc"))]),
        3,
        "s.bin",
        Purpose::USER_DATA,
    );
    let err = client.files().create(upload).unwrap_err();
    assert!(matches!(&err, Error::LocalFile(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("an async stream needs the async client"),
        "{err}"
    );
}

#[test]
fn a_reader_shorter_than_declared_fails_the_upload() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = Client::new(
        openai(&emulator.base_url(), emulator.api_key()),
        UreqTransport::new().unwrap(),
    );
    let upload = UploadRequest::from_reader(&b"only ten b"[..], 100, "r.bin", Purpose::USER_DATA);
    let err = client.files().create(upload).unwrap_err();
    assert!(
        matches!(&err, Error::LocalFile(_)),
        "a short reader is a local failure, not a connection failure: {err:?}"
    );
    assert_eq!(
        err.to_string(),
        "could not read the upload's reader: it ended after 10 of its declared 100 bytes; declare the exact number of bytes it yields"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_longer_than_declared_fails_the_upload() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = AsyncClient::new(
        openai(&emulator.base_url(), emulator.api_key()),
        ReqwestTransport::new().unwrap(),
    );
    let upload = UploadRequest::from_stream(
        stream::iter(vec![Ok(Bytes::from_static(b"abcdef"))]),
        3,
        "s.bin",
        Purpose::USER_DATA,
    );
    let err = client.files().create(upload).await.unwrap_err();
    assert!(matches!(&err, Error::LocalFile(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("holds more than its declared 3 bytes"),
        "{err}"
    );
}

/// A server that announces 1000 bytes and sends 10.
fn cut_server() -> RawServer {
    RawServer::start(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n0123456789"
            .to_vec(),
    )
}

#[test]
fn a_download_cut_short_leaves_no_file_blocking() {
    let server = cut_server();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.bin");
    let client = Client::new(
        openai(&server.url("/v1"), "k"),
        UreqTransport::new().unwrap(),
    );
    let err = client
        .files()
        .download_to_path("file-1", &dest)
        .unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Io, "{err}");
    assert!(!dest.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_short_leaves_no_file_async() {
    let server = cut_server();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.bin");
    std::fs::write(&dest, b"previous content").unwrap();
    let client = AsyncClient::new(
        openai(&server.url("/v1"), "k"),
        ReqwestTransport::new().unwrap(),
    );
    let err = client
        .files()
        .download_to_path("file-1", &dest)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        b"previous content",
        "the old file is untouched"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}
