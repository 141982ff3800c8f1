//! A seeded soak: many clients on both transports upload, list, download and delete files of
//! random sizes against one emulator under a random fault plan, and nothing is lost.
//!
//! Every operation must end in success — a download byte-identical to what was sent — or in
//! an error the fault plan explains. All clients share one record of what
//! they were told; at the end it is held against the emulator: every file whose upload
//! succeeded and whose delete was never tried must be listed and download byte-identical
//! (none lost), no deleted file may be listed again, no file may be stored twice (a client
//! whose answer was lost finds the stored file before it sends again), and no temporary file
//! may remain on either side. [`run`] returns the counts, or every problem
//! found with the seed to replay it. The fault plan and each client's choices come from the
//! seed; the interleaving of the clients does not, so a seed reproduces the plan and the
//! workload, not the exact order of events.

mod plan;
mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use files_client::{
    Error, ListParams, Observer, Purpose, RequestOptions, RetryNotice, UploadRequest,
};
use files_emulator::{Dialect, Emulator};

pub use plan::{Rng, fault_plan};
pub use record::Audit;
use record::{Record, Retried, explained, is_answered};

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
    /// Play a server that loses data: once the clients are done, one stored file that nobody
    /// deleted is removed behind their backs, so the audit must report it lost. For the test
    /// that shows the soak can fail; `false` in every real soak.
    pub lose_a_file: bool,
}

impl SoakConfig {
    /// A soak of `clients` clients doing `operations_per_client` operations each on files up
    /// to `max_file` bytes, from `seed`.
    pub fn new(seed: u64, clients: usize, operations_per_client: usize, max_file: usize) -> Self {
        SoakConfig {
            seed,
            clients,
            operations_per_client,
            max_file,
            lose_a_file: false,
        }
    }
}

/// What a soak did.
#[derive(Debug, Default)]
pub struct SoakReport {
    /// The seed it ran with.
    pub seed: u64,
    /// Operations performed, by name.
    pub operations: BTreeMap<&'static str, u64>,
    /// Failures, by kind (`api 503`, `transport timed out`, …); each one explained by the plan.
    pub failures: BTreeMap<String, u64>,
    /// Faults the emulator fired.
    pub faults_fired: u64,
    /// Retries the clients announced (resumed downloads included).
    pub retries: u64,
    /// Uploads whose answer was lost after the server stored the file, found by the client's
    /// look instead of being sent again.
    pub found_again: u64,
    /// Files the emulator held at the end, each downloaded and compared.
    pub files_checked: usize,
    /// Files stored and never deleted (each listed and identical at the end, or lost).
    pub files_kept: usize,
    /// What the audit counted: lost files, duplicates, unexplained duplicates.
    pub audit: Audit,
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
        writeln!(
            f,
            "  faults fired: {}, retries: {}, lost answers whose file was found again: {}",
            self.faults_fired, self.retries, self.found_again
        )?;
        let failures: Vec<String> = self
            .failures
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(
            f,
            "  failures, each explained by the plan: {} ({})",
            self.failures.values().sum::<u64>(),
            if failures.is_empty() {
                "none".to_owned()
            } else {
                failures.join(", ")
            }
        )?;
        writeln!(
            f,
            "  files at the end, each downloaded and identical: {} ({} stored and never deleted)",
            self.files_checked, self.files_kept
        )?;
        write!(
            f,
            "  lost: {}, duplicates: {} (unexplained by an unanswered attempt: {})",
            self.audit.lost, self.audit.duplicates, self.audit.unexplained_duplicates
        )
    }
}

/// A soak that found something wrong: every problem, the report, and how to replay it.
#[derive(Debug)]
pub struct SoakFailure {
    /// Everything found wrong, in words.
    pub problems: Vec<String>,
    /// What the soak did.
    pub report: SoakReport,
}

impl fmt::Display for SoakFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seed = self.report.seed;
        writeln!(
            f,
            "the soak with seed {seed} found {} problem(s) (replay: SOAK_SEED={seed}, or \
             cargo xtask soak --seed {seed}):",
            self.problems.len()
        )?;
        for problem in self.problems.iter().take(20) {
            writeln!(f, "  - {problem}")?;
        }
        if self.problems.len() > 20 {
            writeln!(f, "  … and {} more", self.problems.len() - 20)?;
        }
        write!(f, "{}", self.report)
    }
}

