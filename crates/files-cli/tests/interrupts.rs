//! The `files` binary interrupted as people interrupt it — Ctrl-C (SIGINT) or `kill`
//! (SIGTERM) mid-transfer, and a reader that closes the pipe early — checked on a real child
//! process: the exit status, one "interrupted" line, and nothing partial left behind.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::{DEADLINE, StderrLines, finish, wait_until};

use files_cli::Api;
use files_client::{Purpose, RequestOptions, UploadRequest};
use files_emulator::{Dialect, Emulator, Fault};
use provider_openai::OpenAi;

fn files(emulator: &Emulator) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env("OPENAI_API_KEY", emulator.api_key())
        .env("FILES_JOURNAL_DIR", std::env::temp_dir())
        .arg("--base-url")
        .arg(emulator.base_url());
    command
}

/// Uploads `len` bytes of JSON lines through the library and gives the file's id.
fn stored_file(emulator: &Emulator, len: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let bytes: Vec<u8> = b"{\"n\":12345}\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let provider = OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap();
    let api = Api::blocking(Box::new(provider), RequestOptions::new()).unwrap();
    api.create(UploadRequest::from_path(&path, Purpose::BATCH))
        .unwrap()
        .id
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} failed");
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn partial_download(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".files-download-")
        })
}

#[test]
fn a_download_interrupted_mid_transfer_leaves_the_destination_as_it_was() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let id = stored_file(&emulator, 4 << 20);
    for (transport, sig, status) in [("ureq", "INT", 130), ("reqwest", "TERM", 143)] {
        // The content stops after 1 MiB, so the command is mid-transfer when signalled.
        emulator.inject(
            Fault::stall_after_response_bytes(1 << 20).on("GET", &format!("/files/{id}/content")),
        );
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("dest.jsonl");
        std::fs::write(&dest, b"the old content").unwrap();
        let mut child = files(&emulator)
            .args(["--transport", transport, "download", &id, "-o"])
            .arg(&dest)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The async client writes in 256 KiB pieces, so up to one piece of the 1 MiB may
        // still be on its way to the file.
        wait_until(&mut child, "the temporary file to fill", || {
            partial_download(dir.path())
                .and_then(|p| std::fs::metadata(p).ok())
                .is_some_and(|m| m.len() >= 512 << 10)
        });
        signal(&child, sig);
        let out = finish(
            child,
            &format!("{transport}: the download to stop after SIG{sig}"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{transport}: {stderr}");
        assert!(stderr.contains("interrupted"), "{transport}: {stderr}");
        assert_eq!(entries(dir.path()), ["dest.jsonl"], "{transport}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"the old content");
        emulator.clear_faults();
    }
}

#[test]
fn an_interrupted_demo_removes_its_directory_and_the_emulator_store() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo needs three times the sample's size free on disk; 64 MiB (192 MiB free) keeps
    // it busy for seconds (writing, hashing, uploading, downloading), and the signal goes as
    // soon as its sample exists.
    let mut child = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["demo", "--size", "64MiB"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(&mut child, "the demo's sample to be written", || {
        std::fs::read_dir(tmp.path()).unwrap().any(|e| {
            let dir = e.unwrap().path();
            dir.is_dir()
                && std::fs::read_dir(&dir)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false)
        })
    });
    signal(&child, "INT");
    let out = finish(child, "the demo to stop after SIGINT");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

/// `files serve` on an ephemeral port with its temporary files in `tmp`: the child, the rest
/// of its stderr, and its base URL.
fn serve(args: &[&str], tmp: &Path) -> (Child, StderrLines, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("TMPDIR", tmp)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = StderrLines::take(&mut child);
    let address = lines.wait_for(&mut child, "serve to print its address", |line| {
        line.split_whitespace().any(|w| w.starts_with("http://"))
    });
    let base_url = address
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    (child, lines, base_url)
}

#[test]
fn serve_removes_its_store_when_terminated() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, lines, base_url) = serve(&["--path-prefix", "v1x"], tmp.path());
    // The prefix is a path however it was typed.
    assert!(base_url.ends_with("/v1x"), "{base_url}");
    assert!(
        base_url.contains(":") && !base_url.contains("v1xv1x"),
        "{base_url}"
    );
    let source = tmp.path().join("stored.jsonl");
    std::fs::write(&source, b"{\"a\":1}\n").unwrap();
    let stored = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["--base-url", &base_url, "upload", "--purpose", "batch"])
        .arg(&source)
        .env("OPENAI_API_KEY", "emulator-key")
        .output()
        .unwrap();
    assert!(stored.status.success(), "{stored:?}");
    std::fs::remove_file(&source).unwrap();
    assert_eq!(
        entries(tmp.path()).len(),
        1,
        "the store exists while serving"
    );
    signal(&child, "TERM");
    let (status, rest) = lines.exit(&mut child, "serve to stop after SIGTERM");
    assert_eq!(status.code(), Some(143), "{rest:?}");
    assert!(rest.iter().any(|l| l == "interrupted"), "{rest:?}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn a_second_signal_exits_at_once_while_serve_waits_for_a_connection() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, mut lines, base_url) = serve(&[], tmp.path());
    let addr = base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    // A request whose body never comes: the server waits for it when asked to stop.
    let mut stuck = std::net::TcpStream::connect(&addr).unwrap();
    stuck
        .write_all(
            b"POST /v1/files HTTP/1.1\r\nhost: x\r\nauthorization: Bearer emulator-key\r\n\
              content-type: multipart/form-data; boundary=b\r\ncontent-length: 100000\r\n\
              expect: 100-continue\r\n\r\n",
        )
        .unwrap();
    // The server asks for the body once it reads it: from then on the request is in flight.
    stuck.set_read_timeout(Some(DEADLINE)).unwrap();
    let continued = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut answer = vec![0u8; continued.len()];
    stuck
        .read_exact(&mut answer)
        .expect("the server asks for the body of the stuck request");
    assert_eq!(
        String::from_utf8_lossy(&answer),
        String::from_utf8_lossy(continued)
    );
    stuck.write_all(b"--b").unwrap();
    signal(&child, "INT");
    // Two signals sent at once may arrive as one: the second goes once the first is seen.
    lines.wait_for(&mut child, "serve to say it is stopping", |l| {
        l.starts_with("stopping")
    });
    signal(&child, "INT");
    let (status, rest) = lines.exit(&mut child, "serve to stop after a second SIGINT");
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(
        !rest.iter().any(|l| l.contains("still open")),
        "the second signal did not wait out the grace period: {rest:?}"
    );
    drop(stuck);
}

