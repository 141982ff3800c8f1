//! A seeded soak: many clients on both transports upload, list, download and delete files of
//! random sizes against one emulator under a random fault plan, and nothing is lost.
//!
//! Every operation must end in success — a download byte-identical to what was sent — or in
//! a typed error; afterwards every file the emulator lists must download identical to what
//! was sent, and no temporary file may remain on either side. [`run`] asserts all of it and
//! returns the counts. The fault plan and each client's choices come from the seed; the
//! interleaving of the clients does not, so a seed reproduces the plan and the workload, not
//! the exact order of events.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use files_client::{
    Error, ListParams, Observer, Purpose, RequestOptions, RetryNotice, UploadRequest,
};
use files_emulator::{Dialect, Emulator, Fault};

use crate::{Setup, Wire, sha256_file, write_sample};

/// How big a soak is.
#[derive(Debug, Clone, Copy)]
pub struct SoakConfig {
    /// The seed of the fault plan and of every client's choices.
    pub seed: u64,
    /// Clients running at once, alternately blocking (ureq) and async (reqwest).
    pub clients: usize,
    /// Operations each client performs.
    pub operations_per_client: usize,
    /// The largest file uploaded, in bytes.
    pub max_file: usize,
}

/// What a soak did.
#[derive(Debug, Default)]
pub struct SoakReport {
    /// The seed it ran with.
    pub seed: u64,
    /// Operations performed, by name.
    pub operations: BTreeMap<&'static str, u64>,
    /// Operations that succeeded.
    pub successes: u64,
    /// Failures, by kind (`api 503`, `transport timed out`, …).
    pub failures: BTreeMap<String, u64>,
    /// Faults the emulator fired.
    pub faults_fired: u64,
    /// Retries the clients announced (resumed downloads included).
    pub retries: u64,
    /// Files the emulator held at the end, each downloaded and compared.
    pub files_checked: usize,
    /// How long it took.
    pub elapsed: Duration,
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.operations.values().sum();
        writeln!(
            f,
            "soak seed {} ({:.1} s)",
            self.seed,
            self.elapsed.as_secs_f64()
        )?;
        let ops: Vec<String> = self
            .operations
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(f, "  operations: {total} ({})", ops.join(", "))?;
        writeln!(f, "  succeeded: {}", self.successes)?;
        writeln!(
            f,
            "  faults fired: {}, retries: {}",
            self.faults_fired, self.retries
        )?;
        let failures: Vec<String> = self
            .failures
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(
            f,
            "  failures (typed errors): {} ({})",
            self.failures.values().sum::<u64>(),
            if failures.is_empty() {
                "none".to_owned()
            } else {
                failures.join(", ")
            }
        )?;
        write!(
            f,
            "  files at the end, each downloaded and identical: {}",
            self.files_checked
        )
    }
}

/// SplitMix64: a small seeded generator, so a seed means the same plan everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `range`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

/// A random fault plan: two faults on each route, each firing for every 3rd to 9th matching
/// request, for the whole soak.
pub fn fault_plan(rng: &mut Rng) -> Vec<Fault> {
    let busy = |rng: &mut Rng, status: u16| {
        Fault::status(
            status,
            serde_json::json!({"error": {"message": "soak: busy"}}),
        )
        .with_header("retry-after-ms", (1 + rng.below(20)).to_string())
    };
    let delay = |rng: &mut Rng| Fault::delay(Duration::from_millis(rng.below(40)));
    let mut plan = Vec::new();
    let routes: [(&str, &str); 4] = [
        ("POST", "/files"),
        ("GET", "/files"),
        ("GET", "/files/*/content"),
        ("DELETE", "/files/*"),
    ];
    for (method, path) in routes {
        for _ in 0..2 {
            let fault = match (method, path, rng.below(4)) {
                ("POST", _, 0) => Fault::cut_after_request_bytes(rng.below(64 * 1024)),
                // Stored, but the answer is lost: the retry uploads a second copy.
                ("POST", _, 1) => Fault::cut_after_response_bytes(rng.below(40)),
                ("GET", "/files/*/content", 0 | 1) => {
                    Fault::cut_after_response_bytes(1 + rng.below(256 * 1024))
                }
                // Deleted, but the answer is lost: the retry is told the file is gone.
                ("DELETE", _, 0) => Fault::cut_after_response_bytes(0),
                (_, _, 2) => delay(rng),
                (_, _, _) if rng.below(2) == 0 => Fault::html_bad_gateway(),
                (_, _, _) => {
                    let status = if rng.below(2) == 0 { 503 } else { 429 };
                    busy(rng, status)
                }
            };
            let every = 3 + u32::try_from(rng.below(7)).unwrap_or(0);
            plan.push(fault.on(method, path).every(every).times(u32::MAX));
        }
    }
    plan
}

