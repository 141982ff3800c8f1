//! The seeded randomness of a soak: the generator and the fault plan it draws.

use std::time::Duration;

use files_emulator::Fault;

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

    /// A number below `bound` (0 when `bound` is 0).
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
                // Stored, but the answer is lost: the client must find the file, not send it
                // again.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_draws_the_same_plan_every_time() {
        let plan = |seed| fault_plan(&mut Rng::new(seed));
        assert_eq!(plan(7), plan(7));
        assert_ne!(plan(7), plan(8));
        assert_eq!(plan(7).len(), 8, "two faults on each of four routes");
    }
}
