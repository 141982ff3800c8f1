//! `files upload` through the Uploads API, as a person runs it: a process killed half-way
//! (the process, not a mock) resumes with `--resume` and completes byte-identical, sending
//! only the parts it had not sent; a changed file is refused; an expired Upload is reported.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use files_emulator::{Dialect, Emulator, Fault};

/// 1 MiB and a bit of JSON Lines: 17 parts of 64 KiB.
fn write_jsonl(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut i = 0u64;
    while bytes.len() < (1 << 20) + 7 {
        bytes.extend_from_slice(
            format!("{{\"i\":{i},\"pad\":\"{:032x}\"}}\n", i * 2_654_435_761).as_bytes(),
        );
        i += 1;
    }
    std::fs::write(path, &bytes).unwrap();
    bytes
}

struct Run<'a> {
    emulator: &'a Emulator,
    journals: PathBuf,
    transport: &'a str,
}

impl Run<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
        command
            .args([
                "--base-url",
                &self.emulator.base_url(),
                "--transport",
                self.transport,
            ])
            .args(args)
            .env_remove("OPENAI_BASE_URL")
            .env_remove("OPENAI_ORG_ID")
            .env_remove("OPENAI_PROJECT_ID")
            .env_remove("FILES_PROVIDER")
            .env("OPENAI_API_KEY", self.emulator.api_key())
            .env("FILES_JOURNAL_DIR", &self.journals);
        command
    }

    fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the files binary runs")
    }

    fn journal(&self) -> Option<serde_json::Value> {
        let entry = std::fs::read_dir(&self.journals)
            .ok()?
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))?;
        serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()
    }

    fn journal_parts(&self) -> usize {
        self.journal()
            .and_then(|j| j["parts"].as_array().map(Vec::len))
            .unwrap_or(0)
    }

    /// Starts an upload in parts and kills the process once the journal holds `parts` parts.
    fn start_and_kill(&self, source: &str, parts: usize) -> usize {
        let earlier = self.journal().map(|j| j["upload_id"].clone());
        let mut child: Child = self
            .command(&[
                "upload",
                source,
                "--purpose",
                "batch",
                "--part-size",
                "64KiB",
                "--parts",
                "2",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the files binary runs");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.journal_parts() < parts
            || self.journal().map(|j| j["upload_id"].clone()) == earlier
        {
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the journal never reached {parts} parts");
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "the upload ended before it was killed"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        self.journal_parts()
    }
}

/// The project a run names (`OPENAI_PROJECT_ID`, sent as `OpenAI-Project`), so its requests
/// are told apart from those of another run against the same emulator.
const RESUMED_RUN: &str = "proj-resumed-run";

/// The parts posted by the run that named `project`.
fn part_posts(emulator: &Emulator, project: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/parts"))
        .filter(|r| r.header("openai-project") == Some(project))
        .count()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_upload_killed_half_way_resumes_and_completes_byte_identical() {
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = Run {
            emulator: &emulator,
            journals: dir.path().join("journals"),
            transport,
        };
        let source = dir.path().join("big.jsonl");
        let bytes = write_jsonl(&source);
        let source = source.to_str().unwrap();
        // Slow parts, so the kill lands half-way.
        emulator.inject(
            Fault::delay(Duration::from_millis(100))
                .on("POST", "/uploads/*/parts")
                .times(10_000),
        );
        let journaled = run.start_and_kill(source, 4);
        assert!(
            journaled < 17,
            "{transport}: killed too late ({journaled} parts)"
        );
        emulator.clear_faults();

        // The resumed run names a project, so its parts are counted apart from any the
        // killed process still had on the wire (which may reach the log at any time).
        let out = run
            .command(&["upload", source, "--purpose", "batch", "--resume"])
            .env("OPENAI_PROJECT_ID", RESUMED_RUN)
            .output()
            .expect("the files binary runs");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{transport}: {stderr}");
        let id = stdout.split_whitespace().next().unwrap().to_owned();
        assert!(id.starts_with("file-"), "{stdout}");
        assert!(
            emulator.requests().iter().any(|r| r.method == "POST"
                && r.path.ends_with("/complete")
                && r.header("openai-project") == Some(RESUMED_RUN)),
            "{transport}: the resumed run's requests carry its project"
        );
        assert_eq!(
            part_posts(&emulator, RESUMED_RUN),
            17 - journaled,
            "{transport}: only the parts not journaled are sent again"
        );
        assert!(
            run.journal().is_none(),
            "{transport}: the journal is removed on completion"
        );
        let back = dir.path().join("back.jsonl");
        let out = run.output(&["download", &id, "-o", back.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out).1);
        assert!(
            std::fs::read(&back).unwrap() == bytes,
            "{transport}: byte-identical"
        );
    }
}

#[test]
fn resume_refuses_a_changed_file_and_reports_an_expired_upload() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = Run {
        emulator: &emulator,
        journals: dir.path().join("journals"),
        transport: "ureq",
    };
    let path = dir.path().join("big.jsonl");
    let mut bytes = write_jsonl(&path);
    let source = path.to_str().unwrap();
    emulator.inject(
        Fault::delay(Duration::from_millis(100))
            .on("POST", "/uploads/*/parts")
            .times(10_000),
    );
    run.start_and_kill(source, 2);

    // Other options than the upload began with: refused, the journal kept.
    let out = run.output(&["upload", source, "--purpose", "assistants", "--resume"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("began with --purpose batch (now assistants)"),
        "{stderr}"
    );
    assert!(run.journal().is_some());

    // The file changed: refused, the journal kept.
    let last = bytes.len() - 2;
    bytes[last] = b' ';
    std::fs::write(&path, &bytes).unwrap();
    let out = run.output(&["upload", source, "--purpose", "batch", "--resume"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("changed since its upload began"),
        "{stderr}"
    );
    assert!(stderr.contains("without --resume"), "{stderr}");
    assert!(run.journal().is_some());

    // A fresh upload replaces it (and says so); killed again, then its hour runs out.
    run.start_and_kill(source, 2);
    emulator.clear_faults();
    let journal_file = std::fs::read_dir(&run.journals)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut journal = run.journal().unwrap();
    journal["expires_at"] = serde_json::json!(1_000);
    std::fs::write(&journal_file, serde_json::to_vec(&journal).unwrap()).unwrap();
    let before = emulator.requests().len();
    let out = run.output(&["upload", source, "--purpose", "batch", "--resume"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("expired at"), "{stderr}");
    assert!(
        stderr.contains("without --resume to upload it again"),
        "{stderr}"
    );
    assert_eq!(
        emulator.requests().len(),
        before,
        "nothing is sent to an expired Upload"
    );
    assert!(
        run.journal().is_none(),
        "an expired Upload's journal is removed"
    );

    // Without --resume and no journal, a plain upload in parts completes.
    let out = run.output(&[
        "upload",
        source,
        "--purpose",
        "batch",
        "--parts",
        "3",
        "--part-size",
        "128KiB",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn part_flags_are_refused_where_there_is_no_uploads_api() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, "hello").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .args(["--provider", "stepfun", "--base-url", &emulator.base_url()])
        .args([
            "upload",
            path.to_str().unwrap(),
            "--purpose",
            "file-extract",
            "--parts",
            "2",
        ])
        .env("STEP_API_KEY", emulator.api_key())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("StepFun does not have"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .args([
            "upload",
            "--url",
            "https://example.com/a.txt",
            "--purpose",
            "batch",
            "--part-size",
            "1x",
        ])
        .env("OPENAI_API_KEY", "k")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not a size"), "{stderr}");
}

#[test]
fn part_flags_out_of_range_name_the_flag_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    std::fs::write(&path, "{}\n").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_files"))
            .args(["upload", path.to_str().unwrap(), "--purpose", "batch"])
            .args(args)
            .env("OPENAI_API_KEY", "k")
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(&["--parts", "0"]);
    assert!(
        stderr.contains("'--parts <N>'") && stderr.contains("1..=64"),
        "{stderr}"
    );
    let stderr = run(&["--part-size", "100MiB"]);
    assert!(
        stderr.contains("--part-size 104857600 bytes is over OpenAI's part limit"),
        "{stderr}"
    );
}

/// Runs `files upload - …` with `input` piped to it; its output.
fn piped(run: &Run<'_>, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = run
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the files binary runs");
    let mut stdin = child.stdin.take().unwrap();
    // A reader that stops early closes the pipe: what it did not take is no failure here.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn standard_input_with_size_goes_in_parts_as_it_arrives_on_both_transports() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = write_jsonl(&dir.path().join("big.jsonl"));
    let size = bytes.len().to_string();
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let run = Run {
            emulator: &emulator,
            journals: dir.path().join(format!("journals-{transport}")),
            transport,
        };
        let args = [
            "upload",
            "-",
            "--filename",
            "big.jsonl",
            "--size",
            &size,
            "--purpose",
            "batch",
            "--part-size",
            "128KiB",
            "-q",
        ];
        let output = piped(&run, &args, &bytes);
        let (out, err) = text(&output);
        assert!(output.status.success(), "{transport}: {err}");
        let id = out.trim();
        // Nine parts of 128 KiB, and not one byte buffered to disk: no journal either.
        let parts = emulator
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/parts"))
            .count();
        assert_eq!(parts, 9, "{transport}");
        assert!(
            run.journal().is_none(),
            "{transport}: standard input keeps no journal"
        );
        let dest = dir.path().join(format!("back-{transport}.jsonl"));
        let back = run.output(&["download", id, "-o", dest.to_str().unwrap()]);
        assert!(back.status.success(), "{:?}", text(&back));
        assert_eq!(std::fs::read(&dest).unwrap(), bytes, "{transport}");

        // Fewer bytes than --size says: refused, the Upload cancelled, nothing stored.
        let output = piped(&run, &args, &bytes[..bytes.len() - 100]);
        let (_, err) = text(&output);
        assert_eq!(output.status.code(), Some(5), "{transport}: {err}");
        assert!(err.contains("the upload's reader"), "{err}");
        assert!(err.contains(&format!("declared {size}")), "{err}");
        assert!(err.contains("cancelled"), "{err}");
        let listed = run.output(&["list", "-q"]);
        assert_eq!(
            text(&listed).0.lines().count(),
            1,
            "{transport}: only the first file"
        );
    }
}
