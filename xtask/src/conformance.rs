//! `cargo xtask conformance`: the official openai-python and openai-node SDKs, clients no one
//! here wrote, driven against `files serve` — files create (path, memory, stream), list with
//! auto-pagination, retrieve, content, delete, 404s, waiting for processing, and the Uploads
//! API (create, parts out of order, complete with the MD5, a wrong MD5, cancel, and the
//! Python SDK's `upload_file_chunked`).
//!
//! The SDKs are installed from the package registries into `target/conformance` (a venv and
//! a `node_modules`), once per pinned version; each SDK gets a fresh emulator on a free
//! loopback port, stopped when its run ends, however it ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The openai-python release driven (major 3, on Python 3.10 and later).
const PYTHON_SDK: &str = "3.60.0";
/// The openai-node release driven: the newest major whose package runs on Node 20 (7.x asks
/// for Node 22).
const NODE_SDK: &str = "6.30.1";
/// The key the emulator is started with and the SDKs send.
const KEY: &str = "sk-conformance";

/// Runs both SDKs' checks (`--python` or `--node`: only that one).
pub fn run(args: &[String]) -> Result<(), String> {
    let (python, node) = match args.first().map(String::as_str) {
        None => (true, true),
        Some("--python") => (true, false),
        Some("--node") => (false, true),
        Some(other) => {
            return Err(format!(
                "unknown conformance option {other:?}: --python or --node runs one SDK"
            ));
        }
    };
    let root = crate::workspace_root();
    let work = root.join("target/conformance");
    std::fs::create_dir_all(&work)
        .map_err(|e| format!("could not create {}: {e}", work.display()))?;
    let files = build_files(&root)?;
    if python {
        let interpreter = python_sdk(&work)?;
        let script = root.join("xtask/conformance/openai_python.py");
        against_emulator(&files, "openai-python", |base_url| {
            let mut command = Command::new(&interpreter);
            command.arg(&script);
            sdk_env(&mut command, base_url);
            command
        })?;
    }
    if node {
        let dir = node_sdk(&work)?;
        // Node finds `openai` from the script's own directory: the script runs beside it.
        let script = dir.join("openai_node.mjs");
        copy(&root.join("xtask/conformance/openai_node.mjs"), &script)?;
        against_emulator(&files, "openai-node", |base_url| {
            let mut command = Command::new("node");
            command.arg(&script).current_dir(&dir);
            sdk_env(&mut command, base_url);
            command
        })?;
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("could not copy {} to {}: {e}", from.display(), to.display()))
}

/// The SDKs read what the official docs tell users to set, and nothing else of ours.
fn sdk_env(command: &mut Command, base_url: &str) {
    command
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_API_KEY", KEY)
        .env_remove("OPENAI_ORG_ID")
        .env_remove("OPENAI_PROJECT_ID");
}

/// Builds the `files` binary and gives its path.
fn build_files(root: &Path) -> Result<PathBuf, String> {
    status(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["build", "-q", "-p", "files-cli", "--bin", "files"])
            .current_dir(root),
        "cargo build -p files-cli",
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target
        .join("debug")
        .join(format!("files{}", std::env::consts::EXE_SUFFIX)))
}

/// Runs `command`, failing with its name when it cannot start or exits unsuccessfully.
fn status(command: &mut Command, what: &str) -> Result<(), String> {
    match command.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{what} failed ({s})")),
        Err(e) => Err(format!("could not run {what}: {e}")),
    }
}

/// The venv's interpreter with openai-python [`PYTHON_SDK`] installed (once).
pub(crate) fn python_sdk(work: &Path) -> Result<PathBuf, String> {
    let venv = work.join("venv");
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let python = venv.join(bin).join("python");
    if !python.exists() {
        status(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv (install Python 3 with its venv module)",
        )?;
    }
    let installed = Command::new(&python)
        .args(["-c", "import openai; print(openai.__version__)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installed.as_deref() != Some(PYTHON_SDK) {
        println!(
            "installing openai-python {PYTHON_SDK} into {}",
            venv.display()
        );
        status(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                &format!("openai=={PYTHON_SDK}"),
            ]),
            "pip install openai",
        )?;
    }
    Ok(python)
}

/// A directory whose `node_modules` holds openai-node [`NODE_SDK`] (installed once).
fn node_sdk(work: &Path) -> Result<PathBuf, String> {
    let dir = work.join("node");
    let manifest = dir.join("node_modules/openai/package.json");
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{NODE_SDK}\"")));
    if !installed {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
        println!("installing openai-node {NODE_SDK} into {}", dir.display());
        status(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(format!("openai@{NODE_SDK}")),
            "npm install openai (install Node.js with npm)",
        )?;
    }
    Ok(dir)
}

/// `files serve`, stopped when dropped: a failed check, an error or a panic never leaves it
/// running.
pub(crate) struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a fresh emulator, runs the command `sdk` builds for its base URL, and stops it.
fn against_emulator(
    files: &Path,
    name: &str,
    sdk: impl FnOnce(&str) -> Command,
) -> Result<(), String> {
    let (served, base_url) = start_emulator(files)?;
    println!("{name} against {base_url}");
    status(&mut sdk(&base_url), name)?;
    drop(served);
    Ok(())
}

/// A fresh `files serve` on a free loopback port, with the key [`KEY`]: stopped when the
/// first value is dropped; the second is its base URL.
pub(crate) fn start_emulator(files: &Path) -> Result<(Served, String), String> {
    let child = Command::new(files)
        .args(["--json", "serve", "--addr", "127.0.0.1:0", "--api-key", KEY])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", files.display()))?;
    let mut served = Served(child);
    let stdout = served
        .0
        .stdout
        .take()
        .ok_or("files serve has no standard output")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("could not read what files serve printed: {e}"))?;
    let announced: serde_json::Value = serde_json::from_str(&line)
        .map_err(|e| format!("files serve printed {line:?}, not its JSON line: {e}"))?;
    let base_url = announced["base_url"]
        .as_str()
        .ok_or_else(|| format!("files serve printed no base_url: {line}"))?;
    Ok((served, base_url.to_owned()))
}
