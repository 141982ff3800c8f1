//! The `files` binary as people and scripts use it, against the emulator: what it prints
//! (`--json`, `-q`, times, sizes, server text escaped), how it exits, the errors it gives and
//! the flags they name, and how downloads land on disk.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use files_cli::Api;
use files_client::{Purpose, RequestOptions, UploadRequest};
use files_emulator::{Dialect, Emulator, Fault};
use provider_openai::OpenAi;

/// The binary, pointed at `emulator` with its key in the environment.
fn files(emulator: &Emulator) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    let key_env = emulator.dialect().spec().file.provider.api_key_env.clone();
    command
        .env_remove("OPENAI_API_KEY")
        .env_remove("STEP_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_ORG_ID")
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env(&key_env, emulator.api_key())
        .arg("--base-url")
        .arg(emulator.base_url());
    if key_env == "STEP_API_KEY" {
        command.args(["--provider", "stepfun"]);
    }
    command
}

fn run(mut command: Command) -> (Option<i32>, String, String) {
    let out: Output = command.stdin(Stdio::null()).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn api(emulator: &Emulator) -> Api {
    let provider = OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap();
    Api::blocking(Box::new(provider), RequestOptions::new()).unwrap()
}

fn store(emulator: &Emulator, name: &str, body: &[u8]) -> String {
    api(emulator)
        .create(UploadRequest::from_bytes(
            body.to_vec(),
            name,
            Purpose::BATCH,
        ))
        .unwrap()
        .id
}

#[test]
fn server_text_with_control_characters_is_escaped_in_every_mode() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    // A server (or a proxy) that answers with names and ids meant to steer a terminal.
    let hostile = "evil\x1b]0;owned\x07\x1b[2J\nfile-fake  1 B  batch.jsonl";
    let file = serde_json::json!({
        "id": "file-\x1b[31mred", "object": "file", "bytes": 1, "created_at": 1795364941,
        "filename": hostile, "purpose": "batch", "status": "processed",
        "vendor_field": {"kept": true},
    });
    let page = serde_json::json!({"object": "list", "data": [file], "has_more": false});
    for (args, answer) in [
        (&["list"][..], &page),
        (&["list", "--all"], &page),
        (&["get", "file-1"], &file),
        (&["list", "-q"], &page),
    ] {
        emulator.inject(Fault::status(200, answer.clone()).on("GET", "/files"));
        emulator.inject(Fault::status(200, answer.clone()).on("GET", "/files/file-1"));
        let mut command = files(&emulator);
        command.args(args);
        let (code, out, err) = run(command);
        emulator.clear_faults();
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{args:?}: {out:?}"
        );
        assert_eq!(
            out.lines().count(),
            1 + 5 * usize::from(args[0] == "get"),
            "{out:?}"
        );
        assert!(out.contains("file-\\u{1b}[31mred"), "{args:?}: {out:?}");
    }
    emulator.inject(Fault::status(200, file.clone()).on("GET", "/files/file-1"));
    let mut command = files(&emulator);
    command.args(["get", "file-1", "--json"]);
    let (_, out, _) = run(command);
    assert!(!out.contains('\x1b'), "{out:?}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["filename"], hostile, "JSON keeps the name exactly");
    assert_eq!(
        value["vendor_field"],
        serde_json::json!({"kept": true}),
        "and the fields the client does not name"
    );
}

