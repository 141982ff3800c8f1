//! The `files` binary end to end against the emulator: options before or after the
//! subcommand, keys from the environment, readable failures.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use files_emulator::{Dialect, Emulator};

fn files(emulator: &Emulator, key_env: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_files"))
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("STEP_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("FILES_PROVIDER")
        .env(key_env, emulator.api_key())
        .output()
        .expect("the files binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "files failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_command_with_options_before_and_after_the_subcommand() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let base = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.jsonl");
    std::fs::write(&source, b"{\"a\":1}\n").unwrap();
    let source = source.to_str().unwrap();

    // Options before the subcommand, blocking transport.
    let out = stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &[
            "--base-url",
            &base,
            "--transport",
            "ureq",
            "upload",
            source,
            "--purpose",
            "batch",
        ],
    ));
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.starts_with("file-"), "{out}");
    assert!(out.contains("data.jsonl"), "{out}");

    // Options after the subcommand, async transport.
    let out = stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &["list", "--base-url", &base, "--transport", "reqwest"],
    ));
    assert!(out.contains(&id), "{out}");
    let out = stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &["get", &id, "--base-url", &base],
    ));
    assert!(out.contains("filename:    data.jsonl"), "{out}");

    let dest = dir.path().join("copy.jsonl");
    stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &[
            "download",
            &id,
            "-o",
            dest.to_str().unwrap(),
            "--base-url",
            &base,
            "--transport",
            "reqwest",
        ],
    ));
    assert_eq!(std::fs::read(&dest).unwrap(), b"{\"a\":1}\n");
    let out = stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &["download", &id, "-o", "-", "--base-url", &base],
    ));
    assert_eq!(out, "{\"a\":1}\n");

    let out = stdout(&files(
        &emulator,
        "OPENAI_API_KEY",
        &["--base-url", &base, "delete", &id],
    ));
    assert!(out.ends_with(" deleted\n"), "{out}");
}

#[test]
fn stepfun_provider_reads_its_own_key() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let base = emulator.base_url();
    let out = stdout(&files(
        &emulator,
        "STEP_API_KEY",
        &["list", "--provider", "stepfun", "--base-url", &base],
    ));
    assert_eq!(out, "");
}

/// The failure's exit status and its stderr, checked to be whole lines of text for people:
/// `lines` of them, the first the `error:` line, and no Debug output of the library's types.
fn failure(output: &Output, lines: usize) -> (Option<i32>, String) {
    let err = String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8");
    assert!(
        err.starts_with("error: ") && err.ends_with('\n'),
        "an error line: {err:?}"
    );
    assert_eq!(err.matches('\n').count(), lines, "{err:?}");
    for debug in ["Error {", " { ", "Some(", "Kind", "panicked"] {
        assert!(!err.contains(debug), "Debug output ({debug:?}) in {err:?}");
    }
    (output.status.code(), err)
}

#[test]
fn failures_are_an_error_line_with_at_most_one_line_of_advice_and_a_nonzero_exit() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let base = emulator.base_url();
    let out = files(
        &emulator,
        "OPENAI_API_KEY",
        &["get", "file-nope", "--base-url", &base],
    );
    let (code, err) = failure(&out, 1);
    assert_eq!(code, Some(3), "{err}");
    let (said, request_id) = err
        .trim_end()
        .rsplit_once(" [request id ")
        .expect("the line ends with the request id");
    assert_eq!(
        said,
        "error: HTTP 404 Not Found (invalid_request_error, param id): No such File object: \
         file-nope — no such file or path: check the id, and that the base URL ends in /v1"
    );
    // The emulator's request id: `req_` and 32 hex digits.
    let hex = request_id
        .strip_suffix(']')
        .and_then(|id| id.strip_prefix("req_"))
        .unwrap_or_default();
    assert_eq!(hex.len(), 32, "{err}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{err}");
    assert_eq!(emulator.requests().len(), 1, "a 404 is not retried");

    // A server with no Files API at this address (an inference server, a wrong prefix):
    // the 404 is the endpoint's, and the advice says so.
    let other = Emulator::start(Dialect::openai()).unwrap();
    let elsewhere = other.base_url().replace("/v1", "/serving/v1");
    let out = files(
        &other,
        "OPENAI_API_KEY",
        &["list", "--base-url", &elsewhere],
    );
    let (code, err) = failure(&out, 1);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(
            "— the endpoint itself was not found, not a file: the server may not implement the \
             Files API (vLLM and Ollama, for instance, have none), or the base URL is wrong"
        ),
        "{err}"
    );
    assert_eq!(
        other.requests().len(),
        1,
        "a 404 for the endpoint is not retried"
    );

    // No key at all: say which variable to set, and (the one line of advice under it) the
    // other way to give a key.
    let out = files(&emulator, "UNUSED_VARIABLE", &["list", "--base-url", &base]);
    let (code, err) = failure(&out, 2);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "error: OPENAI_API_KEY (not set): set it to your OpenAI API key, e.g. \
         `export OPENAI_API_KEY=sk-...`\nor give --api-key-file PATH (a file holding the key)\n"
    );
    assert_eq!(
        emulator.requests().len(),
        1,
        "nothing is sent without a key"
    );

    // A missing file is refused before anything is sent.
    let missing = "/no/such/file.jsonl";
    let out = files(
        &emulator,
        "OPENAI_API_KEY",
        &["upload", missing, "--purpose", "batch", "--base-url", &base],
    );
    let (code, err) = failure(&out, 1);
    assert_eq!(code, Some(5), "{err}");
    let why = std::fs::File::open(missing).unwrap_err();
    assert_eq!(err, format!("error: could not open {missing}: {why}\n"));
    assert_eq!(
        emulator.requests().len(),
        1,
        "nothing is sent for a missing file"
    );
    assert!(!Path::new(missing).exists());
}

