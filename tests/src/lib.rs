//! Shared set-up for the workspace's wire tests: an emulator of either dialect, a client over
//! either transport pointed at it, and sample files with their hashes.
//!
//! ```
//! use files_tests::{Setup, Wire};
//! let setup = Setup::new(Wire::OpenAiUreq);
//! assert!(setup.emulator.base_url().starts_with("http://127.0.0.1:"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod proxy;
pub mod samples;
pub mod secrets;
pub mod soak;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use files_cli::{Api, DynProvider};
use files_client::RequestOptions;
use files_emulator::{Dialect, Emulator, EmulatorConfig};
use files_spec::SpecProvider;
use provider_openai::OpenAi;
use provider_stepfun::StepFun;
use sha2::{Digest, Sha256};

/// One cell of the {every bundled provider} × {ureq, reqwest} matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// The provider's id (`openai`, `azure`…).
    pub provider: &'static str,
    /// Whether the transport is the async one (reqwest) rather than ureq.
    pub asynchronous: bool,
}

#[allow(non_upper_case_globals)]
impl Wire {
    /// OpenAI dialect, blocking ureq transport.
    pub const OpenAiUreq: Wire = Wire::new("openai", false);
    /// OpenAI dialect, async reqwest transport.
    pub const OpenAiReqwest: Wire = Wire::new("openai", true);
    /// StepFun dialect, blocking ureq transport.
    pub const StepFunUreq: Wire = Wire::new("stepfun", false);
    /// StepFun dialect, async reqwest transport.
    pub const StepFunReqwest: Wire = Wire::new("stepfun", true);

    /// The cell of `provider` over the async transport or the blocking one.
    pub const fn new(provider: &'static str, asynchronous: bool) -> Wire {
        Wire {
            provider,
            asynchronous,
        }
    }

    /// The emulator dialect.
    pub fn dialect(self) -> Dialect {
        Dialect::named(self.provider).expect("a bundled provider")
    }

    /// Whether the transport is the async one.
    pub fn is_async(self) -> bool {
        self.asynchronous
    }

    /// The header the provider's key goes in.
    pub fn auth_header(self) -> String {
        self.dialect().wire().auth.header_name().to_owned()
    }
}

/// A running emulator and a client pointed at it.
pub struct Setup {
    /// The emulator; dropped last.
    pub emulator: Emulator,
    /// The client.
    pub api: Api,
    /// A scratch directory for sample files and downloads.
    pub dir: tempfile::TempDir,
    /// Which cell of the matrix this is.
    pub wire: Wire,
}

impl Setup {
    /// An emulator at the default `/v1` prefix, and a client with the right key.
    pub fn new(wire: Wire) -> Self {
        Setup::with_config(wire, EmulatorConfig::new(wire.dialect()))
    }

    /// An emulator with the given configuration, and a client with its key.
    pub fn with_config(wire: Wire, config: EmulatorConfig) -> Self {
        let emulator = Emulator::start_with(config).expect("the emulator starts");
        let key = emulator.api_key().to_owned();
        let api = Setup::api_for(wire, &emulator.base_url(), &key);
        Setup {
            emulator,
            api,
            dir: tempfile::tempdir().expect("a temp dir"),
            wire,
        }
    }

    /// A client of `wire`'s provider and transport at `base_url` with `key`.
    pub fn api_for(wire: Wire, base_url: &str, key: &str) -> Api {
        Setup::api_with(wire, base_url, key, RequestOptions::new())
    }

    /// A client like [`Setup::api_for`], with `options` for every request.
    pub fn api_with(wire: Wire, base_url: &str, key: &str, options: RequestOptions) -> Api {
        let provider: DynProvider = match wire.provider {
            "openai" => Box::new(
                OpenAi::new(key)
                    .with_base_url(base_url)
                    .expect("a valid base URL"),
            ),
            "stepfun" => Box::new(
                StepFun::new(key)
                    .with_base_url(base_url)
                    .expect("a valid base URL"),
            ),
            other => Box::new(
                SpecProvider::new(files_spec::bundled::named(other).expect("bundled"), key)
                    .and_then(|p| p.with_base_url(base_url))
                    .expect("a valid base URL"),
            ),
        };
        if wire.is_async() {
            Api::with_async(provider, options).expect("an async client")
        } else {
            Api::blocking(provider, options).unwrap()
        }
    }

    /// A client of this cell's provider and transport, pointed at the emulator, with
    /// `options` for every request.
    pub fn api_with_options(&self, options: RequestOptions) -> Api {
        Setup::api_with(
            self.wire,
            &self.emulator.base_url(),
            self.emulator.api_key(),
            options,
        )
    }

    /// A purpose the dialect accepts, and a file name that suits it.
    pub fn purpose_and_name(&self) -> (files_client::Purpose, &'static str) {
        match self.wire.provider {
            "openai" => (files_client::Purpose::ASSISTANTS, "notes.txt"),
            "stepfun" => (files_client::Purpose::FILE_EXTRACT, "notes.txt"),
            _ => purpose_for(&self.wire.dialect()),
        }
    }

