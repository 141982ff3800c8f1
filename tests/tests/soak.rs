//! The soak, test-sized: 32 clients on both transports, a few operations each, under a seeded
//! random fault plan. `cargo xtask soak` runs a longer one (the `#[ignore]`d test below).
//! `SOAK_SEED` replays a seed's plan and workload.

use std::time::{SystemTime, UNIX_EPOCH};

use files_tests::soak::{self, SoakConfig};

/// The seed from `SOAK_SEED`, else from the clock (printed either way).
fn seed() -> u64 {
    std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn thirty_two_clients_under_random_faults_lose_nothing() {
    let seed = seed();
    eprintln!("soak seed {seed} (rerun with SOAK_SEED={seed})");
    let report = soak::run(SoakConfig {
        seed,
        clients: 32,
        operations_per_client: 5,
        max_file: 1024 * 1024,
    });
    eprintln!("{report}");
    assert!(report.faults_fired > 0, "the plan fired: {report}");
    assert!(report.successes > 0, "{report}");
}

/// The long soak; `cargo xtask soak` runs it in release mode.
#[test]
#[ignore = "long: run with cargo xtask soak"]
fn long_soak() {
    let seed = seed();
    eprintln!("soak seed {seed} (rerun with SOAK_SEED={seed})");
    let report = soak::run(SoakConfig {
        seed,
        clients: env_or("SOAK_CLIENTS", 32),
        operations_per_client: env_or("SOAK_OPERATIONS", 60),
        max_file: env_or("SOAK_MAX_FILE", 16 * 1024 * 1024),
    });
    println!("{report}");
}
