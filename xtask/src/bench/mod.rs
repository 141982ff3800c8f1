//! `cargo xtask bench uploads [--quick] [--runs N]`: the Uploads API benchmark. It builds the
//! `files` binary in release mode and uploads a file of pseudo-random bytes in 64 MiB parts
//! through each transport with 1 and 4 parts in flight (and once without the MD5) to a sink
//! ([`sink`]) that drains each part and waits a fixed latency before answering, then once to
//! `files serve` (the emulator, which stores and joins the parts), alternating the runs. Per
//! run: wall time, and the client's peak resident memory (`VmHWM` of its `/proc/PID/status`,
//! sampled until it exits). It prints the medians and writes them, with the machine, into
//! `docs/performance.md`.

mod bulk;
mod sink;
mod transfers;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, workspace_root};

/// The latency the server adds to every part request.
const PART_LATENCY_MS: u64 = 50;

/// One configuration run.
struct Case {
    label: &'static str,
    transport: &'static str,
    parts: usize,
    md5: bool,
    /// To the emulator rather than the sink.
    emulator: bool,
}

const fn case(label: &'static str, transport: &'static str, parts: usize) -> Case {
    Case {
        label,
        transport,
        parts,
        md5: true,
        emulator: false,
    }
}

const CASES: &[Case] = &[
    case("ureq, 1 in flight", "ureq", 1),
    case("ureq, 4 in flight", "ureq", 4),
    case("reqwest, 1 in flight", "reqwest", 1),
    case("reqwest, 4 in flight", "reqwest", 4),
    Case {
        md5: false,
        ..case("ureq, 1 in flight, no MD5", "ureq", 1)
    },
    Case {
        md5: false,
        ..case("ureq, 4 in flight, no MD5", "ureq", 4)
    },
    Case {
        md5: false,
        ..case("reqwest, 1 in flight, no MD5", "reqwest", 1)
    },
    Case {
        md5: false,
        ..case("reqwest, 4 in flight, no MD5", "reqwest", 4)
    },
    Case {
        emulator: true,
        ..case("ureq, 4 in flight, to `files serve`", "ureq", 4)
    },
];

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Measured {
    wall: Duration,
    peak_rss_kib: u64,
}

/// Runs the benchmark named by `args`.
pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: cargo xtask bench [--quick] [--runs N] [--clean] | \
                         cargo xtask bench uploads [--quick] [--runs N] | \
                         cargo xtask bench bulk [--quick] [--runs N]";
    let mut quick = false;
    let mut clean = false;
    let mut runs = None;
    let mut scenario = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--clean" => clean = true,
            "--runs" => {
                runs = Some(
                    rest.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|&n: &usize| n >= 1)
                        .ok_or("--runs needs a whole number of at least 1")?,
                );
            }
            "uploads" => scenario = Some("uploads"),
            "bulk" => scenario = Some("bulk"),
            other => return Err(format!("unknown bench argument {other:?}; {USAGE}")),
        }
    }
    if scenario.is_none() {
        return transfers::run(quick, runs.unwrap_or(5), clean);
    }
    if clean {
        return Err(format!("--clean is for the transfer benchmark; {USAGE}"));
    }
    if scenario == Some("bulk") {
        return bulk::run(if quick { 100 } else { 1000 }, runs.unwrap_or(3));
    }
    let runs = runs.unwrap_or(3);
    let size: u64 = if quick { 256 << 20 } else { 2 << 30 };
    let root = workspace_root();
    build_release(&root)?;
    let files_bin = root.join("target/release/files");
    let work = std::env::temp_dir().join(format!("files-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| format!("could not create {}: {e}", work.display()))?;
    let result = bench_uploads(&files_bin, &work, size, runs);
    let _ = std::fs::remove_dir_all(&work);
    let rows = result?;
    let report = report(size, runs, &rows);
    println!("{report}");
    write_section(&root.join("docs/performance.md"), "uploads", &report)?;
    println!("written to docs/performance.md");
    Ok(())
}

fn build_release(root: &Path) -> Result<(), String> {
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["build", "--release", "-p", "files-cli"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("the release build failed ({status})"))
}

/// Writes `size` pseudo-random bytes to `path` (xorshift: incompressible, cheap to make).
fn write_file(path: &Path, size: u64) -> Result<(), String> {
    let file = std::fs::File::create(path)
        .map_err(|e| format!("could not create {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n])
            .map_err(|e| format!("could not write the test file: {e}"))?;
        left -= n as u64;
    }
    out.flush()
        .map_err(|e| format!("could not write the test file: {e}"))
}

/// `files serve` with the part latency; its base URL.
fn serve(files_bin: &Path, work: &Path) -> Result<(Child, String), String> {
    let plan = work.join("latency.json");
    std::fs::write(
        &plan,
        format!(
            r#"[{{"method": "POST", "path": "/uploads/*/parts", "times": 4294967295,
                 "action": {{"delay_ms": {PART_LATENCY_MS}}}}}]"#
        ),
    )
    .map_err(|e| format!("could not write the fault plan: {e}"))?;
    let mut child = Command::new(files_bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--faults"])
        .arg(&plan)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start files serve: {e}"))?;
    let stderr = child.stderr.take().ok_or("files serve has no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            let url = url.to_owned();
            std::thread::spawn(move || lines.for_each(drop));
            return Ok((child, url));
        }
    }
    let _ = child.kill();
    Err("files serve did not print its URL".into())
}

