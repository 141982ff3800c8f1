//! `files upload` when the server stores the file and the answer is lost: by default the
//! client finds the stored file and prints it (`-v` shows the look); `--no-reconcile` sends
//! the upload again and the server holds two copies.

use std::process::{Command, Stdio};

use files_emulator::{Dialect, Emulator, Fault};

fn files(emulator: &Emulator) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
        .env("OPENAI_API_KEY", emulator.api_key())
        .args(["--no-progress", "--base-url"])
        .arg(emulator.base_url())
        .stdin(Stdio::null());
    command
}

fn upload(emulator: &Emulator, transport: &str, extra: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("batch.jsonl");
    std::fs::write(&source, "{\"custom_id\":\"1\"}\n".repeat(500)).unwrap();
    emulator.inject(Fault::lose_answer().on("POST", "/files"));
    let out = files(emulator)
        .args([
            "--transport",
            transport,
            "upload",
            "--purpose",
            "batch",
            "-q",
        ])
        .args(extra)
        .arg(&source)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr,
    )
}

fn listed(emulator: &Emulator) -> Vec<String> {
    let out = files(emulator).args(["list", "-q"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_lost_answer_is_found_again_and_shown_with_v() {
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let (id, stderr) = upload(&emulator, transport, &["-v"]);
        assert_eq!(
            listed(&emulator),
            std::slice::from_ref(&id),
            "{transport}: one file"
        );
        assert!(
            stderr.contains("the lost attempt had stored the file")
                && stderr.contains(&format!("file_id={id}")),
            "{transport}: {stderr}"
        );
    }
}

#[test]
fn no_reconcile_sends_it_again() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let (id, _) = upload(&emulator, "ureq", &["--no-reconcile"]);
    let all = listed(&emulator);
    assert_eq!(all.len(), 2, "the duplicate: {all:?}");
    assert!(all.contains(&id));
}
