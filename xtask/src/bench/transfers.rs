//! `cargo xtask bench [--quick] [--runs N] [--clean]`: uploads and downloads side by side
//! with curl, over HTTP and HTTPS, to the benchmark's own loopback server (`files-bench
//! serve`: a sink that drains and checks uploads, a source that streams downloads from
//! memory) and to the project's emulator (`files serve --any-size`).
//!
//! For each file size (64 MiB, 512 MiB, 2 GiB; `--quick`: 64 MiB) and each server, protocol
//! and direction, the clients run in turn — curl, ureq, reqwest, curl, ureq, … — at least 5
//! times each, every run under `files-bench measure` (wall time, user+sys CPU, and the
//! client's peak RSS from `getrusage` of its only child). The medians and their ratios to
//! curl's go to stdout and, for a full run, into `docs/performance.md` with the machine, the
//! dependency counts and the time to build an upload request. Test files are made once under
//! `target/bench-files/` (reused; `--clean` removes them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::{machine, median, peak_rss_kib, write_file, write_section};
use crate::{cargo, workspace_root};

const MIB: u64 = 1 << 20;

/// The clients, in the order their runs alternate.
const CLIENTS: [&str; 3] = ["curl", "ureq", "reqwest"];

/// curl downloading to `/dev/null`: what the emulator serves when no client writes a file.
/// Only for downloads from the emulator.
const CURL_TO_NULL: &str = "curl -o /dev/null";

/// The key the servers expect.
const KEY: &str = "bench-key";

/// What one run cost.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

/// One server under test, over one protocol.
struct Server {
    label: &'static str,
    url: String,
    child: Child,
    /// Held open: the bench server stops when it closes.
    _stdin: Option<ChildStdin>,
}

