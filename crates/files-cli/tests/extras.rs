//! The escape hatches: `--header`, `--extra-query` and `--extra-field` reach the wire over
//! both transports (checked by the emulator's request log), and what would replace the
//! client's own, or could not be sent as given, is refused before any request.

use std::process::{Command, Output, Stdio};

use files_emulator::{Dialect, Emulator};

fn files(emulator: &Emulator, transport: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
        .env("OPENAI_API_KEY", emulator.api_key())
        .args(["--transport", transport, "--no-progress", "--base-url"])
        .arg(emulator.base_url());
    command
}

fn output(mut command: Command) -> Output {
    command.stdin(Stdio::null()).output().unwrap()
}

fn run(command: Command) -> String {
    let out = output(command);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn upload_with_extras(transport: &str) {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("x.jsonl");
    std::fs::write(&source, "{\"custom_id\":\"1\"}\n").unwrap();
    let mut upload = files(&emulator, transport);
    upload
        .arg("upload")
        .arg(&source)
        .args(["--purpose", "batch", "-q"])
        .args(["--extra-field", "target_model_names=gpt-4o,gpt-4o-mini"])
        .args(["--extra-query", "tenant=a"])
        .args(["--header", "X-Trace: 1"]);
    let id = run(upload).trim().to_owned();
    let mut list = files(&emulator, transport);
    list.args(["list", "-q", "--extra-query", "tenant=a b"]);
    assert_eq!(run(list).trim(), id);

    let requests = emulator.requests();
    let [post, get] = requests.as_slice() else {
        panic!("{requests:?}")
    };
    assert_eq!(post.path, "/v1/files?tenant=a", "{post:?}");
    assert_eq!(post.header("x-trace"), Some("1"), "{post:?}");
    assert_eq!(
        post.form_fields,
        [
            ("purpose".to_owned(), "batch".to_owned()),
            (
                "target_model_names".to_owned(),
                "gpt-4o,gpt-4o-mini".to_owned()
            ),
        ]
    );
    assert_eq!(
        post.file_part.as_ref().and_then(|p| p.filename.as_deref()),
        Some("x.jsonl")
    );
    assert_eq!(get.path, "/v1/files?tenant=a+b", "{get:?}");
    assert_eq!(get.header("x-trace"), None, "only where given");
}

#[test]
fn extras_reach_the_wire_over_ureq() {
    upload_with_extras("ureq");
}

#[test]
fn extras_reach_the_wire_over_reqwest() {
    upload_with_extras("reqwest");
}

#[test]
fn extras_that_cannot_be_sent_as_given_are_refused_before_any_request() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("x.jsonl");
    std::fs::write(&source, "{}\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--extra-field", "purpose=fine-tune"],
            "form field purpose: is sent by the client itself on the upload form",
        ),
        (
            &["--extra-field", "file=other"],
            "form field file: is sent by the client itself",
        ),
        (
            &["--extra-field", "no-value"],
            "--extra-field \"no-value\": give it as NAME=VALUE",
        ),
        (
            &["--extra-query", "limit=3"],
            "query parameter limit: is sent by the client itself",
        ),
        (
            &["--header", "Authorization: Bearer sk-other"],
            "header authorization: is sent by the client itself on every request",
        ),
        (
            &["--header", "Content-Length: 3"],
            "--header: header name content-length: is set by the client to frame the body",
        ),
        (
            &["--header", "X-A: 1\r\nX-Injected: yes"],
            "--header: header value of x-a (not shown): must be visible ASCII without line breaks",
        ),
        (
            &["--extra-field", "note=a\r\nb"],
            "--extra-field: form field value of note (not shown): must not contain line breaks",
        ),
        (&["--header", "X-Trace"], "give it as 'NAME: VALUE'"),
        // A colon lost: only the first word is shown, not what may be a key.
        (
            &["--header", "Authorization Bearer sk-other-lost-colon"],
            "--header 'Authorization…': give it as 'NAME: VALUE'",
        ),
    ];
    for (extra, said) in cases {
        let mut upload = files(&emulator, "ureq");
        upload
            .arg("upload")
            .arg(&source)
            .args(["--purpose", "batch"])
            .args(*extra);
        let out = output(upload);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(said), "{extra:?}: {stderr}");
        assert!(
            !stderr.contains("sk-other") && !stderr.contains("Injected"),
            "{stderr}"
        );
    }
    assert_eq!(emulator.requests(), [], "nothing was sent");
}
