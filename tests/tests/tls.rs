//! HTTPS over loopback: the emulator with a self-signed certificate, reached through both
//! transports once its certificate is trusted, and refused (at once, without retries, with a
//! certificate error) when it is not.

use std::time::Duration;

use files_client::{
    AsyncClient, Client, Error, ListParams, Purpose, TransportErrorKind, UploadRequest,
};
use files_emulator::{Dialect, Emulator, EmulatorConfig, TlsIdentity};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

fn https_emulator() -> (Emulator, String) {
    let identity = TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let pem = identity.certificate_pem().to_owned();
    let config = EmulatorConfig::new(Dialect::openai()).with_tls(identity);
    (Emulator::start_with(config).unwrap(), pem)
}

fn openai(emulator: &Emulator, host: &str) -> OpenAi {
    let url = emulator.base_url().replace("127.0.0.1", host);
    assert!(url.starts_with("https://"), "{url}");
    OpenAi::new(emulator.api_key()).with_base_url(&url).unwrap()
}

/// The error a refused certificate gives: the certificate kind, one attempt, the server named.
fn assert_refused(error: &Error, emulator: &Emulator) {
    let Error::Transport(t) = error else {
        panic!("expected a transport error, got {error}");
    };
    assert_eq!(t.kind, TransportErrorKind::Certificate, "{error}");
    assert!(!t.is_retryable());
    assert_eq!(
        t.attempts, 1,
        "a certificate refusal is not retried: {error}"
    );
    let text = error.to_string();
    let port = emulator.addr().port().to_string();
    assert!(
        text.contains("not trusted") && text.contains(&port),
        "{text}"
    );
    assert!(text.contains("UnknownIssuer"), "the cause is kept: {text}");
}

#[test]
fn the_blocking_client_reaches_a_self_signed_server_once_its_certificate_is_trusted() {
    let (emulator, pem) = https_emulator();
    for host in ["127.0.0.1", "localhost"] {
        let transport = UreqTransport::builder()
            .honour_ssl_cert_file(false)
            .add_root_certificates_pem(pem.as_bytes(), "the emulator's certificate")
            .unwrap()
            .build()
            .unwrap();
        let client = Client::new(openai(&emulator, host), transport);
        let file = client
            .files()
            .create(UploadRequest::from_bytes(
                "{\"a\":1}\n",
                "a.jsonl",
                Purpose::BATCH,
            ))
            .unwrap();
        let mut copy = Vec::new();
        client.files().download_to(&file.id, &mut copy).unwrap();
        assert_eq!(copy, b"{\"a\":1}\n");
    }

    let untrusting = UreqTransport::builder()
        .honour_ssl_cert_file(false)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let client = Client::new(openai(&emulator, "127.0.0.1"), untrusting);
    let error = client.files().list(&ListParams::new()).unwrap_err();
    assert_refused(&error, &emulator);
}

#[test]
fn the_async_client_reaches_a_self_signed_server_once_its_certificate_is_trusted() {
    let (emulator, pem) = https_emulator();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let transport = ReqwestTransport::builder()
            .honour_ssl_cert_file(false)
            .add_root_certificates_pem(pem.as_bytes(), "the emulator's certificate")
            .unwrap()
            .build()
            .unwrap();
        let client = AsyncClient::new(openai(&emulator, "localhost"), transport);
        let file = client
            .files()
            .create(UploadRequest::from_bytes(
                "{\"b\":2}\n",
                "b.jsonl",
                Purpose::BATCH,
            ))
            .await
            .unwrap();
        let mut copy = Vec::new();
        client
            .files()
            .download_to(&file.id, &mut copy)
            .await
            .unwrap();
        assert_eq!(copy, b"{\"b\":2}\n");

        let untrusting = ReqwestTransport::builder()
            .honour_ssl_cert_file(false)
            .build()
            .unwrap();
        let client = AsyncClient::new(openai(&emulator, "localhost"), untrusting);
        let error = client.files().list(&ListParams::new()).await.unwrap_err();
        assert_refused(&error, &emulator);
    });
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let identity = TlsIdentity::self_signed(&["files.example"]).unwrap();
    let pem = identity.certificate_pem().to_owned();
    let emulator =
        Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_tls(identity)).unwrap();
    let transport = UreqTransport::builder()
        .honour_ssl_cert_file(false)
        .add_root_certificates_pem(pem.as_bytes(), "cert")
        .unwrap()
        .build()
        .unwrap();
    let client = Client::new(openai(&emulator, "127.0.0.1"), transport);
    let error = client.files().list(&ListParams::new()).unwrap_err();
    let Error::Transport(t) = &error else {
        panic!("{error}");
    };
    assert_eq!(t.kind, TransportErrorKind::Certificate, "{error}");
    assert!(
        error.to_string().contains("issued for another name"),
        "{error}"
    );
    assert!(error.to_string().contains("not valid for name"), "{error}");
}

#[test]
fn a_root_bundle_without_certificates_is_refused_when_the_transport_is_built() {
    let err = UreqTransport::builder()
        .add_root_certificates_pem(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "key.pem",
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("key.pem holds no certificate"),
        "{err}"
    );
    let err = ReqwestTransport::builder()
        .add_root_certificates_file("/no/such/dir/ca.pem")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("could not read /no/such/dir/ca.pem"),
        "{err}"
    );
}