#[test]
fn json_and_quiet_output_and_readable_times_and_sizes() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, vec![b'\n'; 3 << 20]).unwrap();
    std::fs::write(&b, b"{\"b\":2}\n").unwrap();

    // Several paths, ids only.
    let mut command = files(&emulator);
    command
        .args(["upload", "--purpose", "batch", "-q"])
        .arg(&a)
        .arg(&b);
    let (code, out, _) = run(command);
    assert_eq!(code, Some(0));
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 2, "{out}");
    assert!(ids.iter().all(|id| id.starts_with("file-")), "{out}");

    // Human lines: RFC 3339 in UTC, sizes for people.
    let mut command = files(&emulator);
    command.arg("list");
    let (_, out, _) = run(command);
    assert!(out.contains("3.00 MiB"), "{out}");
    // The first word ending in Z that is not an id (a random id may end in Z too).
    let year = out
        .split_whitespace()
        .find(|w| w.ends_with('Z') && !w.starts_with("file-"))
        .unwrap();
    assert_eq!(year.len(), "2026-11-22T16:29:01Z".len(), "{out}");
    assert_eq!(&year[10..11], "T", "{out}");

    // Two outputs at once are refused, on either side of the subcommand.
    let mut command = files(&emulator);
    command.args(["--json", "list", "-q"]);
    let (code, out, err) = run(command);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");

    // A page as one document; --all as one line per file.
    let mut command = files(&emulator);
    command.args(["list", "--json"]);
    let (_, out, _) = run(command);
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let mut command = files(&emulator);
    command.args(["list", "--all", "--json"]);
    let (_, out, _) = run(command);
    let files_listed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(files_listed.len(), 2);
    assert!(files_listed.iter().any(|f| f["bytes"] == 3 << 20));

    // A download adds what it did.
    let mut command = files(&emulator);
    command
        .args(["download", ids[1], "--json", "-o"])
        .arg(dir.path().join("copy"));
    let (code, out, _) = run(command);
    assert_eq!(code, Some(0));
    let done: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["bytes_written"], 8);
    assert_eq!(done["id"], ids[1]);

    // Wait, and delete several at once.
    let mut command = files(&emulator);
    command.args(["wait", ids[0], "-q"]);
    assert_eq!(run(command).1, format!("{}\n", ids[0]));
    let mut command = files(&emulator);
    command.args(["delete", ids[0], ids[1], "--json"]);
    let (code, out, _) = run(command);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 2);
    assert!(out.lines().all(|l| l.contains("\"deleted\":true")), "{out}");
}

#[test]
fn standard_input_uploads_streamed_or_buffered() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let body = b"{\"from\":\"stdin\"}\n";
    for size in [Some("17"), None] {
        let mut command = files(&emulator);
        command.args([
            "upload",
            "-",
            "--filename",
            "piped.jsonl",
            "--purpose",
            "batch",
            "-q",
        ]);
        if let Some(size) = size {
            command.args(["--size", size]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(body).unwrap();
        let out = common::finish(child, "the piped upload");
        assert!(out.status.success(), "{out:?}");
        let id = String::from_utf8(out.stdout).unwrap();
        let id = id.trim();
        let file = api(&emulator).retrieve(id).unwrap();
        assert_eq!((file.bytes, file.filename.as_str()), (17, "piped.jsonl"));
        // What was stored is what was piped in, byte for byte.
        let mut stored = Vec::new();
        let written = api(&emulator).download_to_writer(id, &mut stored).unwrap();
        assert_eq!(written, 17, "{size:?}");
        assert_eq!(stored, body, "{size:?}");
    }
    // No name for standard input: refused before reading it.
    let mut command = files(&emulator);
    command.args(["upload", "-", "--purpose", "batch"]);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2));
    assert!(err.contains("--filename"), "{err}");
}

#[test]
fn an_undocumented_purpose_is_sent_with_a_warning_and_a_slip_is_refused() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("notes.jsonl");
    std::fs::write(&source, b"{}\n").unwrap();

    let mut command = files(&emulator);
    command
        .args(["upload", "--purpose", "responses"])
        .arg(&source);
    let (code, _, err) = run(command);
    assert!(
        err.contains(
            "warning: purpose `responses` is not one OpenAI documents for uploads (`assistants`"
        ),
        "{err}"
    );
    assert!(
        err.contains("sent as given, with no size or format check"),
        "{err}"
    );
    // The emulator answers as the documented API does: it refuses the purpose.
    assert_eq!(code, Some(3), "{err}");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "it was sent");
    assert_eq!(
        requests[0].form_fields,
        [("purpose".to_owned(), "responses".to_owned())]
    );

    for (slip, meant) in [
        ("batc", "batch"),
        ("Batch", "batch"),
        ("fine_tune", "fine-tune"),
    ] {
        let mut command = files(&emulator);
        command.args(["upload", "--purpose", slip]).arg(&source);
        let (code, _, err) = run(command);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("purpose `{slip}`: did you mean `{meant}`?")),
            "{err}"
        );
    }
    let mut command = files(&emulator);
    command
        .args(["upload", "--strict", "--purpose", "responses"])
        .arg(&source);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("unknown purposes are refused (strict checking)"),
        "{err}"
    );
    assert_eq!(emulator.requests().len(), 1, "no refusal was sent");
}

