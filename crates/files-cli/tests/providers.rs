//! `files --provider NAME …` for each provider beyond OpenAI and StepFun, over both
//! transports, against the emulator speaking NAME from the same spec: upload → list →
//! retrieve → download → delete, and the exact requests it sent (key header, query, path,
//! form). And Azure's dated API: `--api-version` on every request, the key as `api-key`,
//! never a Bearer header.

use std::process::{Command, Output, Stdio};

use files_core::extend::rules::Formats;
use files_emulator::{Dialect, Emulator, EmulatorConfig, RecordedRequest};

/// The binary for `provider` over `transport`, pointed at `emulator` with the key in the
/// variable the provider's spec names, and nothing else from the environment.
fn files(emulator: &Emulator, provider: &str, transport: &str) -> Command {
    let dialect = emulator.dialect();
    let spec = dialect.spec();
    let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
        .env(&spec.file.provider.api_key_env, emulator.api_key())
        .args([
            "--provider",
            provider,
            "--transport",
            transport,
            "--no-progress",
        ])
        .arg("--base-url")
        .arg(emulator.base_url());
    command
}

fn run(mut command: Command) -> String {
    let out: Output = command.stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first purpose of the provider's first site that takes text or JSON Lines, and a file
/// name for it.
fn purpose_and_name(dialect: &Dialect) -> (&'static str, &'static str) {
    let rules = dialect.rules();
    let site = &rules.sites[0];
    let rule = rules
        .purposes
        .iter()
        .filter(|p| site.purposes.contains(&p.name))
        .find(|p| match p.formats {
            Formats::Any => true,
            Formats::Only(list) => list.contains(&"txt") || list.contains(&"jsonl"),
        })
        .unwrap();
    match rule.formats {
        Formats::Only(list) if !list.contains(&"txt") => (rule.name, "notes.jsonl"),
        _ => (rule.name, "notes.txt"),
    }
}

/// The path (without the query) and the query of a recorded request.
fn split(request: &RecordedRequest) -> (&str, Option<&str>) {
    match request.path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path.as_str(), None),
    }
}

fn walk(provider: &str, transport: &str) {
    let dialect = Dialect::named(provider).unwrap();
    let emulator = Emulator::start(dialect.clone()).unwrap();
    let (purpose, name) = purpose_and_name(&dialect);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join(name);
    let body = "{\"n\":1}\n{\"n\":2}\n".repeat(2000);
    std::fs::write(&source, &body).unwrap();

    let mut upload = files(&emulator, provider, transport);
    upload
        .args(["upload", "--purpose", purpose, "-q"])
        .arg(&source);
    let id = run(upload).trim().to_owned();
    assert!(!id.is_empty());

    let mut list = files(&emulator, provider, transport);
    list.args(["list", "-q"]);
    assert_eq!(run(list).trim(), id);

    let mut get = files(&emulator, provider, transport);
    get.args(["get", &id, "--json"]);
    let object: serde_json::Value = serde_json::from_str(&run(get)).unwrap();
    assert_eq!(object["id"], id.as_str());
    assert_eq!(object["bytes"], body.len());

    let copy = dir.path().join("copy");
    let mut download = files(&emulator, provider, transport);
    download.args(["download", &id, "-o"]).arg(&copy);
    run(download);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), body);

    let mut delete = files(&emulator, provider, transport);
    delete.args(["delete", &id]);
    run(delete);
    let mut list = files(&emulator, provider, transport);
    list.args(["list", "-q"]);
    assert_eq!(run(list).trim(), "");

    // What went over the wire: every request under the provider's paths, the key in its
    // header only, no query the dialect does not send, and the upload's form fields.
    let wire = dialect.wire();
    let key_header = wire.auth.header_name();
    let prefix = emulator.base_url();
    let prefix = &prefix[prefix.find("/openai").or(prefix.rfind("/v1")).unwrap()..];
    let requests = emulator.requests();
    for request in &requests {
        assert_eq!(request.header(key_header), Some("***"), "{request:?}");
        if key_header != "authorization" {
            assert_eq!(
                request.header("authorization"),
                None,
                "never Bearer: {request:?}"
            );
        }
        let (path, query) = split(request);
        assert!(path.starts_with(prefix), "{request:?}");
        assert_eq!(query, None, "{request:?}");
    }
    let paths: Vec<(&str, String)> = requests
        .iter()
        .map(|r| (r.method.as_str(), split(r).0[prefix.len()..].to_owned()))
        .collect();
    let files_path = wire.paths.files.clone();
    let file = wire.paths.file_path(&id);
    let content = wire.paths.content_path(&id).unwrap();
    assert_eq!(
        paths,
        [
            ("POST", files_path.clone()),
            ("GET", files_path.clone()),
            ("GET", file.clone()),
            ("GET", content),
            ("DELETE", file),
            ("GET", files_path),
        ]
    );
    let form = requests[0].file_part.as_ref().expect("the file part");
    assert_eq!(form.filename.as_deref(), Some(name));
    assert_eq!(form.bytes, body.len() as u64);
}