/// The peak resident memory of process `pid` so far, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One upload; the file it made is deleted afterwards so the server's disk does not fill.
fn upload_once(files_bin: &Path, url: &str, file: &Path, case: &Case) -> Result<Measured, String> {
    let mut command = Command::new(files_bin);
    command
        .args(["--base-url", url, "--transport", case.transport, "upload"])
        .arg(file)
        .args([
            "--purpose",
            "assistants",
            "--parts",
            &case.parts.to_string(),
        ])
        .env("OPENAI_API_KEY", "emulator-key")
        .env("FILES_JOURNAL_DIR", file.with_extension("journals"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !case.md5 {
        command.arg("--no-md5");
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not run files: {e}"))?;
    let mut peak = 0;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = started.elapsed();
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "the upload failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(id) = stdout.split_whitespace().next() {
        let _ = Command::new(files_bin)
            .args(["--base-url", url, "delete", id])
            .env("OPENAI_API_KEY", "emulator-key")
            .output();
    }
    Ok(Measured {
        wall,
        peak_rss_kib: peak,
    })
}

fn bench_uploads(
    files_bin: &Path,
    work: &Path,
    size: u64,
    runs: usize,
) -> Result<Vec<(String, Vec<Measured>)>, String> {
    let file = work.join("big.bin");
    println!("writing a {} MiB test file...", size >> 20);
    write_file(&file, size)?;
    let (mut server, url) = serve(files_bin, work)?;
    let sink = sink::Sink::start(Duration::from_millis(PART_LATENCY_MS))?;
    let mut results: Vec<Vec<Measured>> = vec![Vec::new(); CASES.len()];
    let outcome = (|| {
        for run in 0..runs {
            for (index, case) in CASES.iter().enumerate() {
                let target = if case.emulator { &url } else { &sink.url };
                let measured = upload_once(files_bin, target, &file, case)?;
                let drained = sink.take_drained();
                if !case.emulator && drained < size {
                    return Err(format!(
                        "the sink drained {drained} bytes of a {size}-byte file: the upload is short"
                    ));
                }
                println!(
                    "run {}/{runs}  {:<28} {:>7.2} s  peak RSS {:>6} KiB",
                    run + 1,
                    case.label,
                    measured.wall.as_secs_f64(),
                    measured.peak_rss_kib
                );
                results[index].push(measured);
            }
        }
        Ok::<(), String>(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    outcome?;
    Ok(CASES
        .iter()
        .zip(results)
        .map(|(case, runs)| (case.label.to_owned(), runs))
        .collect())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores ({cpu}), {}", std::env::consts::OS)
}

fn report(size: u64, runs: usize, rows: &[(String, Vec<Measured>)]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "A {} MiB file of random bytes in 64 MiB parts over loopback to a sink that drains each \
         part and waits {} ms before answering (the last row: to the emulator, which stores \
         and joins the parts, with the same wait); medians of {runs} alternating runs; {}.\n\n",
        size >> 20,
        PART_LATENCY_MS,
        machine()
    ));
    out.push_str("| client | wall time | throughput | peak RSS (client) |\n|---|---|---|---|\n");
    for (label, measured) in rows {
        let wall = median(measured.iter().map(|m| m.wall.as_secs_f64()).collect());
        let rss = median(measured.iter().map(|m| m.peak_rss_kib as f64).collect());
        out.push_str(&format!(
            "| {label} | {wall:.2} s | {:.0} MB/s | {:.1} MiB |\n",
            size as f64 / wall / 1e6,
            rss / 1024.0
        ));
    }
    out
}

/// Replaces the section `name` of `docs/performance.md` (between its markers,
/// `<!-- bench NAME: start -->` and `… end -->`) with `report`; a missing section is added
/// at the end.
fn write_section(path: &Path, name: &str, report: &str) -> Result<(), String> {
    let start = format!("<!-- bench {name}: start -->");
    let end = format!("<!-- bench {name}: end -->");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let section = format!("{start}\n{report}{end}");
    let new = match (text.find(&start), text.find(&end)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &text[..a], &text[b + end.len()..]),
        _ => format!("{}\n\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, new).map_err(|e| format!("could not write {}: {e}", path.display()))
}
