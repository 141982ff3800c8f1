//! Many files at once from the command line, on both transports: `upload PATH… --jobs N`,
//! `download ID… --dir DIR --jobs N`, `delete ID…` and `delete --all` with its listing,
//! `--dry-run`, `--yes` and its refusal off a terminal; results in input order, the exit
//! status the worst failure's, `--json` one document per file.

mod common;

use std::path::Path;
use std::process::Command;

use common::run;
use files_emulator::{Dialect, Emulator};

fn files(emulator: &Emulator, transport: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env_remove("OPENAI_BASE_URL")
        .env("OPENAI_API_KEY", emulator.api_key())
        .args(["--base-url", &emulator.base_url(), "--transport", transport]);
    command
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Writes `count` small JSON Lines files into `dir`; their paths.
fn samples(dir: &Path, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("s{i:02}.jsonl"));
            std::fs::write(&path, format!("{{\"n\":{i}}}\n")).unwrap();
            path.display().to_string()
        })
        .collect()
}

#[test]
fn uploads_with_jobs_print_in_path_order_and_a_missing_path_is_its_own_failure() {
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut paths = samples(dir.path(), 20);
        paths.insert(5, dir.path().join("absent.jsonl").display().to_string());
        let (code, out, err) = run(files(&emulator, transport)
            .args(["upload", "--purpose", "batch", "--jobs", "6", "--json"])
            .args(&paths));
        assert_eq!(
            code,
            Some(5),
            "{transport}: the missing path's status: {err}"
        );
        let docs = json_lines(&out);
        assert_eq!(docs.len(), 21, "{transport}: one document a path");
        for (i, doc) in docs.iter().enumerate() {
            if i == 5 {
                assert!(
                    doc["item"].as_str().unwrap().ends_with("absent.jsonl"),
                    "{doc}"
                );
                assert_eq!(doc["exit_status"], 5);
                assert!(
                    doc["error"].as_str().unwrap().contains("absent.jsonl"),
                    "{doc}"
                );
                continue;
            }
            let n = if i < 5 { i } else { i - 1 };
            assert_eq!(
                doc["filename"],
                format!("s{n:02}.jsonl"),
                "{transport}: in order"
            );
        }
        assert!(err.contains("1 of 21 failed"), "{err}");
        let (_, listed, _) = run(files(&emulator, transport).args(["list", "-q"]));
        assert_eq!(listed.lines().count(), 20);
    }
}

#[test]
fn downloads_into_a_directory_are_whole_and_a_bad_id_leaves_nothing() {
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let paths = samples(dir.path(), 6);
        let (code, out, err) = run(files(&emulator, transport)
            .args(["upload", "--purpose", "batch", "-q"])
            .args(&paths));
        assert_eq!(code, Some(0), "{err}");
        let mut ids: Vec<String> = out.lines().map(str::to_owned).collect();
        ids.push("file-nosuchfile".to_owned());
        let outdir = dir.path().join("out");
        let (code, out, err) = run(files(&emulator, transport)
            .args([
                "download",
                "--dir",
                outdir.to_str().unwrap(),
                "--jobs",
                "4",
                "--json",
            ])
            .args(&ids));
        assert_eq!(code, Some(3), "{transport}: the bad id's status: {err}");
        let docs = json_lines(&out);
        assert_eq!(docs.len(), 7);
        for (i, doc) in docs.iter().take(6).enumerate() {
            assert_eq!(doc["id"], ids[i]);
            let written = std::fs::read_to_string(outdir.join(format!("s{i:02}.jsonl"))).unwrap();
            assert_eq!(written, format!("{{\"n\":{i}}}\n"));
            assert_eq!(doc["bytes_written"], written.len());
        }
        assert_eq!(docs[6]["exit_status"], 3);
        assert_eq!(
            std::fs::read_dir(&outdir).unwrap().count(),
            6,
            "nothing else written"
        );

        // Again: every name is taken, and kept.
        let (code, _, err) = run(files(&emulator, transport)
            .args(["download", "--dir", outdir.to_str().unwrap()])
            .args(&ids[..2]));
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("exists and is kept"), "{err}");

        let (code, _, err) = run(files(&emulator, transport)
            .args(["download"])
            .args(&ids[..2]));
        assert_eq!(code, Some(2), "several ids without --dir: {err}");
        assert!(err.contains("--dir DIR"), "{err}");
    }
}