#[test]
fn demo_walks_every_step() {
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["demo", "--size", "100000", "--transport", "reqwest"])
        .output()
        .unwrap();
    let text = stdout(&out);
    for step in [
        "1. upload",
        "2. list",
        "3. retrieve",
        "4. download",
        "5. delete",
        "identical to the upload",
        "done:",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
}

/// `files serve` as a child process on an ephemeral port; killed when dropped.
struct Served {
    child: std::process::Child,
    base_url: String,
    /// Read on a thread of its own, so the server never blocks on a full pipe.
    _stderr: common::StderrLines,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `files serve` and waits (within the CLI tests' deadline) for the URL it prints; the
/// server's stderr when it ends first.
fn serve(args: &[&str]) -> Result<Served, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the files binary runs");
    let mut lines = common::StderrLines::take(&mut child);
    while let Some(line) = lines.next_line(&mut child, "serve to print its URL") {
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            return Ok(Served {
                child,
                base_url: url.to_owned(),
                _stderr: lines,
            });
        }
    }
    common::wait_bounded(&mut child, "serve to exit");
    Err(lines.seen().iter().map(|l| format!("{l}\n")).collect())
}

#[test]
fn serve_takes_a_fault_plan() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        r#"[{"method": "GET", "path": "/files", "times": 1,
             "action": {"respond": {"status": 418, "body": {"error": {"message": "from the plan"}}}}}]"#,
    )
    .unwrap();
    let served = serve(&["--faults", plan.to_str().unwrap()]).unwrap();
    let list = |base: &str| {
        Command::new(env!("CARGO_BIN_EXE_files"))
            .args(["list", "--base-url", base])
            .env("OPENAI_API_KEY", "emulator-key")
            .output()
            .expect("the files binary runs")
    };
    let out = list(&served.base_url);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("418") && err.contains("from the plan"),
        "{err}"
    );
    // Used up: the next listing works.
    assert!(list(&served.base_url).status.success());

    // A broken plan is refused at start, naming the file and the expected shape.
    std::fs::write(&plan, r#"[{"action": {"dealy_ms": 5}}]"#).unwrap();
    let refused = serve(&["--faults", plan.to_str().unwrap()])
        .err()
        .unwrap_or_default();
    assert!(
        refused.contains("plan.json") && refused.contains("dealy_ms"),
        "{refused}"
    );
    assert!(
        refused.contains("expected a JSON array of faults"),
        "{refused}"
    );
}

#[test]
fn provider_rules_refuse_before_sending_and_no_validate_leaves_it_to_the_server() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let base = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("requests.csv");
    std::fs::write(&csv, "a,b\n1,2\n").unwrap();
    let csv = csv.to_str().unwrap();
    let args = ["upload", csv, "--purpose", "batch", "--base-url", &base];

    let out = files(&emulator, "OPENAI_API_KEY", &args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: file `requests.csv` (.csv): purpose `batch` on OpenAI accepts only JSON Lines (.jsonl)"),
        "{err}"
    );
    assert!(emulator.requests().is_empty(), "nothing is sent");

    let mut unchecked = args.to_vec();
    unchecked.push("--no-validate");
    let out = files(&emulator, "OPENAI_API_KEY", &unchecked);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: HTTP 400 Bad Request"), "{err}");
    assert!(err.contains("accepts only JSON Lines (.jsonl)"), "{err}");
    assert_eq!(emulator.requests().len(), 1, "the server refused it");
}

#[test]
fn warnings_of_the_rules_go_to_stderr() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "some text").unwrap();
    let base = emulator.base_url();
    let out = files(
        &emulator,
        "STEP_API_KEY",
        &[
            "--provider",
            "stepfun",
            "upload",
            notes.to_str().unwrap(),
            "--purpose",
            "retrieval",
            "--base-url",
            &base,
        ],
    );
    let line = stdout(&out);
    assert!(line.contains("retrieval"), "{line}");
    let err = String::from_utf8_lossy(&out.stderr);
    let warning =
        "warning: purpose `retrieval` is deprecated on StepFun: use `retrieval-text` instead";
    assert_eq!(err.matches(warning).count(), 1, "once: {err}");
}

#[test]
fn serve_emulates_one_site_and_refuses_an_unknown_one() {
    let refused = serve(&["--provider", "stepfun", "--site", "mars"])
        .err()
        .unwrap_or_default();
    assert!(
        refused.contains("--site mars") && refused.contains("international, china"),
        "{refused}"
    );
    let served = serve(&["--provider", "stepfun", "--site", "international"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "some text").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["--provider", "stepfun", "--no-validate", "upload"])
        .arg(&notes)
        .args(["--purpose", "file-extract", "--base-url", &served.base_url])
        .env("STEP_API_KEY", "emulator-key")
        .output()
        .expect("the files binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("'file-extract'") && err.contains("Expected one of: 'storage'"),
        "{err}"
    );
}
