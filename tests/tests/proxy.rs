//! Proxies, on both transports, through the forward proxy of `files_tests::proxy`: plain HTTP
//! and HTTPS (a `CONNECT` tunnel to the emulator's TLS mode), the bypass rules, the proxy's
//! credentials on the wire and never in an error.

use files_client::{AsyncClient, Client, Error, Purpose, TransportErrorKind, UploadRequest};
use files_emulator::{Dialect, Emulator, EmulatorConfig, TlsIdentity};
use files_tests::proxy::{ForwardProxy, ProxiedRequest};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;
use transport_ureq::{Proxies, ProxyUrl, UreqTransport};

const BODY: &[u8] = b"{\"through\":\"the proxy\"}\n";

/// An emulator over plain HTTP, or over HTTPS with the certificate's PEM.
fn emulator(tls: bool) -> (Emulator, Option<String>) {
    if !tls {
        return (Emulator::start(Dialect::openai()).unwrap(), None);
    }
    let identity = TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let pem = identity.certificate_pem().to_owned();
    let config = EmulatorConfig::new(Dialect::openai()).with_tls(identity);
    (Emulator::start_with(config).unwrap(), Some(pem))
}

/// Uploads, downloads and deletes a file through a transport with `proxies`, over ureq or
/// reqwest; the downloaded bytes.
fn round_trip(
    asynchronous: bool,
    emulator: &Emulator,
    pem: Option<&str>,
    proxies: Proxies,
) -> Result<Vec<u8>, Error> {
    let provider = OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap();
    let upload = || UploadRequest::from_bytes(BODY, "through.jsonl", Purpose::BATCH);
    if asynchronous {
        let mut transport = ReqwestTransport::builder()
            .honour_ssl_cert_file(false)
            .proxies(proxies);
        if let Some(pem) = pem {
            transport = transport
                .add_root_certificates_pem(pem.as_bytes(), "cert")
                .unwrap();
        }
        let client = AsyncClient::new(provider, transport.build().unwrap());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let file = client.files().create(upload()).await?;
            let mut copy = Vec::new();
            client.files().download_to(&file.id, &mut copy).await?;
            client.files().delete(&file.id).await?;
            Ok(copy)
        })
    } else {
        let mut transport = UreqTransport::builder()
            .honour_ssl_cert_file(false)
            .proxies(proxies);
        if let Some(pem) = pem {
            transport = transport
                .add_root_certificates_pem(pem.as_bytes(), "cert")
                .unwrap();
        }
        let client = Client::new(provider, transport.build().unwrap());
        let file = client.files().create(upload())?;
        let mut copy = Vec::new();
        client.files().download_to(&file.id, &mut copy)?;
        client.files().delete(&file.id)?;
        Ok(copy)
    }
}

/// Every request through `proxy`: from a table, not the environment (a CI's NO_PROXY must
/// not decide the test).
fn through(proxy: &ForwardProxy) -> Proxies {
    only(&proxy.url())
}

fn only(url: &str) -> Proxies {
    Proxies::all_from_vars(ProxyUrl::parse(url, "test").unwrap(), |_| None).unwrap()
}

fn name(asynchronous: bool) -> &'static str {
    if asynchronous { "reqwest" } else { "ureq" }
}

#[test]
fn https_goes_through_a_connect_tunnel_on_both_transports() {
    let (emulator, pem) = emulator(true);
    let authority = emulator.addr().to_string();
    for asynchronous in [false, true] {
        let proxy = ForwardProxy::start();
        let copy = round_trip(asynchronous, &emulator, pem.as_deref(), through(&proxy))
            .unwrap_or_else(|e| panic!("{}: {e}", name(asynchronous)));
        assert_eq!(copy, BODY);
        let seen = proxy.seen();
        assert!(
            !seen.is_empty(),
            "{}: the proxy saw nothing",
            name(asynchronous)
        );
        for request in seen {
            assert_eq!(
                (request.method.as_str(), request.target.as_str()),
                ("CONNECT", authority.as_str()),
                "{}",
                name(asynchronous)
            );
        }
    }
}