    /// A path in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The first purpose `dialect` accepts at its first site, with a file name its formats
/// take (`notes.txt`, or `notes.jsonl` for a purpose that takes only JSON Lines).
pub fn purpose_for(dialect: &Dialect) -> (files_client::Purpose, &'static str) {
    use files_core::extend::rules::Formats;
    let rules = dialect.rules();
    let site = rules.sites.first();
    let rule = rules
        .purposes
        .iter()
        .filter(|p| site.is_none_or(|s| s.purposes.contains(&p.name)))
        .find(|p| match p.formats {
            Formats::Any => true,
            Formats::Only(list) => list.contains(&"txt") || list.contains(&"jsonl"),
        })
        .expect("a purpose that takes text or JSON Lines");
    let name = match rule.formats {
        Formats::Only(list) if !list.contains(&"txt") => "notes.jsonl",
        _ => "notes.txt",
    };
    (files_client::Purpose::new(rule.name), name)
}

/// `len` bytes of deterministic pseudo-random JSON Lines (xorshift numbers in hex, one JSON
/// object a line, padded with blank lines to the exact length), so a corrupted transfer shows
/// and every provider's text and JSON Lines rules accept it.
pub fn sample_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len);
    // `{"r":"` + 64 hex digits + `"}` + newline.
    const LINE: usize = 6 + 64 + 3;
    while out.len() + LINE <= len {
        out.extend_from_slice(b"{\"r\":\"");
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(format!("{state:016x}").as_bytes());
        }
        out.extend_from_slice(b"\"}\n");
    }
    out.resize(len, b'\n');
    out
}

/// Writes `len` sample bytes to `path` and gives their SHA-256.
pub fn write_sample(path: &Path, len: usize, seed: u64) -> String {
    let bytes = sample_bytes(len, seed);
    let mut file = std::fs::File::create(path).expect("create sample");
    file.write_all(&bytes).expect("write sample");
    sha256(&bytes)
}

/// The names in `dir`, sorted: what a test expects a directory to hold (and nothing else).
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The SHA-256 of bytes, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The MD5 of `bytes` in lowercase hex, as the Uploads API's completion takes it.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&md5::Md5::digest(bytes))
}

/// The SHA-256 of a file, read in chunks, in hex.
pub fn sha256_file(path: &Path) -> String {
    let mut file = std::fs::File::open(path).expect("open for hashing");
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).expect("read for hashing");
        if n == 0 {
            return hex(&hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The longest one wire scenario may take (they take seconds): past it, the test fails instead
/// of hanging CI.
pub const SCENARIO_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `scenario` on a thread of its own and waits for it up to [`SCENARIO_DEADLINE`]; a panic
/// in it is the caller's panic, and a scenario still running at the deadline fails the caller.
pub fn within_deadline(scenario: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        scenario();
        let _ = done.send(());
    });
    match finished.recv_timeout(SCENARIO_DEADLINE) {
        Ok(()) => thread
            .join()
            .expect("the scenario reported before it ended"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("the scenario ended without reporting"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the scenario did not finish within {SCENARIO_DEADLINE:?}: it hangs")
        }
    }
}

/// Runs each named scenario `fn(Wire)` as two tests, `ureq` and `reqwest`, in the OpenAI
/// dialect, each within [`SCENARIO_DEADLINE`]: `both_transports!(scenario_a, scenario_b);` in a
/// test file whose scope has `Wire`.
#[macro_export]
macro_rules! both_transports {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::*;
                #[test]
                fn ureq() { $crate::within_deadline(|| super::$scenario(Wire::OpenAiUreq)) }
                #[test]
                fn reqwest() { $crate::within_deadline(|| super::$scenario(Wire::OpenAiReqwest)) }
            }
        )*
    };
}

/// A writer into a shared buffer: what a `tracing` subscriber wrote, for assertions.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A loopback server that answers every connection with the same raw bytes, then closes it:
/// for a remote file a StepFun `url` upload fetches, or a response a real API would never send
/// (a body cut short). It stops when dropped.
pub struct RawServer {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    /// Starts serving `response` (status line, headers and body, as bytes) on an ephemeral
    /// port.
    pub fn start(response: Vec<u8>) -> Self {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = heads.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                        let head = read_request_head(&mut stream);
                        seen.lock().unwrap_or_else(|e| e.into_inner()).push(head);
                        let _ = stream.write_all(&response);
                        let _ = stream.flush();
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        RawServer {
            addr,
            stop,
            heads,
            thread: Some(thread),
        }
    }

    /// The heads of the requests served so far (request line and headers, as text).
    pub fn requests(&self) -> Vec<String> {
        self.heads.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many requests were served so far.
    pub fn requests_served(&self) -> usize {
        self.requests().len()
    }

    /// The server's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads up to the end of a request's head (GET requests only: no body), and returns it.
fn read_request_head(stream: &mut std::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

/// The reliability page's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../docs/reliability.md")]
pub struct ReliabilityExamples;

/// An observer that keeps the kinds of the warnings it hears, for assertions.
#[derive(Debug, Clone, Default)]
pub struct WarningLog(std::sync::Arc<std::sync::Mutex<Vec<files_client::WarningKind>>>);

impl WarningLog {
    /// The kinds heard so far, in order.
    pub fn kinds(&self) -> Vec<files_client::WarningKind> {
        self.0.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

impl files_client::Observer for WarningLog {
    fn warning(&self, warning: &files_client::UploadWarning) {
        if let Ok(mut kinds) = self.0.lock() {
            kinds.push(warning.kind);
        }
    }
}

/// The requests that posted an Upload's parts to `emulator`.
pub fn part_requests(emulator: &Emulator) -> Vec<files_emulator::RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/parts"))
        .collect()
}
