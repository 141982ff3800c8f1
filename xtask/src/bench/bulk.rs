//! `cargo xtask bench bulk`: many small files uploaded to `files serve` — the `files` binary
//! (release build) one after another and with `--jobs 8`, and openai-python in a plain loop
//! (the way its users upload a folder) — wall time, the median of alternating runs, each run
//! against a fresh emulator. The table goes into `docs/performance.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{build_release, machine, median, write_section};
use crate::conformance::{python_sdk, start_emulator};
use crate::workspace_root;

/// The openai-python loop: every path given, one `files.create` each, in order.
const PYTHON_LOOP: &str = r#"
import sys
from openai import OpenAI
client = OpenAI()
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        client.files.create(file=f, purpose="batch")
"#;

/// One way of uploading the files.
struct Case {
    label: &'static str,
    run: fn(&Setup, &str) -> Command,
}

/// What every case works with.
struct Setup {
    files_bin: PathBuf,
    python: Option<PathBuf>,
    paths: Vec<PathBuf>,
}

fn files_upload(setup: &Setup, base_url: &str, jobs: &str) -> Command {
    let mut command = Command::new(&setup.files_bin);
    command
        .env("OPENAI_API_KEY", "sk-conformance")
        .args([
            "--base-url",
            base_url,
            "upload",
            "--purpose",
            "batch",
            "-q",
            "--jobs",
            jobs,
        ])
        .args(&setup.paths);
    command
}

const CASES: &[Case] = &[
    Case {
        label: "`files upload …` (one at a time)",
        run: |setup, url| files_upload(setup, url, "1"),
    },
    Case {
        label: "`files upload … --jobs 8`",
        run: |setup, url| files_upload(setup, url, "8"),
    },
    Case {
        label: "openai-python, a `files.create` loop",
        run: |setup, url| {
            let mut command = Command::new(setup.python.as_ref().expect("checked"));
            command
                .env("OPENAI_BASE_URL", url)
                .env("OPENAI_API_KEY", "sk-conformance")
                .env_remove("OPENAI_ORG_ID")
                .env_remove("OPENAI_PROJECT_ID")
                .args(["-c", PYTHON_LOOP])
                .args(&setup.paths);
            command
        },
    },
];

/// Runs the benchmark: `count` files, `runs` runs of each case.
pub fn run(count: usize, runs: usize) -> Result<(), String> {
    let root = workspace_root();
    build_release(&root)?;
    let work = std::env::temp_dir().join(format!("files-bench-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| format!("could not create {}: {e}", work.display()))?;
    let result = measure(&root, &work, count, runs);
    let _ = std::fs::remove_dir_all(&work);
    let report = result?;
    println!("{report}");
    write_section(&root.join("docs/performance.md"), "bulk", &report)?;
    println!("written to docs/performance.md");
    Ok(())
}

fn measure(root: &Path, work: &Path, count: usize, runs: usize) -> Result<String, String> {
    let mut paths = Vec::with_capacity(count);
    for i in 0..count {
        let path = work.join(format!("batch-{i:04}.jsonl"));
        let line = format!(
            "{{\"custom_id\":\"r{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\
             \"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\
             \"content\":\"file {i}\"}}]}}}}\n"
        );
        std::fs::write(&path, line)
            .map_err(|e| format!("could not write {}: {e}", path.display()))?;
        paths.push(path);
    }
    let python = match python_sdk(&root.join("target/conformance")) {
        Ok(python) => Some(python),
        Err(why) => {
            println!("openai-python left out: {why}");
            None
        }
    };
    let setup = Setup {
        files_bin: root.join("target/release/files"),
        python,
        paths,
    };
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|c| setup.python.is_some() || !c.label.starts_with("openai-python"))
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for run in 0..runs {
        for (case, seen) in cases.iter().zip(&mut times) {
            let (served, base_url) = start_emulator(&setup.files_bin)?;
            let started = Instant::now();
            let status = (case.run)(&setup, &base_url)
                .stdout(Stdio::null())
                .status()
                .map_err(|e| format!("could not run {}: {e}", case.label))?;
            let elapsed = started.elapsed().as_secs_f64();
            drop(served);
            if !status.success() {
                return Err(format!("{} failed ({status})", case.label));
            }
            println!("run {}: {}: {elapsed:.2} s", run + 1, case.label);
            seen.push(elapsed);
        }
    }
    let mut report = format!(
        "{count} small JSON Lines files (about 140 bytes each, purpose `batch`) uploaded to a \
         fresh `files serve` on loopback; medians of {runs} alternating runs; {}.\n\n\
         | client | wall time | files/s |\n|---|---|---|\n",
        machine()
    );
    for (case, seen) in cases.iter().zip(times) {
        let time = median(seen);
        report.push_str(&format!(
            "| {} | {time:.2} s | {:.0} |\n",
            case.label,
            count as f64 / time
        ));
    }
    Ok(report)
}
