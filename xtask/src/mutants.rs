//! `cargo xtask mutants`: cargo-mutants over files-core's machines, downloads, rules, wire
//! formats and bodies, run by hand (not in CI: the whole set takes over an hour on 2 cores).

use std::process::Command;

use crate::{cargo, workspace_root};

/// The folders of files-core whose mutants are run.
pub const SCOPE: &[&str] = &["ops", "download", "rules", "wire", "body"];

/// The cargo-mutants release this command was run with.
const VERSION: &str = "27.1.0";

/// Runs cargo-mutants over [`SCOPE`] (or the `--file GLOB`s given), passing `--shard K/N`,
/// `--list`, `--iterate` (test only what the last run did not catch) and `-j N` on, with
/// files-core's unit tests as the test run.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut files = Vec::new();
    let mut passed = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--file" | "--shard" | "-j" | "--jobs" => {
                let value = rest
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value"))?
                    .clone();
                if flag == "--file" {
                    files.push(value);
                } else {
                    passed.extend([flag.clone(), value]);
                }
            }
            "--list" | "--iterate" => passed.push(flag.clone()),
            other => {
                return Err(format!(
                    "unknown mutants option {other:?}; the options are --file GLOB (repeatable), \
                     --shard K/N, -j N, --list and --iterate"
                ));
            }
        }
    }
    if files.is_empty() {
        files = SCOPE
            .iter()
            .map(|dir| format!("crates/files-core/src/{dir}/**"))
            .collect();
    }
    let installed = Command::new(cargo())
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Err(format!(
            "cargo-mutants is not installed; install it with \
             `cargo install cargo-mutants --version {VERSION} --locked`"
        ));
    }
    let mut command = Command::new(cargo());
    command.current_dir(workspace_root()).args([
        "mutants",
        "-p",
        "files-core",
        "--profile",
        "mutants",
    ]);
    for file in &files {
        command.args(["-f", file]);
    }
    command.args(&passed).args(["--", "--lib"]);
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo mutants: {e}"))?;
    // cargo-mutants exits 2 when mutants were missed, 3 on timeouts: its report says which.
    match status.code() {
        Some(0) => Ok(()),
        _ => Err(format!(
            "cargo mutants ended with {status}; the missed mutants are in mutants.out/missed.txt"
        )),
    }
}