/// Counts every retry notice and every file found again after a lost answer, and keeps the
/// retries of the operation a client is running.
#[derive(Default)]
struct Retries {
    total: Arc<AtomicU64>,
    found_again: Arc<AtomicU64>,
    current: Mutex<Retried>,
}

impl Retries {
    /// What the retries of the operation since the last call said, and a fresh start.
    fn take(&self) -> Retried {
        std::mem::take(&mut *self.current.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Observer for Retries {
    fn reconciled(&self, notice: &files_client::ReconcileNotice) {
        if notice.found.is_some() {
            self.found_again.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn retrying(&self, notice: &RetryNotice) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.retries += 1;
        // An HTTP answer reads "HTTP 503 …"; anything else is a cut or a timeout.
        if !notice.reason.starts_with("HTTP ") {
            current.unanswered += 1;
        }
    }
}

/// Runs a soak; `Ok` only when nothing was lost, corrupted, duplicated, or
/// left behind, and every failure is one the fault plan explains.
pub fn run(config: SoakConfig) -> Result<SoakReport, Box<SoakFailure>> {
    let started = Instant::now();
    let mut rng = Rng::new(config.seed);
    let emulator = Emulator::start(Dialect::openai()).expect("the emulator starts");
    for fault in fault_plan(&mut rng) {
        emulator.inject(fault);
    }
    let record = Record::default();
    let total_retries = Arc::new(AtomicU64::new(0));
    let found_again = Arc::new(AtomicU64::new(0));

    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..config.clients)
            .map(|n| {
                let wire = if n % 2 == 0 {
                    Wire::OpenAiUreq
                } else {
                    Wire::OpenAiReqwest
                };
                let retries = Arc::new(Retries {
                    total: total_retries.clone(),
                    found_again: found_again.clone(),
                    ..Retries::default()
                });
                let options = RequestOptions::new()
                    .observer(retries.clone())
                    .idle_timeout(Duration::from_secs(10));
                let api = Setup::api_with(wire, &emulator.base_url(), emulator.api_key(), options);
                let record = &record;
                let seed = rng.next_u64();
                scope.spawn(move || client(n, api, &retries, Rng::new(seed), config, record))
            })
            .collect();
        for (n, client) in clients.into_iter().enumerate() {
            if let Err(panic) = client.join() {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                record.problem(format!("client {n} panicked: {message}"));
            }
        }
    });

    // The world as it is now, held against what the clients were told.
    emulator.clear_faults();
    let checker = Setup::api_for(Wire::OpenAiUreq, &emulator.base_url(), emulator.api_key());
    let kept = record.kept();
    if config.lose_a_file
        && let Some((id, _)) = kept.first()
    {
        checker.delete(id).expect("losing a file on purpose");
    }
    let files: Vec<_> = checker
        .list_all(&ListParams::new())
        .collect::<Result<_, _>>()
        .expect("the listing after the soak");
    let mut audit = Audit::default();
    record.audit(&files, &mut audit);
    let dir = tempfile::tempdir().expect("a temp dir");
    for file in &files {
        let Some(want) = record.hash_of(&file.filename) else {
            continue; // reported by the audit
        };
        let dest = dir.path().join("check.bin");
        match checker.download_to_path(&file.id, &dest) {
            Ok(_) if sha256_file(&dest) == want => {}
            Ok(_) => record.problem(format!(
                "corrupted: {} ({}) is not what was sent",
                file.id, file.filename
            )),
            Err(e) => record.problem(format!(
                "{} ({}) is listed but does not download: {e}",
                file.id, file.filename
            )),
        }
    }
    let stored: BTreeSet<String> = std::fs::read_dir(emulator.storage_path())
        .expect("the emulator's storage")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let listed: BTreeSet<String> = files.iter().map(|f| f.id.clone()).collect();
    let unlisted: Vec<_> = stored.difference(&listed).collect();
    if !unlisted.is_empty() {
        record.problem(format!(
            "the emulator's storage holds files it does not list (an upload half-written or a \
             record dropped): {unlisted:?}"
        ));
    }

    let (operations, failures, problems) = record.totals();
    let report = SoakReport {
        seed: config.seed,
        operations,
        failures,
        faults_fired: emulator.faults_fired(),
        retries: total_retries.load(Ordering::Relaxed),
        found_again: found_again.load(Ordering::Relaxed),
        files_checked: files.len(),
        files_kept: kept.len(),
        audit,
        elapsed: started.elapsed(),
    };
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(Box::new(SoakFailure { problems, report }))
    }
}

