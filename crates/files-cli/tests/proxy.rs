//! Proxies from the command line, on both transports: `HTTPS_PROXY` to the emulator's TLS mode
//! and `HTTP_PROXY` to its plain one through the tests' forward proxy, `NO_PROXY` and
//! `--no-proxy` around it, `--proxy` with credentials that are never printed, and the demo,
//! which never goes through one.

mod common;
#[path = "../../../tests/src/proxy.rs"]
mod forward_proxy;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;

use files_emulator::{Dialect, Emulator, EmulatorConfig, TlsIdentity};
use forward_proxy::ForwardProxy;

const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn files(base_url: &str, transport: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env_remove("SSL_CERT_FILE")
        .env("OPENAI_API_KEY", "emulator-key")
        .args(["--base-url", base_url, "--transport", transport]);
    for name in PROXY_VARS {
        command.env_remove(name);
    }
    command
}

/// An HTTPS emulator and its certificate, written to `dir/cert.pem`.
fn https_emulator(dir: &Path) -> (Emulator, PathBuf) {
    let identity = TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, identity.certificate_pem()).unwrap();
    let config = EmulatorConfig::new(Dialect::openai()).with_tls(identity);
    (Emulator::start_with(config).unwrap(), cert)
}

/// Uploads a small file with `command` (its base URL and transport set), checking it worked.
fn upload(command: &mut Command, dir: &Path, what: &str) {
    let path = dir.join("p.jsonl");
    std::fs::write(&path, "{\"p\":1}\n").unwrap();
    let (code, out, err) = run(command
        .args(["upload", "--purpose", "batch", "-q"])
        .arg(&path));
    assert_eq!(code, Some(0), "{what}: {err}");
    assert!(out.starts_with("file-"), "{what}: {out}");
}

#[test]
fn https_proxy_carries_both_transports_to_the_tls_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let (emulator, cert) = https_emulator(dir.path());
    let authority = emulator.addr().to_string();
    for transport in ["ureq", "reqwest"] {
        let proxy = ForwardProxy::start();
        upload(
            files(&emulator.base_url(), transport)
                .env("HTTPS_PROXY", proxy.url())
                .arg("--cacert")
                .arg(&cert),
            dir.path(),
            transport,
        );
        let seen = proxy.seen();
        assert!(!seen.is_empty(), "{transport}: the proxy saw nothing");
        assert!(
            seen.iter()
                .all(|r| r.method == "CONNECT" && r.target == authority),
            "{transport}: {seen:?}"
        );
    }
}

#[test]
fn http_proxy_carries_plain_requests_and_no_proxy_or_the_flag_bypass_it() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let url = emulator.base_url();
    for transport in ["ureq", "reqwest"] {
        let proxy = ForwardProxy::start();
        upload(
            files(&url, transport).env("http_proxy", proxy.url()),
            dir.path(),
            transport,
        );
        assert!(!proxy.seen().is_empty(), "{transport}: http_proxy");

        let proxy = ForwardProxy::start();
        upload(
            files(&url, transport)
                .env("ALL_PROXY", proxy.url())
                .env("NO_PROXY", "localhost,127.0.0.1"),
            dir.path(),
            transport,
        );
        assert!(proxy.seen().is_empty(), "{transport}: NO_PROXY");

        let proxy = ForwardProxy::start();
        upload(
            files(&url, transport)
                .env("HTTP_PROXY", proxy.url())
                .arg("--no-proxy"),
            dir.path(),
            transport,
        );
        assert!(proxy.seen().is_empty(), "{transport}: --no-proxy");

        let proxy = ForwardProxy::start();
        let unused = ForwardProxy::start();
        upload(
            files(&url, transport)
                .env("HTTP_PROXY", unused.url())
                .args(["--proxy", &proxy.url()]),
            dir.path(),
            transport,
        );
        assert!(!proxy.seen().is_empty(), "{transport}: --proxy");
        assert!(unused.seen().is_empty(), "{transport}: --proxy wins");
    }
}

#[test]
fn a_proxy_password_is_sent_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (emulator, cert) = https_emulator(dir.path());
    for transport in ["ureq", "reqwest"] {
        let proxy = ForwardProxy::start_with(Some("alice:s3cret-pw"));
        upload(
            files(&emulator.base_url(), transport)
                .env("HTTPS_PROXY", proxy.url_with("alice:s3cret-pw"))
                .arg("--cacert")
                .arg(&cert)
                .arg("-vv"),
            dir.path(),
            transport,
        );
        assert!(
            proxy
                .seen()
                .iter()
                .all(|r| r.authorization.as_deref() == Some("Basic YWxpY2U6czNjcmV0LXB3")),
            "{transport}: {:?}",
            proxy.seen()
        );

        let (code, out, err) = run(files(&emulator.base_url(), transport)
            .args(["--proxy", &proxy.url_with("alice:wrong-pw-123"), "-vv"])
            .arg("--cacert")
            .arg(&cert)
            .arg("list"));
        assert_eq!(code, Some(3), "{transport}: {err}");
        assert!(
            !format!("{out}{err}").contains("wrong-pw-123"),
            "{transport}: {err}"
        );
        assert!(err.contains("alice:***@127.0.0.1"), "{transport}: {err}");
        assert!(
            err.contains("http://USER:PASSWORD@HOST:PORT"),
            "{transport}: says what to fix: {err}"
        );
    }
}

#[test]
fn a_proxy_url_that_is_not_one_is_refused_naming_where_it_came_from() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    for transport in ["ureq", "reqwest"] {
        let (code, _, err) = run(files(&emulator.base_url(), transport)
            .env("HTTPS_PROXY", "socks5://u:pw-hidden@proxy:1080")
            .arg("list"));
        assert_eq!(code, Some(2), "{transport}: {err}");
        assert!(
            err.contains("HTTPS_PROXY: socks5://u:***@proxy:1080 is not a proxy URL"),
            "{transport}: {err}"
        );
        assert!(!err.contains("pw-hidden"), "{err}");

        let (code, _, err) = run(files(&emulator.base_url(), transport).args([
            "--proxy",
            "http://proxy:port",
            "list",
        ]));
        assert_eq!(code, Some(2), "{transport}: {err}");
        assert!(err.contains("--proxy: http://proxy:port"), "{err}");
    }
}

#[test]
fn the_demo_talks_to_its_emulator_directly_whatever_the_environment_says() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_files"))
        .env_remove("FILES_PROVIDER")
        .env("HTTP_PROXY", &dead)
        .env("ALL_PROXY", &dead)
        .args(["demo", "--size", "1000"]));
    assert_eq!(code, Some(0), "{out}{err}");
}