/// Runs the command with its stdout read for `keep` bytes and then closed.
fn closed_early(mut command: Command, keep: usize) -> (Vec<u8>, Output) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    (
        head,
        finish(child, "the command to end once its stdout was closed"),
    )
}

#[test]
fn a_reader_that_closes_the_pipe_ends_the_command_quietly() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let id = stored_file(&emulator, 8 << 20);
    for transport in ["ureq", "reqwest"] {
        let mut download = files(&emulator);
        download.args(["--transport", transport, "download", &id, "-o", "-"]);
        let (head, out) = closed_early(download, 10);
        assert_eq!(head, b"{\"n\":12345");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{transport}: {stderr}");
        assert_eq!(stderr, "", "{transport}");
    }

    // Enough files that the listing overflows the pipe's buffer.
    let provider = OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap();
    let api = Api::blocking(Box::new(provider), RequestOptions::new()).unwrap();
    for n in 0..800 {
        let body = format!("{{\"n\":{n}}}\n");
        api.create(UploadRequest::from_bytes(
            body,
            "a-long-file-name-for-the-listing.jsonl",
            Purpose::BATCH,
        ))
        .unwrap();
    }
    for args in [
        &["list", "--limit", "10000"][..],
        &["list", "--all", "--json"],
    ] {
        let mut list = files(&emulator);
        list.args(args);
        let (_, out) = closed_early(list, 100);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}
