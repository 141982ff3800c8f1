//! The environment a driver reads and waits in: the time, random numbers, and sleeping. The
//! core asks for none of these itself; a driver hands them in, and a test can hand in its
//! own (a virtual clock that records waits instead of sleeping).

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use files_core::extend::ops::Now;

/// The clock, randomness and sleep of the blocking client.
pub trait Environment: Send + Sync {
    /// The time now.
    fn now(&self) -> Now;
    /// A fresh random number (for multipart boundaries and retry jitter).
    fn random(&self) -> u128;
    /// Blocks the thread for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The clock, randomness and sleep of the async client.
#[cfg(feature = "async")]
#[async_trait::async_trait]
pub trait AsyncEnvironment: Send + Sync {
    /// The time now.
    fn now(&self) -> Now;
    /// A fresh random number (for multipart boundaries and retry jitter).
    fn random(&self) -> u128;
    /// Waits for `duration` without blocking the runtime.
    async fn sleep(&self, duration: Duration);
}

/// The real environment: the system clocks, the OS's random numbers, `std::thread::sleep`
/// for the blocking client and tokio's timer for the async one.
#[derive(Debug, Clone)]
pub struct SystemEnvironment {
    origin: Instant,
}

impl SystemEnvironment {
    /// An environment whose monotonic clock starts now.
    pub fn new() -> Self {
        SystemEnvironment {
            origin: Instant::now(),
        }
    }

    fn read_clock(&self) -> Now {
        Now {
            monotonic: self.origin.elapsed(),
            wall: SystemTime::now(),
        }
    }
}

impl Default for SystemEnvironment {
    fn default() -> Self {
        SystemEnvironment::new()
    }
}

/// 128 random bits from the OS; should it refuse, from std's randomly keyed hasher over a
/// counter and the clock (unpredictable enough for boundaries and jitter).
fn random_u128() -> u128 {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_ok() {
        return u128::from_le_bytes(bytes);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let seed = (COUNTER.fetch_add(1, Ordering::Relaxed), SystemTime::now());
    let high = state.hash_one((seed, 1u8));
    let low = state.hash_one((seed, 2u8));
    (u128::from(high) << 64) | u128::from(low)
}

impl Environment for SystemEnvironment {
    fn now(&self) -> Now {
        self.read_clock()
    }

    fn random(&self) -> u128 {
        random_u128()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[cfg(feature = "async")]
#[async_trait::async_trait]
impl AsyncEnvironment for SystemEnvironment {
    fn now(&self) -> Now {
        self.read_clock()
    }

    fn random(&self) -> u128 {
        random_u128()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_numbers_differ_and_the_clock_moves_forward() {
        let env = SystemEnvironment::new();
        assert_ne!(Environment::random(&env), Environment::random(&env));
        let a = Environment::now(&env);
        Environment::sleep(&env, Duration::from_millis(2));
        let b = Environment::now(&env);
        assert!(b.monotonic > a.monotonic);
    }
}