impl Drop for Server {
    /// Stops the server as Ctrl-C would, so the emulator removes its store; one that has not
    /// stopped after 5 s is killed.
    fn drop(&mut self) {
        self._stdin.take();
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The medians of one (size, server, protocol, direction), per client.
struct Row {
    size: u64,
    server: &'static str,
    https: bool,
    direction: &'static str,
    runs: Vec<(&'static str, Vec<Run>)>,
}

/// Everything needed to run a client.
struct Setup {
    bench: PathBuf,
    dir: PathBuf,
    cacert: PathBuf,
}

/// Runs the benchmark.
pub fn run(quick: bool, runs: usize, clean: bool) -> Result<(), String> {
    let root = workspace_root();
    let dir = root.join("target/bench-files");
    if clean {
        std::fs::remove_dir_all(&dir)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| format!("could not remove {}: {e}", dir.display()))?;
        println!("removed {}", dir.display());
        return Ok(());
    }
    let curl = Command::new("curl").arg("--version").output();
    if !curl.is_ok_and(|out| out.status.success()) {
        return Err(
            "the benchmark compares with curl, which is not installed here (Debian: \
                    apt-get install curl)"
                .into(),
        );
    }
    let sizes: Vec<u64> = if quick {
        vec![64 * MIB]
    } else {
        vec![64 * MIB, 512 * MIB, 2048 * MIB]
    };
    build(&root)?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    check_space(&dir, &sizes)?;
    let bench = root.join("target/release/files-bench");
    let files = root.join("target/release/files");
    for &size in &sizes {
        let path = test_file(&dir, size);
        let fits = std::fs::metadata(&path).is_ok_and(|m| m.len() == size);
        if !fits {
            println!("writing {} ({} MiB)", path.display(), size / MIB);
            write_file(&path, size)?;
        }
    }
    let tls = dir.join("tls");
    if !tls.join("key.pem").exists() {
        status(
            Command::new(&bench).arg("cert").arg(&tls),
            "files-bench cert",
        )?;
    }
    let setup = Setup {
        bench,
        dir: dir.clone(),
        cacert: tls.join("cert.pem"),
    };
    let measured = run_all(&setup, &files, &tls, &sizes, runs);
    // The emulator's store is removed when it stops; anything left by one that was killed
    // goes here.
    let _ = std::fs::remove_dir_all(dir.join("emulator"));
    let (rows, emulator_rss) = measured?;
    let report = report(&rows, &emulator_rss, runs, &setup.bench, &root)?;
    println!("{report}");
    if quick {
        println!("(--quick: docs/performance.md is left as it is)");
    } else {
        write_section(&root.join("docs/performance.md"), "transfers", &report)?;
        println!("written to docs/performance.md");
    }
    Ok(())
}

/// Every case, over HTTP and then HTTPS; the rows and the emulator's peak RSS per protocol.
#[allow(clippy::type_complexity)]
fn run_all(
    setup: &Setup,
    files: &Path,
    tls: &Path,
    sizes: &[u64],
    runs: usize,
) -> Result<(Vec<Row>, Vec<(bool, u64)>), String> {
    let dir = &setup.dir;
    let mut rows = Vec::new();
    let mut emulator_rss = Vec::new();
    for https in [false, true] {
        let sink = start_bench_server(&setup.bench, https.then_some(tls))?;
        let emulator = start_emulator(files, dir, https.then_some(tls))?;
        for &size in sizes {
            for server in [&sink, &emulator] {
                for direction in ["upload", "download"] {
                    println!(
                        "{} {} {direction}, {} MiB",
                        server.label,
                        if https { "HTTPS" } else { "HTTP" },
                        size / MIB
                    );
                    let measured = measure_case(setup, server, https, size, direction, runs)?;
                    let medians: Vec<String> = measured
                        .iter()
                        .map(|(client, runs)| {
                            let wall = median(runs.iter().map(|r| r.wall).collect());
                            format!("{client} {:.0} MB/s", size as f64 / wall / 1e6)
                        })
                        .collect();
                    println!("  {}", medians.join(", "));
                    rows.push(Row {
                        size,
                        server: server.label,
                        https,
                        direction,
                        runs: measured,
                    });
                }
            }
        }
        emulator_rss.push((https, peak_rss_kib(emulator.child.id()).unwrap_or(0)));
    }
    Ok((rows, emulator_rss))
}

fn build(root: &Path) -> Result<(), String> {
    status(
        Command::new(cargo()).current_dir(root).args([
            "build",
            "--release",
            "-p",
            "files-bench",
            "-p",
            "files-cli",
        ]),
        "the release build",
    )
}

fn status(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("could not run {what}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{what} failed ({status})"))
}

fn test_file(dir: &Path, size: u64) -> PathBuf {
    dir.join(format!("data-{}MiB.bin", size / MIB))
}

/// Refuses to start without room for the test files, a download of the largest and the
/// emulator's two copies of it.
fn check_space(dir: &Path, sizes: &[u64]) -> Result<(), String> {
    let missing: u64 = sizes
        .iter()
        .filter(|&&size| !std::fs::metadata(test_file(dir, size)).is_ok_and(|m| m.len() == size))
        .sum();
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let needed = missing + 3 * largest + 256 * MIB;
    let free = fs4::available_space(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if free < needed {
        return Err(format!(
            "the benchmark needs {} MiB free under {} and {} MiB are; free some space, or run \
             --quick (64 MiB)",
            needed / MIB,
            dir.display(),
            free / MIB
        ));
    }
    Ok(())
}

/// `files-bench serve`, over TLS when given the certificate's directory.
fn start_bench_server(bench: &Path, tls: Option<&Path>) -> Result<Server, String> {
    let mut command = Command::new(bench);
    command.arg("serve");
    if let Some(dir) = tls {
        command.arg("--tls").arg(dir);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start files-bench serve: {e}"))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    // From here on, dropping the server stops it.
    let mut server = Server {
        label: "sink/source",
        url: String::new(),
        child,
        _stdin: stdin,
    };
    let mut line = String::new();
    BufReader::new(stdout.ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if !line.starts_with("http") {
        return Err(format!(
            "files-bench serve did not print its address: {line:?}"
        ));
    }
    server.url = line.trim().to_owned();
    Ok(server)
}

/// `files serve --any-size`, its store under `dir`, over TLS when given the certificate's
/// directory.
fn start_emulator(files: &Path, dir: &Path, tls: Option<&Path>) -> Result<Server, String> {
    let store = dir.join("emulator");
    std::fs::create_dir_all(&store).map_err(|e| format!("{}: {e}", store.display()))?;
    let mut command = Command::new(files);
    command
        .args([
            "serve",
            "--json",
            "--any-size",
            "--addr",
            "127.0.0.1:0",
            "--api-key",
            KEY,
        ])
        .env("TMPDIR", &store);
    if let Some(dir) = tls {
        command
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"));
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start files serve: {e}"))?;
    let stdout = child.stdout.take();
    // From here on, dropping the server stops it.
    let mut server = Server {
        label: "files serve",
        url: String::new(),
        child,
        _stdin: None,
    };
    let mut line = String::new();
    BufReader::new(stdout.ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    server.url = line
        .split('"')
        .skip_while(|part| *part != "base_url")
        .nth(2)
        .ok_or_else(|| format!("files serve did not print its address: {line:?}"))?
        .to_owned();
    Ok(server)
}

/// Alternating runs of every client for one case; the uploaded file (on the emulator) and
/// the downloaded copies are removed as it goes.
fn measure_case(
    setup: &Setup,
    server: &Server,
    https: bool,
    size: u64,
    direction: &str,
    runs: usize,
) -> Result<Vec<(&'static str, Vec<Run>)>, String> {
    let source = test_file(&setup.dir, size);
    let dest = setup.dir.join("download.out");
    let is_emulator = server.label == "files serve";
    // Downloads from the emulator need a file stored there first.
    let stored = if direction == "download" && is_emulator {
        let (id, _) = upload_with_curl(setup, server, https, &source)?;
        Some(id)
    } else {
        None
    };
    let id = stored.clone().unwrap_or_else(|| format!("bytes-{size}"));
    let measured = alternate(setup, server, https, size, direction, runs, &id, &dest);
    // Whatever happened, the copy and the stored file go.
    let _ = std::fs::remove_file(&dest);
    if let Some(id) = stored {
        let deleted = delete(setup, server, https, &id);
        if measured.is_ok() {
            deleted?;
        }
    }
    measured
}

/// The runs of one case, the clients taking turns.
#[allow(clippy::too_many_arguments)]
fn alternate(
    setup: &Setup,
    server: &Server,
    https: bool,
    size: u64,
    direction: &str,
    runs: usize,
    id: &str,
    dest: &Path,
) -> Result<Vec<(&'static str, Vec<Run>)>, String> {
    let source = test_file(&setup.dir, size);
    let is_emulator = server.label == "files serve";
    let mut measured: Vec<(&'static str, Vec<Run>)> =
        CLIENTS.iter().map(|c| (*c, Vec::new())).collect();
    if is_emulator && direction == "download" {
        measured.push((CURL_TO_NULL, Vec::new()));
    }
    for _ in 0..runs {
        for (client, runs) in &mut measured {
            let command =
                client_command(setup, client, server, https, direction, &source, id, dest);
            let (output, run) = measure(&setup.bench, &command)?;
            // What the run did must be what was asked, or its time means nothing.
            match direction {
                "upload" => {
                    let (uploaded, bytes) = uploaded(client, &output)?;
                    if bytes != size {
                        return Err(format!("{client} uploaded {bytes} bytes of {size}"));
                    }
                    if is_emulator {
                        delete(setup, server, https, &uploaded)?;
                    }
                }
                _ if *client == CURL_TO_NULL => {}
                _ => {
                    let got = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
                    if got != size {
                        return Err(format!("{client} downloaded {got} bytes of {size}"));
                    }
                    let _ = std::fs::remove_file(dest);
                }
            }
            runs.push(run);
        }
    }
    Ok(measured)
}

/// The command line of one run.
#[allow(clippy::too_many_arguments)]
fn client_command(
    setup: &Setup,
    client: &str,
    server: &Server,
    https: bool,
    direction: &str,
    source: &Path,
    id: &str,
    dest: &Path,
) -> Vec<String> {
    let url = &server.url;
    let cacert = setup.cacert.display().to_string();
    let mut command = Vec::new();
    if client == "curl" || client == CURL_TO_NULL {
        command.extend(["curl", "-sS", "--fail-with-body", "-H"].map(String::from));
        command.push(format!("Authorization: Bearer {KEY}"));
        if https {
            command.extend(["--cacert".to_owned(), cacert]);
        }
        if direction == "upload" {
            command.extend(["-F".to_owned(), "purpose=assistants".to_owned()]);
            command.extend(["-F".to_owned(), format!("file=@{}", source.display())]);
            command.push(format!("{url}/files"));
        } else {
            let to = if client == CURL_TO_NULL {
                "/dev/null".to_owned()
            } else {
                dest.display().to_string()
            };
            command.extend(["-o".to_owned(), to]);
            command.push(format!("{url}/files/{id}/content"));
        }
    } else {
        command.push(setup.bench.display().to_string());
        command.extend(["client".to_owned(), client.to_owned(), direction.to_owned()]);
        command.push(url.clone());
        if direction == "upload" {
            command.push(source.display().to_string());
        } else {
            command.extend([id.to_owned(), dest.display().to_string()]);
        }
        if https {
            command.extend(["--cacert".to_owned(), cacert]);
        }
    }
    command
}

/// Runs `command` under `files-bench measure`: its stdout, and what it cost.
fn measure(bench: &Path, command: &[String]) -> Result<(String, Run), String> {
    let out = Command::new(bench)
        .arg("measure")
        .arg("--")
        .args(command)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run files-bench measure: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (output, last) = stdout
        .trim_end()
        .rsplit_once('\n')
        .map_or(("", stdout.trim_end()), |(a, b)| (a, b));
    let json = last
        .strip_prefix("measured ")
        .ok_or_else(|| format!("no measurement from {}: {stdout}", command.join(" ")))?;
    let field = |name: &str| -> f64 {
        json.split(&format!("\"{name}\":"))
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    if !json.contains("\"ok\":true") {
        return Err(format!("{} failed: {json}\n{output}", command.join(" ")));
    }
    Ok((
        output.to_owned(),
        Run {
            wall: field("wall_s"),
            cpu: field("user_s") + field("sys_s"),
            rss_kib: field("max_rss_kib") as u64,
        },
    ))
}

/// The id and size of an uploaded file, from curl's JSON or our client's `ID BYTES`.
fn uploaded(client: &str, output: &str) -> Result<(String, u64), String> {
    let parsed = if client == "curl" {
        let value = |name: &str| {
            output
                .split(&format!("\"{name}\":"))
                .nth(1)
                .and_then(|rest| rest.split([',', '}']).next())
                .map(|v| v.trim().trim_matches('"').to_owned())
        };
        value("id").zip(value("bytes").and_then(|b| b.parse().ok()))
    } else {
        let mut words = output.split_whitespace();
        words
            .next()
            .map(str::to_owned)
            .zip(words.next().and_then(|b| b.parse().ok()))
    };
    parsed.ok_or_else(|| format!("{client} printed no file: {output:?}"))
}

/// An untimed upload with curl (a file for the downloads to fetch).
fn upload_with_curl(
    setup: &Setup,
    server: &Server,
    https: bool,
    source: &Path,
) -> Result<(String, u64), String> {
    let command = client_command(
        setup,
        "curl",
        server,
        https,
        "upload",
        source,
        "",
        Path::new(""),
    );
    let out = Command::new(&command[0])
        .args(&command[1..])
        .output()
        .map_err(|e| format!("could not run curl: {e}"))?;
    uploaded("curl", &String::from_utf8_lossy(&out.stdout))
}

/// Deletes a file from the server, so its disk does not fill.
fn delete(setup: &Setup, server: &Server, https: bool, id: &str) -> Result<(), String> {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--fail", "-o", "/dev/null", "-X", "DELETE", "-H"])
        .arg(format!("Authorization: Bearer {KEY}"));
    if https {
        command.arg("--cacert").arg(&setup.cacert);
    }
    status(
        command.arg(format!("{}/files/{id}", server.url)),
        "curl -X DELETE",
    )
}

/// The report: the machine, one table per server and protocol, the emulator's memory, the
/// dependency counts and the request build times.
fn report(
    rows: &[Row],
    emulator_rss: &[(bool, u64)],
    runs: usize,
    bench: &Path,
    root: &Path,
) -> Result<String, String> {
    let mut out = String::new();
    out.push_str(&format!(
        "Loopback, release builds, medians of {runs} alternating runs per client; {}; curl {}. \
         Throughput is the file's size over the client's wall time (process start to exit); \
         CPU is the client's user+sys time; RSS is its peak resident memory. \"× curl\" is \
         throughput over curl's (higher is better) and CPU over curl's (lower is better).\n",
        machine(),
        curl_version()
    ));
    for server in ["sink/source", "files serve"] {
        for https in [false, true] {
            let protocol = if https { "HTTPS" } else { "HTTP" };
            let title = if server == "sink/source" {
                "the benchmark's sink and source (drain and check uploads, stream downloads from memory)"
            } else {
                "the emulator (`files serve --any-size`: stores uploads, serves content from disk)"
            };
            out.push_str(&format!("\n**{protocol}, to {title}**\n\n"));
            out.push_str(
                "| size | direction | client | time | throughput | × curl | CPU | × curl | peak RSS |\n\
                 |---|---|---|---|---|---|---|---|---|\n",
            );
            for row in rows
                .iter()
                .filter(|r| r.server == server && r.https == https)
            {
                let curl = &row.runs[0].1;
                let curl_wall = median(curl.iter().map(|r| r.wall).collect());
                let curl_cpu = median(curl.iter().map(|r| r.cpu).collect());
                for (client, runs) in &row.runs {
                    let wall = median(runs.iter().map(|r| r.wall).collect());
                    let cpu = median(runs.iter().map(|r| r.cpu).collect());
                    let rss = runs.iter().map(|r| r.rss_kib).max().unwrap_or(0);
                    out.push_str(&format!(
                        "| {} MiB | {} | {client} | {wall:.3} s | {:.0} MB/s | {:.2} | {cpu:.3} s | {:.2} | {:.1} MiB |\n",
                        row.size / MIB,
                        row.direction,
                        row.size as f64 / wall / 1e6,
                        curl_wall / wall,
                        cpu / curl_cpu,
                        rss as f64 / 1024.0,
                    ));
                }
            }
        }
    }
    out.push_str(
        "\nThe emulator's own peak RSS over the whole run (every size, both directions): ",
    );
    let rss: Vec<String> = emulator_rss
        .iter()
        .map(|(https, kib)| {
            format!(
                "{:.1} MiB over {}",
                *kib as f64 / 1024.0,
                if *https { "HTTPS" } else { "HTTP" }
            )
        })
        .collect();
    out.push_str(&rss.join(", "));
    out.push_str(".\n\n");
    out.push_str("| dependency tree (normal edges, `cargo tree`) | crates |\n|---|---|\n");
    for (label, packages) in [
        ("files-core alone", &["files-core"][..]),
        (
            "provider-openai + transport-ureq",
            &["provider-openai", "transport-ureq"][..],
        ),
        (
            "provider-openai + transport-reqwest",
            &["provider-openai", "transport-reqwest"][..],
        ),
    ] {
        out.push_str(&format!(
            "| {label} | {} |\n",
            dependency_count(root, packages)?
        ));
    }
    out.push_str("\n| building an upload request (`files-bench request-build`) | time | Content-Length |\n|---|---|---|\n");
    let built = Command::new(bench)
        .arg("request-build")
        .output()
        .map_err(|e| format!("could not run files-bench request-build: {e}"))?;
    for line in String::from_utf8_lossy(&built.stdout).lines() {
        let field = |name: &str| {
            line.split(&format!("\"{name}\":"))
                .nth(1)
                .and_then(|rest| rest.split([',', '}']).next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let bytes = field("file_bytes");
        let size = if bytes >= 1 << 30 {
            format!("{} GiB", bytes >> 30)
        } else {
            format!("{} KiB", bytes >> 10)
        };
        out.push_str(&format!(
            "| a {size} file | {:.1} µs | {} |\n",
            field("request_ns") as f64 / 1000.0,
            field("content_length")
        ));
    }
    Ok(out)
}

fn curl_version() -> String {
    Command::new("curl")
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .nth(1)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "?".into())
}

/// How many distinct crates `cargo tree` lists for `packages` (normal edges, the packages
/// themselves included).
fn dependency_count(root: &Path, packages: &[&str]) -> Result<usize, String> {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(["tree", "-e", "normal", "--prefix", "none"]);
    for package in packages {
        command.args(["-p", package]);
    }
    let out = command
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut crates: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect();
    crates.sort();
    crates.dedup();
    Ok(crates.len())
}
