//! The soak, test-sized: 32 clients on both transports, a few operations each, under a seeded
//! random fault plan. `cargo test` runs a fixed seed (so every run tests the same plan and a
//! failure replays); `cargo xtask soak` runs a longer one from the clock's seed (the
//! `#[ignore]`d test below). `SOAK_SEED` replays a seed's plan and workload in either.

use std::time::{SystemTime, UNIX_EPOCH};

use files_emulator::FaultAction;
use files_tests::soak::{self, SoakConfig, fault_plan};

/// The seed of the test-sized soak. Its plan cuts answers after an upload was stored (so
/// clients must find the stored file instead of sending it again), after a delete was done (so retries
/// meet 404s) and mid-download (so downloads resume); `the_fixed_seed_draws_the_faults_that_matter`
/// holds it to that.
const FIXED_SEED: u64 = 20261218;

/// `SOAK_SEED`, else `default`.
fn seed_or(default: impl FnOnce() -> u64) -> u64 {
    match std::env::var("SOAK_SEED") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("SOAK_SEED={text:?} is not a whole number")),
        Err(_) => default(),
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn thirty_two_clients_under_random_faults_lose_nothing() {
    let seed = seed_or(|| FIXED_SEED);
    let report = soak::run(SoakConfig::new(seed, 32, 5, 1024 * 1024))
        .unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!("{report}");
    assert_eq!(report.audit.lost, 0, "{report}");
    // The plan cuts answers after the file was stored: the clients found those files again
    // instead of sending them twice, and no client left a duplicate.
    assert_eq!(report.audit.duplicates, 0, "{report}");
    assert!(
        report.found_again > 0,
        "no lost answer's file was found again: {report}"
    );
    assert!(report.faults_fired > 0, "the plan fired: {report}");
    assert!(
        report.files_kept > 0,
        "some files were kept to check: {report}"
    );
    assert_eq!(
        report.operations.values().sum::<u64>(),
        32 * 5,
        "every operation ran: {report}"
    );
}

#[test]
fn the_fixed_seed_draws_the_faults_that_matter() {
    let plan = fault_plan(&mut soak::Rng::new(FIXED_SEED));
    let cut_answer = |method: &str| {
        plan.iter().any(|f| {
            f.method.as_deref() == Some(method)
                && matches!(f.action, FaultAction::CutAfterResponseBytes(_))
        })
    };
    assert!(cut_answer("POST"), "no upload's answer is cut: {plan:?}");
    assert!(cut_answer("DELETE"), "no delete's answer is cut: {plan:?}");
    assert!(
        plan.iter()
            .any(|f| f.path.as_deref() == Some("/files/*/content")
                && matches!(f.action, FaultAction::CutAfterResponseBytes(_))),
        "no download is cut: {plan:?}"
    );
}

/// The audit is not a formality: a server that loses a stored file fails the soak, naming it.
#[test]
fn a_server_that_loses_a_file_fails_the_soak() {
    let mut config = SoakConfig::new(FIXED_SEED, 4, 4, 64 * 1024);
    config.lose_a_file = true;
    let failure = soak::run(config).expect_err("a lost file fails the soak");
    assert_eq!(failure.report.audit.lost, 1, "{failure}");
    let lost: Vec<_> = failure
        .problems
        .iter()
        .filter(|p| p.starts_with("lost: "))
        .collect();
    assert_eq!(lost.len(), 1, "{failure}");
    assert_eq!(
        failure.problems.len(),
        1,
        "nothing but the lost file: {failure}"
    );
    assert!(
        lost[0].ends_with("was stored, never deleted, and is gone"),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(
        text.contains(&format!("SOAK_SEED={FIXED_SEED}")),
        "the failure says how to replay it: {text}"
    );
}

/// The long soak; `cargo xtask soak` runs it in release mode, from the clock's seed unless
/// `--seed` is given.
#[test]
#[ignore = "long: run with cargo xtask soak"]
fn long_soak() {
    let seed = seed_or(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("soak seed {seed} (rerun with cargo xtask soak --seed {seed})");
    let report = soak::run(SoakConfig::new(
        seed,
        env_or("SOAK_CLIENTS", 32),
        env_or("SOAK_OPERATIONS", 60),
        env_or("SOAK_MAX_FILE", 16 * 1024 * 1024),
    ))
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(report.audit.lost, 0, "{report}");
    assert_eq!(report.audit.duplicates, 0, "{report}");
    println!("{report}");
}