#[test]
fn exit_statuses_tell_apart_usage_refusal_outage_and_local_files() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("image.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();

    let mut command = files(&emulator);
    command
        .args(["upload", "--strict", "--purpose", "no-such-purpose"])
        .arg(&png);
    assert_eq!(run(command).0, Some(2), "validation");
    let mut command = files(&emulator);
    command.args(["get", "file-missing"]);
    assert_eq!(run(command).0, Some(3), "a 404");
    let mut command = files(&emulator);
    command
        .args(["upload", "--purpose", "batch"])
        .arg(dir.path().join("missing.jsonl"));
    let (code, _, err) = run(command);
    assert_eq!(code, Some(5), "a missing file: {err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    for transport in ["ureq", "reqwest"] {
        let mut command = files(&emulator);
        command.args([
            "list",
            "--transport",
            transport,
            "--base-url",
            &format!("http://127.0.0.1:{port}/v1"),
        ]);
        let (code, _, err) = run(command);
        assert_eq!(code, Some(4), "{transport}: {err}");
        assert!(err.contains("could not connect"), "{transport}: {err}");
        assert!(
            err.contains(&format!("127.0.0.1:{port}")),
            "{transport}: {err}"
        );
    }
    // A name that does not resolve is a connect failure naming the host, not a transfer one.
    let mut command = files(&emulator);
    command.args(["list", "--base-url", "http://no-such-host.invalid/v1"]);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("could not connect"), "{err}");
    assert!(err.contains("no-such-host.invalid:80"), "{err}");
    assert!(!err.contains("while transferring"), "{err}");
}

#[test]
fn the_readme_lists_the_exit_statuses_the_help_does() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let (_, help, _) = run({
        let mut c = Command::new(env!("CARGO_BIN_EXE_files"));
        c.arg("--help");
        c
    });
    let statuses: Vec<(String, String)> = help
        .lines()
        .skip_while(|l| *l != "Exit status:")
        .skip(1)
        .filter_map(|l| l.trim().split_once("  "))
        .map(|(code, meaning)| (code.to_owned(), meaning.trim().to_owned()))
        .collect();
    assert_eq!(statuses.len(), 8, "{help}");
    for (code, meaning) in statuses {
        let row = format!("| {code} | {} |", meaning.replace('|', "\\|"));
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

#[test]
fn header_values_with_line_breaks_are_refused_before_sending() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("a.jsonl");
    std::fs::write(&source, b"{\"a\":1}\n").unwrap();
    let mut command = files(&emulator);
    command
        .args(["upload", "--purpose", "batch", "--content-type"])
        .arg("bad\r\nX-Injected: yes")
        .arg(&source);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("\\r\\n"), "the value is shown escaped: {err}");
    let mut command = files(&emulator);
    command
        .env("OPENAI_ORG_ID", "org\r\nX-Injected: yes")
        .arg("list");
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("organization"), "{err}");
    assert!(emulator.requests().is_empty(), "nothing was sent");
}

#[test]
fn errors_name_the_flags_and_hint_at_a_missing_v1() {
    let stepfun = Emulator::start(Dialect::stepfun()).unwrap();
    let mut command = files(&stepfun);
    command.args(["list", "--limit", "1"]);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--limit"), "{err}");
    assert!(
        !err.contains("ListParams") && !err.contains("Some("),
        "{err}"
    );

    let mut command = files(&stepfun);
    command.args([
        "upload",
        "--url",
        "https://example.com/a.txt",
        "--purpose",
        "storage",
    ]);
    command.args(["--filename", "x.txt"]);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--filename"), "{err}");
    assert!(!err.contains("with_filename"), "{err}");

    let openai = Emulator::start(Dialect::openai()).unwrap();
    let root = openai.base_url().trim_end_matches("/v1").to_owned();
    let mut command = files(&openai);
    command.args(["list", "--base-url", &root]);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains(&format!("--base-url {root}/v1")), "{err}");
}