#[test]
fn delete_all_lists_first_asks_off_a_terminal_never_and_deletes_only_what_was_asked() {
    for transport in ["ureq", "reqwest"] {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let batch = samples(dir.path(), 5);
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "keep me\n").unwrap();
        run(files(&emulator, transport)
            .args(["upload", "--purpose", "batch", "--jobs", "3", "-q"])
            .args(&batch));
        run(files(&emulator, transport)
            .args(["upload", "--purpose", "assistants", "-q"])
            .arg(&notes));
        let count = |emulator: &Emulator| {
            let (_, out, _) = run(files(emulator, transport).args(["list", "-q"]));
            out.lines().count()
        };
        assert_eq!(count(&emulator), 6);

        let (code, _, err) = run(files(&emulator, transport).args([
            "delete",
            "--all",
            "--purpose",
            "batch",
            "--dry-run",
        ]));
        assert_eq!(code, Some(0), "{err}");
        assert!(
            err.contains("would delete 5 file(s) of purpose batch"),
            "{err}"
        );
        // Each listed once, by name (a random id may hold "s0" too).
        for i in 0..5 {
            assert_eq!(err.matches(&format!("s{i:02}.jsonl")).count(), 1, "{err}");
        }
        assert_eq!(count(&emulator), 6, "--dry-run deletes nothing");

        let (code, _, err) =
            run(files(&emulator, transport).args(["delete", "--all", "--purpose", "batch"]));
        assert_eq!(code, Some(2), "no terminal to ask on: {err}");
        assert!(err.contains("add --yes"), "{err}");
        assert_eq!(count(&emulator), 6);

        let (code, _, err) = run(files(&emulator, transport).args([
            "delete",
            "--all",
            "--purpose",
            "batch",
            "--older-than",
            "1h",
            "--yes",
        ]));
        assert_eq!(code, Some(0), "{err}");
        assert!(
            err.contains("no file(s) of purpose batch older than 1h"),
            "{err}"
        );
        assert_eq!(count(&emulator), 6, "all are newer than an hour");

        let (code, out, err) = run(files(&emulator, transport).args([
            "delete",
            "--all",
            "--purpose",
            "batch",
            "--yes",
            "--jobs",
            "4",
        ]));
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(out.matches(" deleted").count(), 5, "{out}");
        let (_, left, _) = run(files(&emulator, transport).args(["list", "--all", "--json"]));
        let left = json_lines(&left);
        assert_eq!(left.len(), 1, "no batch file is left");
        assert_eq!(left[0]["purpose"], "assistants");

        let (code, _, err) = run(files(&emulator, transport).args(["delete", "file-nosuch"]));
        assert_eq!(code, Some(3), "{err}");
        let (code, _, err) = run(files(&emulator, transport).args(["delete", "--yes"]));
        assert_eq!(code, Some(2), "--yes without --all: {err}");
    }
}

#[test]
fn no_md5_with_jobs_sends_small_files_as_one_request_each_even_without_an_uploads_api() {
    let emulator = Emulator::start(Dialect::stepfun()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("n{i}.txt"));
            std::fs::write(&path, format!("note {i}\n")).unwrap();
            path.display().to_string()
        })
        .collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command
        .env_remove("FILES_PROVIDER")
        .env_remove("RUST_LOG")
        .env("STEP_API_KEY", emulator.api_key())
        .args(["--provider", "stepfun", "--base-url", &emulator.base_url()])
        .args([
            "upload",
            "--purpose",
            "file-extract",
            "--jobs",
            "2",
            "--no-md5",
            "-q",
        ])
        .args(&paths);
    let (code, out, err) = run(&mut command);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
}