/// A file a client uploaded and may still hold.
struct Owned {
    id: String,
    name: String,
}

/// One client's share: random operations on its own files, each checked.
fn client(
    n: usize,
    api: files_cli::Api,
    retries: &Retries,
    mut rng: Rng,
    config: SoakConfig,
    record: &Record,
) {
    let dir = tempfile::tempdir().expect("a client's temp dir");
    let mut owned: Vec<Owned> = Vec::new();
    for op in 0..config.operations_per_client {
        let choice = if owned.is_empty() { 0 } else { rng.below(100) };
        retries.take();
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
                record.sending(&name, &hash);
                let result = api.create(UploadRequest::from_path(&source, Purpose::BATCH));
                record.uploaded(&name, &result, retries.take());
                record.tally(
                    "upload",
                    &result,
                    result.as_ref().is_err_and(|e| explained(e, false)),
                );
                if let Ok(file) = result {
                    if (file.bytes, &file.filename) != (size as u64, &name) {
                        record.problem(format!(
                            "{name} ({size} bytes) was stored as {} ({} bytes)",
                            file.filename, file.bytes
                        ));
                    }
                    owned.push(Owned { id: file.id, name });
                }
                std::fs::remove_file(&source).expect("remove the sample");
            }
            40..55 => {
                let result: Result<Vec<_>, _> = api.list_all(&ListParams::new()).collect();
                record.tally(
                    "list",
                    &result,
                    result.as_ref().is_err_and(|e| explained(e, false)),
                );
            }
            55..85 => {
                let file = &owned[rng.below(owned.len() as u64) as usize];
                let dest = dir.path().join("download.bin");
                let result = api.download_to_path(&file.id, &dest);
                // A 404 is explained only for a file whose delete was tried.
                let gone = record.delete_was_tried(&file.id);
                record.tally(
                    "download",
                    &result,
                    result.as_ref().is_err_and(|e| explained(e, gone)),
                );
                match result {
                    Ok(_) => {
                        if Some(sha256_file(&dest)) != record.hash_of(&file.name) {
                            record.problem(format!("{} came back different", file.name));
                        }
                        std::fs::remove_file(&dest).expect("remove the download");
                    }
                    Err(_) if dest.exists() => {
                        record.problem(format!("a failed download left {dest:?}"));
                        std::fs::remove_file(&dest).expect("remove the leftover");
                    }
                    Err(_) => {}
                }
            }
            _ => {
                let index = rng.below(owned.len() as u64) as usize;
                let id = owned[index].id.clone();
                // A 404 is explained when an earlier delete of it was tried, or when this one
                // was retried after an attempt whose answer was lost.
                let tried_before = record.delete_was_tried(&id);
                record.deleting(&id);
                let result = api.delete(&id);
                let unanswered = retries.take().unanswered > 0;
                let gone = |e: &Error| e.status() == Some(404) && is_answered(e);
                record.tally(
                    "delete",
                    &result,
                    result
                        .as_ref()
                        .is_err_and(|e| explained(e, tried_before || unanswered)),
                );
                match result {
                    Ok(_) => {
                        record.deleted(&id);
                        owned.swap_remove(index);
                    }
                    Err(e) if gone(&e) => {
                        // Deleted by an earlier attempt: it must not come back either.
                        record.deleted(&id);
                        owned.swap_remove(index);
                    }
                    Err(_) => {}
                }
            }
        }
        if let Err(left) = no_leftovers(dir.path()) {
            record.problem(left);
        }
    }
}

/// Nothing is left in a client's directory between operations; what was left is removed and
/// named.
fn no_leftovers(dir: &Path) -> Result<(), String> {
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("a client's directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    for path in &left {
        let _ = std::fs::remove_file(path);
    }
    Err(format!("left behind: {left:?}"))
}