macro_rules! providers {
    ($($provider:ident),*) => {$(
        mod $provider {
            #[test]
            fn walks_every_operation_over_ureq() {
                super::walk(stringify!($provider), "ureq");
            }
            #[test]
            fn walks_every_operation_over_reqwest() {
                super::walk(stringify!($provider), "reqwest");
            }
        }
    )*};
}

providers!(azure, moonshot, dashscope, mistral, groq, zhipu);

#[test]
fn azure_with_an_api_version_sends_it_on_every_request_and_the_key_as_api_key() {
    let config = EmulatorConfig::new(Dialect::named("azure").unwrap())
        .with_site("dated")
        .unwrap();
    let emulator = Emulator::start_with(config).unwrap();
    assert!(
        emulator.base_url().ends_with("/openai"),
        "the dated API's path"
    );
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("train.jsonl");
    std::fs::write(&source, "{\"messages\":[]}\n").unwrap();
    for transport in ["ureq", "reqwest"] {
        let mut upload = files(&emulator, "azure", transport);
        upload
            .args([
                "--api-version",
                "2024-10-21",
                "upload",
                "--purpose",
                "fine-tune",
                "-q",
            ])
            .arg(&source);
        let id = run(upload).trim().to_owned();
        for args in [vec!["list"], vec!["get", &id], vec!["delete", &id]] {
            let mut command = files(&emulator, "azure", transport);
            command.args(["--api-version", "2024-10-21"]).args(args);
            run(command);
        }
    }
    // OPENAI_API_VERSION, as openai-python's AzureOpenAI reads it, does the same.
    let mut list = files(&emulator, "azure", "ureq");
    list.env("OPENAI_API_VERSION", "2024-10-21").arg("list");
    run(list);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 9);
    for request in &requests {
        assert_eq!(
            split(request).1,
            Some("api-version=2024-10-21"),
            "{request:?}"
        );
        assert_eq!(request.header("api-key"), Some("***"));
        assert_eq!(request.header("authorization"), None, "never Bearer");
    }
}

/// A gateway described only by a spec file, served by `files serve --provider-spec` and
/// used by `files --provider-spec`, both processes reading the same file.
const GATEWAY: &str = include_str!("../../../tests/fixtures/acme-gateway.toml");

/// Kills `files serve` when the test ends, passed or not.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn files_serve_and_files_take_the_same_spec_file() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("acme.toml");
    std::fs::write(&spec, GATEWAY).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_files"));
    serve
        .arg("--provider-spec")
        .arg(&spec)
        .args([
            "--json",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--site",
            "default",
        ])
        .args(["--path-prefix", "/api", "--api-key", "acme-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut served = Served(serve.spawn().unwrap());
    let mut line = String::new();
    std::io::BufReader::new(served.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let announced: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(announced["provider"], "acme");
    let base_url = announced["base_url"].as_str().unwrap().to_owned();
    let source = dir.path().join("a.txt");
    std::fs::write(&source, "hello").unwrap();
    let files = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_files"));
        command
            .env_clear()
            .env("ACME_FILES_KEY", "acme-key")
            .arg("--provider-spec")
            .arg(&spec)
            .args(["--base-url", &base_url])
            .args(args);
        command
    };
    let mut upload = files(&["upload", "--purpose", "docs", "-q"]);
    upload.arg(&source);
    let id = run(upload).trim().to_owned();
    assert_eq!(run(files(&["list", "-q"])).trim(), id);
    let object: serde_json::Value =
        serde_json::from_str(&run(files(&["get", &id, "--json"]))).unwrap();
    assert_eq!(object["bytes"], 5, "size_bytes as a string, read as a size");
    assert_eq!(run(files(&["download", &id, "-o", "-"])), "hello");
    run(files(&["delete", &id]));
    drop(served);
}

#[test]
fn a_bad_spec_file_is_refused_with_its_name_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("broken.toml");
    std::fs::write(
        &spec,
        GATEWAY.replace("paging = \"pages\"", "paging = pages"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .env_clear()
        .arg("--provider-spec")
        .arg(&spec)
        .arg("list")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.toml: line 32, column 10: string values must be quoted"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_files"))
        .env_clear()
        .args(["--provider", "nonesuch", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("azure, moonshot"),
        "the names are listed: {stderr}"
    );
}