/// Counts retry notices.
#[derive(Default)]
struct Retries(AtomicU64);

impl Observer for Retries {
    fn retrying(&self, _notice: &RetryNotice) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// What every client shares: the hash each file name should have, and the tallies.
#[derive(Default)]
struct Shared {
    expected: Mutex<HashMap<String, String>>,
    operations: Mutex<BTreeMap<&'static str, u64>>,
    successes: AtomicU64,
    failures: Mutex<BTreeMap<String, u64>>,
}

impl Shared {
    /// Counts an operation's outcome; panics on a failure the faults cannot explain.
    fn tally<T>(&self, operation: &'static str, result: &Result<T, Error>) {
        *self
            .operations
            .lock()
            .unwrap()
            .entry(operation)
            .or_default() += 1;
        let error = match result {
            Ok(_) => {
                self.successes.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(error) => error,
        };
        assert!(
            explained(operation, error),
            "{operation} failed in a way no fault explains: {error:?}"
        );
        let kind = match error {
            Error::Api(e) => format!("{operation}: api {}", e.status),
            Error::Transport(e) => format!("{operation}: transport {}", e.kind),
            other => format!("{operation}: {other}"),
        };
        *self.failures.lock().unwrap().entry(kind).or_default() += 1;
    }
}

/// The most attempts a request makes (the default two retries).
const MAX_ATTEMPTS: u32 = 3;

/// Whether the fault plan explains `error`: a `404` for a file whose deletion was answered
/// into a cut connection, or a retryable failure that met a fault on every attempt.
fn explained(operation: &str, error: &Error) -> bool {
    match error {
        Error::Api(e) if e.status == 404 => matches!(operation, "delete" | "download"),
        Error::Api(e) => (e.status == 429 || e.status >= 500) && e.attempts == MAX_ATTEMPTS,
        Error::Transport(e) => {
            matches!(
                e.kind,
                files_client::TransportErrorKind::Io
                    | files_client::TransportErrorKind::Timeout
                    | files_client::TransportErrorKind::Connect
            ) && e.attempts == MAX_ATTEMPTS
        }
        _ => false,
    }
}

/// Runs a soak, asserting that nothing is lost, corrupted or left behind.
pub fn run(config: SoakConfig) -> SoakReport {
    let started = Instant::now();
    let mut rng = Rng::new(config.seed);
    let emulator = Emulator::start(Dialect::OpenAi).expect("the emulator starts");
    for fault in fault_plan(&mut rng) {
        emulator.inject(fault);
    }
    let shared = Arc::new(Shared::default());
    let retries = Arc::new(Retries::default());
    let options = RequestOptions::new()
        .observer(retries.clone())
        .idle_timeout(Duration::from_secs(10));

    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..config.clients)
            .map(|n| {
                let wire = if n % 2 == 0 {
                    Wire::OpenAiUreq
                } else {
                    Wire::OpenAiReqwest
                };
                let api = Setup::api_with(
                    wire,
                    &emulator.base_url(),
                    emulator.api_key(),
                    options.clone(),
                );
                let shared = shared.clone();
                let seed = rng.next_u64();
                scope.spawn(move || client(n, api, Rng::new(seed), config, &shared))
            })
            .collect();
        for client in clients {
            client.join().expect("a client panicked");
        }
    });

    // The world as it is now: every stored file downloads identical to what was sent.
    emulator.clear_faults();
    let checker = Setup::api_for(Wire::OpenAiUreq, &emulator.base_url(), emulator.api_key());
    let dir = tempfile::tempdir().expect("a temp dir");
    let files: Vec<_> = checker
        .list_all(&ListParams::new())
        .collect::<Result<_, _>>()
        .expect("the listing after the soak");
    let expected = shared.expected.lock().unwrap().clone();
    for file in &files {
        let want = expected
            .get(&file.filename)
            .unwrap_or_else(|| panic!("the emulator holds {} that nobody sent", file.filename));
        let dest = dir.path().join("check.bin");
        checker
            .download_to_path(&file.id, &dest)
            .expect("a download after the soak");
        assert_eq!(
            &sha256_file(&dest),
            want,
            "{} is not what was sent",
            file.filename
        );
    }
    let stored: Vec<String> = std::fs::read_dir(emulator.storage_path())
        .expect("the emulator's storage")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        stored.len(),
        files.len(),
        "the emulator keeps exactly the files it lists: {stored:?}"
    );

    SoakReport {
        seed: config.seed,
        operations: shared.operations.lock().unwrap().clone(),
        successes: shared.successes.load(Ordering::Relaxed),
        failures: shared.failures.lock().unwrap().clone(),
        faults_fired: emulator.faults_fired(),
        retries: retries.0.load(Ordering::Relaxed),
        files_checked: files.len(),
        elapsed: started.elapsed(),
    }
}