#[test]
fn plain_http_goes_through_the_proxy_in_absolute_form_with_reqwest_and_a_tunnel_with_ureq() {
    let (emulator, _) = emulator(false);
    let base = emulator.base_url();
    let authority = emulator.addr().to_string();

    let proxy = ForwardProxy::start();
    assert_eq!(
        round_trip(true, &emulator, None, through(&proxy)).unwrap(),
        BODY
    );
    let seen: Vec<(String, String)> = proxy
        .seen()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    assert!(
        seen.contains(&("POST".to_owned(), format!("{base}/files"))),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|(m, t)| m == "GET"
            && t.starts_with(&format!("{base}/files/"))
            && t.ends_with("/content")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|(m, _)| m == "DELETE"), "{seen:?}");

    let proxy = ForwardProxy::start();
    assert_eq!(
        round_trip(false, &emulator, None, through(&proxy)).unwrap(),
        BODY
    );
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|r| r.method == "CONNECT" && r.target == authority),
        "{seen:?}"
    );
}

#[test]
fn the_environment_rules_pick_the_proxy_and_no_proxy_and_none_bypass_it() {
    let (emulator, pem) = emulator(true);
    for asynchronous in [false, true] {
        let proxy = ForwardProxy::start();
        let url = proxy.url();
        let https_only =
            Proxies::from_vars(|name| (name == "HTTPS_PROXY").then(|| url.clone())).unwrap();
        round_trip(asynchronous, &emulator, pem.as_deref(), https_only).unwrap();
        assert!(
            !proxy.seen().is_empty(),
            "{}: HTTPS_PROXY",
            name(asynchronous)
        );

        for (what, proxies) in [
            (
                "NO_PROXY=127.0.0.1",
                Proxies::from_vars(|name| match name {
                    "ALL_PROXY" => Some(url.clone()),
                    "NO_PROXY" => Some("example.com, 127.0.0.1".to_owned()),
                    _ => None,
                })
                .unwrap(),
            ),
            (
                "HTTP_PROXY only, for an https:// target",
                Proxies::from_vars(|name| (name == "HTTP_PROXY").then(|| url.clone())).unwrap(),
            ),
            ("no proxy", Proxies::none()),
        ] {
            let proxy = ForwardProxy::start();
            round_trip(asynchronous, &emulator, pem.as_deref(), proxies).unwrap();
            assert_eq!(
                proxy.seen(),
                Vec::<ProxiedRequest>::new(),
                "{}: {what}",
                name(asynchronous)
            );
        }
    }
}

#[test]
fn credentials_reach_the_proxy_and_never_an_error() {
    for tls in [false, true] {
        let (emulator, pem) = emulator(tls);
        for asynchronous in [false, true] {
            let label = format!(
                "{} over {}",
                name(asynchronous),
                if tls { "https" } else { "http" }
            );
            let proxy = ForwardProxy::start_with(Some("alice:s3cret"));
            let proxies = only(&proxy.url_with("alice:s3cret"));
            round_trip(asynchronous, &emulator, pem.as_deref(), proxies)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let seen = proxy.seen();
            assert!(!seen.is_empty(), "{label}");
            for request in &seen {
                assert_eq!(
                    request.authorization.as_deref(),
                    Some("Basic YWxpY2U6czNjcmV0"),
                    "{label}: {request:?}"
                );
            }

            let wrong = only(&proxy.url_with("alice:hunter2-wrong"));
            let error = round_trip(asynchronous, &emulator, pem.as_deref(), wrong)
                .expect_err("a wrong password is refused");
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{label}: {shown}");
            assert!(
                shown.contains("407"),
                "{label}: the proxy's refusal is named: {shown}"
            );
            match &error {
                // An http:// request in absolute form: the proxy's answer is the answer.
                Error::Api(api) if asynchronous && !tls => {
                    assert_eq!(api.status, 407);
                    assert_eq!(api.kind(), files_client::ApiErrorKind::ProxyAuthentication);
                    assert!(shown.contains("http://USER:PASSWORD@HOST:PORT"), "{shown}");
                }
                Error::Transport(t) => {
                    assert_eq!(t.kind, TransportErrorKind::Proxy, "{label}: {error}");
                    assert_eq!(t.attempts, 1, "{label}: a refusal is not retried");
                    assert!(shown.contains("http://USER:PASSWORD@HOST:PORT"), "{shown}");
                }
                other => panic!("{label}: {other}"),
            }
        }
    }
}

#[test]
fn a_proxy_that_is_down_is_named_without_its_password() {
    let (emulator, _) = emulator(false);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    for asynchronous in [false, true] {
        let url = format!("http://bob:topsecret@127.0.0.1:{port}");
        let proxies = only(&url);
        let error = round_trip(asynchronous, &emulator, None, proxies).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("topsecret"),
            "{}: {shown}",
            name(asynchronous)
        );
        assert!(
            shown.contains(&format!(
                "through the proxy http://bob:***@127.0.0.1:{port}"
            )),
            "{}: {shown}",
            name(asynchronous)
        );
    }
}
