//! HTTPS from the command line: `--cacert` and `SSL_CERT_FILE` on both transports, the
//! certificate refusal and its hint, and `files serve` with a certificate of the user's or one
//! it makes up.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::run;

use files_emulator::{Dialect, Emulator, EmulatorConfig, TlsIdentity};

fn files(base_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env_remove("SSL_CERT_FILE")
        .env("OPENAI_API_KEY", "emulator-key")
        .args(["--base-url", base_url]);
    command
}

/// An HTTPS emulator and its certificate, written to `dir/cert.pem`.
fn https_emulator(dir: &Path) -> (Emulator, std::path::PathBuf) {
    let identity = TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, identity.certificate_pem()).unwrap();
    let config = EmulatorConfig::new(Dialect::openai()).with_tls(identity);
    (Emulator::start_with(config).unwrap(), cert)
}

#[test]
fn cacert_and_ssl_cert_file_let_both_transports_through() {
    let dir = tempfile::tempdir().unwrap();
    let (emulator, cert) = https_emulator(dir.path());
    let url = emulator.base_url();
    for transport in ["ureq", "reqwest"] {
        let (code, out, err) = run(files(&url)
            .args(["--transport", transport, "--cacert"])
            .arg(&cert)
            .arg("list"));
        assert_eq!(code, Some(0), "{transport}: {err}");
        assert!(format!("{out}{err}").contains("0 file(s)"), "{out}{err}");

        let (code, _, err) =
            run(files(&url)
                .env("SSL_CERT_FILE", &cert)
                .args(["--transport", transport, "list"]));
        assert_eq!(code, Some(0), "{transport} with SSL_CERT_FILE: {err}");

        let (code, out, err) = run(files(&url).args(["--transport", transport, "list"]));
        assert_eq!(code, Some(4), "{transport}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("not trusted"), "{err}");
        assert!(
            err.contains("--cacert PATH"),
            "the hint names the flag: {err}"
        );
        assert!(!err.contains("attempts"), "a refusal is not retried: {err}");
    }
}

#[test]
fn an_unusable_root_bundle_is_a_usage_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (emulator, _) = https_emulator(dir.path());
    let url = emulator.base_url();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a certificate\n").unwrap();
    for transport in ["ureq", "reqwest"] {
        let (code, _, err) = run(files(&url)
            .args(["--transport", transport, "--cacert"])
            .arg(&text)
            .arg("list"));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("notes.txt holds no certificate"), "{err}");

        let (code, _, err) = run(files(&url)
            .env("SSL_CERT_FILE", dir.path().join("missing.pem"))
            .args(["--transport", transport, "list"]));
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("missing.pem, which SSL_CERT_FILE names"),
            "{err}"
        );
    }
    let (code, _, err) = run(files(&url).args(["--cacert", "/no/such/ca.pem", "list"]));
    assert_eq!(code, Some(5), "{err}");
    assert!(
        err.contains("--cacert /no/such/ca.pem: could not read it"),
        "{err}"
    );
}

/// `files serve` with `args` on an ephemeral port, its temporary files in `tmp`: the child
/// and the JSON line it prints first.
fn serve(args: &[&str], tmp: &Path) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["serve", "--json", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        serde_json::from_str(&line).expect("serve prints its address as JSON"),
    )
}

#[test]
fn serve_makes_a_self_signed_certificate_and_removes_it_when_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, info) = serve(&["--tls-self-signed"], tmp.path());
    let url = info["base_url"].as_str().unwrap().to_owned();
    let cert = info["cacert"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(cert.starts_with(tmp.path().to_str().unwrap()), "{cert}");
    for transport in ["ureq", "reqwest"] {
        let (code, _, err) =
            run(files(&url).args(["--transport", transport, "--cacert", &cert, "list"]));
        assert_eq!(code, Some(0), "{transport}: {err}");
        let localhost = url.replace("127.0.0.1", "localhost");
        let (code, _, err) =
            run(files(&localhost).args(["--transport", transport, "--cacert", &cert, "list"]));
        assert_eq!(code, Some(0), "{transport} by name: {err}");
    }
    stop(&mut child);
    if cfg!(unix) {
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "the certificate and the store are removed"
        );
    }
}

#[test]
fn serve_uses_the_certificate_and_key_it_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = (keys.path().join("cert.pem"), keys.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (mut child, info) = serve(&["--tls-cert", cert, "--tls-key", key], tmp.path());
    let url = info["base_url"].as_str().unwrap().to_owned();
    assert!(info.get("cacert").is_none(), "{info}");
    let (code, _, err) = run(files(&url).args(["--cacert", cert, "list"]));
    assert_eq!(code, Some(0), "{err}");
    stop(&mut child);

    // A key that is not the certificate's, and a certificate without its key.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let wrong = keys.path().join("other-key.pem");
    std::fs::write(&wrong, other.signing_key.serialize_pem()).unwrap();
    let (code, err) = refused(&["--tls-cert", cert, "--tls-key", wrong.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not suit"), "{err}");
    let (code, err) = refused(&["--tls-cert", cert]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--tls-key"), "{err}");
}

/// `files serve` with `args`, which should refuse to start: its exit status and stderr. A
/// server that starts anyway is stopped after 10 s, and the test fails rather than hangs.
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("files serve {args:?} started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stops `files serve` as Ctrl-C would (where signals exist) and waits for it.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    #[cfg(not(unix))]
    child.kill().unwrap();
    common::wait_bounded(child, "files serve to stop");
}
