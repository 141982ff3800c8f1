//! `cargo xtask`: the project's own tasks.
//!
//! - `cargo xtask core-deps`: fails if `files-core` depends, directly or through another crate,
//!   on an HTTP client, an async runtime or a TLS stack (the sans-IO rule).
//!
//! `.ci/run` is the one list of CI checks; it calls `core-deps` among them.
#![forbid(unsafe_code)]

use std::process::{Command, ExitCode};

/// Crates that mean IO: HTTP clients and servers, async runtimes, TLS stacks.
const FORBIDDEN_IN_CORE: &[&str] = &[
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
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("core-deps") => core_deps(),
        _ => {
            eprintln!("usage: cargo xtask core-deps");
            eprintln!(
                "  core-deps  check that files-core pulls in no HTTP client, runtime or TLS crate"
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

/// Runs `cargo tree` on files-core and fails on any forbidden crate.
fn core_deps() -> Result<(), String> {
    let output = Command::new(cargo())
        .args([
            "tree",
            "-p",
            "files-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let found = forbidden_crates(&String::from_utf8_lossy(&output.stdout));
    if found.is_empty() {
        println!("files-core depends on no HTTP client, async runtime or TLS crate");
        Ok(())
    } else {
        Err(format!(
            "files-core must stay sans-IO, but its dependency tree contains: {}. \
             Move the code that needs them into a transport crate.",
            found.join(", ")
        ))
    }
}

/// The forbidden crate names in `cargo tree --prefix none --format {p}` output.
fn forbidden_crates(tree: &str) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| FORBIDDEN_IN_CORE.contains(name))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
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
        assert_eq!(forbidden_crates(tree), ["hyper", "tokio"]);
        assert!(forbidden_crates("files-core v0.1.0\nhttp v1.3.1\n").is_empty());
    }

    /// The real check, so that `cargo test --workspace` catches a core that grew IO.
    #[test]
    fn files_core_is_sans_io() {
        core_deps().unwrap();
    }
}