#[cfg(unix)]
#[test]
fn downloads_honour_the_umask_keep_a_mode_refuse_to_clobber_and_name_themselves() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let id = store(&emulator, "../../etc/report.jsonl", b"{\"new\":1}\n");
    let dir = tempfile::tempdir().unwrap();
    // What this process's umask gives a new file; the child inherits the umask.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();

    for transport in ["ureq", "reqwest"] {
        let work = tempfile::tempdir().unwrap();
        // No -o: the server's base name, in the current directory.
        let mut command = files(&emulator);
        command
            .current_dir(work.path())
            .args(["download", &id, "--transport", transport]);
        let (code, _, err) = run(command);
        assert_eq!(code, Some(0), "{err}");
        let named = work.path().join("report.jsonl");
        assert_eq!(std::fs::read(&named).unwrap(), b"{\"new\":1}\n");
        assert_eq!(mode(&named), mode(&probe), "{transport}: the umask decides");
        // A name from the server never replaces a file.
        std::fs::write(&named, b"mine").unwrap();
        let mut command = files(&emulator);
        command
            .current_dir(work.path())
            .args(["download", &id, "--transport", transport]);
        let (code, _, err) = run(command);
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("-o report.jsonl"), "{err}");
        assert_eq!(std::fs::read(&named).unwrap(), b"mine");

        // Over an existing file: its mode stays.
        let kept = work.path().join("kept.jsonl");
        std::fs::write(&kept, b"old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut command = files(&emulator);
        command
            .args(["download", &id, "--transport", transport, "-o"])
            .arg(&kept);
        assert_eq!(run(command).0, Some(0));
        assert_eq!(std::fs::read(&kept).unwrap(), b"{\"new\":1}\n");
        assert_eq!(mode(&kept), 0o640, "{transport}");

        // --no-clobber: refused, untouched, nothing left beside it.
        std::fs::write(&kept, b"old").unwrap();
        let mut command = files(&emulator);
        command
            .args([
                "download",
                &id,
                "--no-clobber",
                "--transport",
                transport,
                "-o",
            ])
            .arg(&kept);
        let (code, _, err) = run(command);
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("--no-clobber"), "{err}");
        assert_eq!(std::fs::read(&kept).unwrap(), b"old");
        let mut names: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["kept.jsonl", "report.jsonl"]);
    }
}

#[test]
fn the_key_comes_from_a_file_and_never_shows_in_the_log() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{}\n", emulator.api_key())).unwrap();
    let mut command = files(&emulator);
    command
        .env_remove("OPENAI_API_KEY")
        .args(["list", "-v", "--api-key-file"])
        .arg(&key_file);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("GET") && err.contains("/v1/files"), "{err}");
    assert!(err.contains("200"), "{err}");
    assert!(!err.contains(emulator.api_key()), "{err}");

    std::fs::write(&key_file, "\n").unwrap();
    let mut command = files(&emulator);
    command.args(["list", "--api-key-file"]).arg(&key_file);
    let (code, _, err) = run(command);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn completions_are_printed_for_a_shell() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command.args(["completions", "bash"]);
    let (code, out, _) = run(command);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("_files()") && out.contains("download"),
        "{out}"
    );
}

#[test]
fn the_demo_size_is_bounded_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    // An empty sample is refused; past the provider's limit for the sample's purpose, the
    // refusal says the most it takes.
    for (provider, size, most) in [
        ("openai", "0", "cannot be empty: give 1 byte or more"),
        ("openai", "18446744073709551615", "200MiB"),
        ("openai", "201MiB", "200MiB"),
        ("stepfun", "65MiB", "64MiB"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
        command
            .args(["demo", "--provider", provider, "--size", size])
            .env("TMPDIR", tmp.path());
        let (code, _, err) = run(command);
        assert_eq!(code, Some(2), "{size}: {err}");
        assert!(err.contains("--size"), "{size}: {err}");
        assert!(err.contains(most), "{size}: {err}");
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
