//! `cargo xtask`: the project's own tasks.
//!
//! - `cargo xtask sans-io`: fails if `files-core` can do IO — if its dependency tree holds an
//!   HTTP client, an async runtime, a TLS stack or a random-number crate, or its source uses
//!   files, sockets, the environment, processes, threads, a clock or OS randomness — or if
//!   the blocking client (`files-client` without features, with `transport-ureq`, or the
//!   `llm-files` facade with only `blocking`, `openai` and `stepfun`) pulls in an async runtime.
//!
//! - `cargo xtask codegen [--check]`: writes the rule tables (files-core's format catalogue,
//!   error kinds and purposes; each provider crate's `rules.rs`, which the emulator uses too) and
//!   `docs/providers.md` from `spec/`; `--check` writes nothing and fails naming each stale
//!   file. A `#[test]` runs the check too.
//!
//! - `cargo xtask conformance [--python | --node]`: the official openai-python and
//!   openai-node SDKs, installed from the package registries into `target/conformance`,
//!   driven against `files serve` (see `conformance.rs` and `xtask/conformance/`). `.ci/run`
//!   runs it.
//!
//! - `cargo xtask soak [--seed N] [--clients N] [--operations N] [--max-file BYTES]`: the long
//!   soak — 32 clients on both transports, 60 operations each, files up to 16 MiB, a seeded
//!   random fault plan, from the clock's seed unless `--seed` is given — in release mode;
//!   prints the seed and the counts (operations, faults, retries, failures by kind, lost files,
//!   duplicates) and fails on any problem the audit finds. `cargo test` runs a short one with a
//!   fixed seed.
//!
//! - `cargo xtask bench [--quick] [--runs N] [--clean]`: uploads and downloads against curl
//!   over HTTP and HTTPS, to a loopback sink and source and to `files serve`, with 64 MiB,
//!   512 MiB and 2 GiB files (`--quick`: 64 MiB); wall time, CPU time and the client's peak
//!   RSS, with ratios to curl's, into `docs/performance.md` (see `bench/transfers.rs`).
//!
//! - `cargo xtask bench uploads [--quick] [--runs N]`: the Uploads API benchmark (see
//!   `bench/mod.rs`): a 2 GiB file (256 MiB with `--quick`) in 64 MiB parts, 1 and 4 in
//!   flight, both transports, with and without the MD5, to a draining sink that waits 50 ms
//!   before answering each part (and once to `files serve`); wall time and the client's peak
//!   RSS, into `docs/performance.md`.
//!
//! - `cargo xtask bench bulk [--quick] [--runs N]`: 1,000 small files (100 with `--quick`)
//!   uploaded to `files serve` by `files upload` one at a time and with `--jobs 8`, and by an
//!   openai-python loop (installed into `target/conformance`, as for the conformance run);
//!   wall time, into `docs/performance.md` (see `bench/bulk.rs`).
//!
//! - `cargo xtask mutants [--file GLOB] [--shard K/N] [-j N] [--list] [--iterate]`: cargo-mutants over
//!   files-core's `ops/`, `download/`, `rules/`, `wire/` and `body/`, tested by files-core's
//!   unit tests, with the `mutants` profile (no debug info). Run by hand, not in CI; the
//!   missed mutants land in `mutants.out/missed.txt`.
//!
//! - `cargo xtask msrv`: fails if a dependency in `Cargo.lock` declares a `rust-version` above
//!   the workspace's (see `msrv.rs`). `.ci/run` runs it.
//!
//! `.ci/run` is the one list of CI checks; it calls `sans-io` among them, and a `#[test]` runs
//! the same check so `cargo test --workspace` catches a core that grew IO.
#![forbid(unsafe_code)]