/// One client's share: random operations on its own files, each checked.
fn client(n: usize, api: files_cli::Api, mut rng: Rng, config: SoakConfig, shared: &Shared) {
    let dir = tempfile::tempdir().expect("a client's temp dir");
    let mut owned: Vec<(String, String)> = Vec::new();
    for op in 0..config.operations_per_client {
        let choice = if owned.is_empty() { 0 } else { rng.below(100) };
        match choice {
            0..40 => {
                let name = format!("c{n}-{op}.jsonl");
                let size = match rng.below(20) {
                    0 => 1 + rng.below(config.max_file as u64),
                    1..8 => 1 + rng.below(512 * 1024),
                    _ => 1 + rng.below(64 * 1024),
                } as usize;
                let source = dir.path().join(&name);
                let hash = write_sample(&source, size, rng.next_u64());
                shared.expected.lock().unwrap().insert(name.clone(), hash);
                let result = api.create(UploadRequest::from_path(&source, Purpose::BATCH));
                shared.tally("upload", &result);
                if let Ok(file) = result {
                    assert_eq!((file.bytes, &file.filename), (size as u64, &name));
                    owned.push((file.id, name));
                }
                std::fs::remove_file(&source).expect("remove the sample");
            }
            40..55 => {
                let result: Result<Vec<_>, _> = api.list_all(&ListParams::new()).collect();
                shared.tally("list", &result);
            }
            55..85 => {
                let (id, name) = owned[rng.below(owned.len() as u64) as usize].clone();
                let dest = dir.path().join("download.bin");
                let result = api.download_to_path(&id, &dest);
                shared.tally("download", &result);
                match result {
                    Ok(_) => {
                        let want = shared.expected.lock().unwrap().get(&name).cloned();
                        assert_eq!(Some(sha256_file(&dest)), want, "{name} came back different");
                        std::fs::remove_file(&dest).expect("remove the download");
                    }
                    Err(_) => assert!(!dest.exists(), "a failed download left {dest:?}"),
                }
            }
            _ => {
                let index = rng.below(owned.len() as u64) as usize;
                let result = api.delete(&owned[index].0);
                shared.tally("delete", &result);
                if result.is_ok() {
                    owned.swap_remove(index);
                }
            }
        }
        assert_no_leftovers(dir.path());
    }
}

/// Nothing is left in a client's directory between operations.
fn assert_no_leftovers(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("a client's directory")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