mod bench;
mod codegen;
mod conformance;
mod msrv;
mod mutants;
mod source_scan;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Crates that mean IO: HTTP clients and servers, async runtimes, TLS stacks, OS randomness.
const FORBIDDEN_IN_CORE: &[&str] = &[
    "async-trait",
    "futures",
    "futures-core",
    "futures-io",
    "futures-util",
    "tokio",
    "reqwest",
    "ureq",
    "ureq-proto",
    "hyper",
    "hyper-util",
    "h2",
    "axum",
    "mio",
    "async-std",
    "smol",
    "rustls",
    "native-tls",
    "getrandom",
    "rand",
];

/// Crates a user of the blocking client must not pull in: async runtimes and their IO.
const FORBIDDEN_IN_BLOCKING: &[&str] = &["tokio", "mio", "async-std", "smol", "hyper", "reqwest"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sans-io") => sans_io(),
        Some("soak") => soak(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("mutants") => mutants::run(&args[1..]),
        Some("msrv") => msrv::run(),
        Some("conformance") => conformance::run(&args[1..]),
        Some("codegen") => match args.get(1).map(String::as_str) {
            None => codegen::write(&workspace_root()),
            Some("--check") => codegen::check(&workspace_root()),
            Some(other) => Err(format!(
                "unknown codegen option {other:?}; the one option is --check"
            )),
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <sans-io | codegen [--check] | msrv | conformance [--python | --node] | soak [options] | bench [uploads] [--quick] | mutants [options]>"
            );
            eprintln!(
                "  sans-io  check that files-core does no IO (its dependencies and its source) \
                 and that the blocking client pulls in no async runtime"
            );
            eprintln!(
                "  codegen  write the provider rules, error kinds and docs/providers.md from \
                 spec/; with --check, write nothing and fail if any of them is stale"
            );
            eprintln!(
                "  msrv     check that no dependency in Cargo.lock needs a newer Rust than the \
                 workspace's rust-version"
            );
            eprintln!(
                "  conformance  the official openai-python and openai-node SDKs against files \
                 serve (installed into target/conformance from PyPI and npm)"
            );
            eprintln!(
                "  soak     the long soak under random faults, in release mode; options: \
                 --seed N, --clients N (32), --operations N (60 per client), \
                 --max-file BYTES (16777216)"
            );
            eprintln!(
                "  bench    uploads and downloads against curl over HTTP and HTTPS, to a loopback \
                 sink/source and to files serve (64 MiB, 512 MiB, 2 GiB; --quick: 64 MiB, under \
                 two minutes; --runs N, default 5; --clean removes the test files), written to \
                 docs/performance.md"
            );
            eprintln!(
                "  bench uploads  the Uploads API with 1 and 4 parts in flight through both \
                 transports (2 GiB; --quick: 256 MiB; --runs N, default 3), written to \
                 docs/performance.md"
            );
            eprintln!(
                "  bench bulk  1,000 small files through files upload (one at a time, --jobs 8) \
                 and an openai-python loop, to files serve (--quick: 100; --runs N, default 3), \
                 written to docs/performance.md"
            );
            eprintln!(
                "  mutants  cargo-mutants over files-core's ops/, download/, rules/, wire/ and \
                 body/ with its unit tests (by hand, not in CI; over an hour on 2 cores); options: \
                 --file GLOB, --shard K/N, -j N, --list, --iterate (only what the last run \
                 did not catch)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The long soak: the ignored `long_soak` test of `tests/tests/soak.rs`, in release mode, with
/// the options passed on as environment variables.
fn soak(args: &[String]) -> Result<(), String> {
    let mut command = Command::new(cargo());
    command
        .current_dir(workspace_root())
        .args(["test", "--release", "-p", "files-tests", "--test", "soak"])
        .args(["--", "--ignored", "--exact", "long_soak", "--nocapture"]);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let variable = match flag.as_str() {
            "--seed" => "SOAK_SEED",
            "--clients" => "SOAK_CLIENTS",
            "--operations" => "SOAK_OPERATIONS",
            "--max-file" => "SOAK_MAX_FILE",
            other => {
                return Err(format!(
                    "unknown soak option {other:?}; the options are --seed, --clients, \
                     --operations and --max-file"
                ));
            }
        };
        let value = rest
            .next()
            .filter(|v| v.parse::<u64>().is_ok())
            .ok_or_else(|| format!("{flag} needs a whole number"))?;
        command.env(variable, value);
    }
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the soak failed ({status}); its seed is printed above"
        ))
    }
}

/// Every sans-IO check; all problems are reported together.
fn sans_io() -> Result<(), String> {
    let mut problems = Vec::new();
    match dependency_tree(&["-p", "files-core"]) {
        Ok(tree) => {
            let found = forbidden_crates(&tree, FORBIDDEN_IN_CORE);
            if !found.is_empty() {
                problems.push(format!(
                    "files-core must stay sans-IO, but its dependency tree contains: {}. Move the \
                     code that needs them into files-io (the IO edge), files-client or a \
                     transport crate.",
                    found.join(", ")
                ));
            }
        }
        Err(e) => problems.push(e),
    }
    match dependency_tree(&["-p", "files-client", "-p", "transport-ureq"]) {
        Ok(tree) => {
            let found = forbidden_crates(&tree, FORBIDDEN_IN_BLOCKING);
            if !found.is_empty() {
                problems.push(format!(
                    "the blocking client (files-client without features, with transport-ureq) \
                     must pull in no async runtime, but its tree contains: {}. Put what needs \
                     them behind files-client's `async` feature.",
                    found.join(", ")
                ));
            }
        }
        Err(e) => problems.push(e),
    }
    let facade = [
        "-p",
        "llm-files",
        "--no-default-features",
        "--features",
        "blocking,openai,stepfun",
    ];
    match dependency_tree(&facade) {
        Ok(tree) => {
            let found = forbidden_crates(&tree, FORBIDDEN_IN_BLOCKING);
            if !found.is_empty() {
                problems.push(format!(
                    "llm-files with only the `blocking`, `openai` and `stepfun` features must \
                     pull in no async runtime, but its tree contains: {}. Put what needs them \
                     behind the `async` feature.",
                    found.join(", ")
                ));
            }
        }
        Err(e) => problems.push(e),
    }
    let findings = source_scan::scan_tree(&core_source_dir())?;
    if !findings.is_empty() {
        let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
        problems.push(format!(
            "files-core's source reaches for IO (the driver must hand these in):\n  {}",
            list.join("\n  ")
        ));
    }
    if problems.is_empty() {
        println!(
            "files-core is sans-IO (no IO crate in its tree, no IO in its source), and the \
             blocking client (alone, and through llm-files) pulls in no async runtime"
        );
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// `cargo tree` of the given packages, normal dependencies only, with default features.
fn dependency_tree(packages: &[&str]) -> Result<String, String> {
    let output = Command::new(cargo())
        .arg("tree")
        .args(packages)
        .args(["-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree {} failed: {}",
            packages.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `forbidden` crate names in `cargo tree --prefix none --format {p}` output.
fn forbidden_crates(tree: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| forbidden.contains(name))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn core_source_dir() -> PathBuf {
    workspace_root().join("crates/files-core/src")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_forbidden_crates_in_tree_output() {
        let tree =
            "files-core v0.1.0 (/x)\nbytes v1.10.1\ntokio v1.47.0\nhyper v1.6.0\ntokio v1.47.0\n";
        assert_eq!(
            forbidden_crates(tree, FORBIDDEN_IN_CORE),
            ["hyper", "tokio"]
        );
        assert!(forbidden_crates("files-core v0.1.0\nhttp v1.3.1\n", FORBIDDEN_IN_CORE).is_empty());
    }

    /// The real check, so that `cargo test --workspace` catches a core that grew IO.
    #[test]
    fn files_core_is_sans_io() {
        sans_io().unwrap();
    }
}
