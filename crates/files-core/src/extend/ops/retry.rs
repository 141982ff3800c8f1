//! When to retry, and how long to wait first: the official SDKs' rules as one pure function.
//!
//! - Retried: connection failures, timeouts, transfers cut mid-way, and the statuses 408, 409,
//!   429 and 5xx; the server's `x-should-retry: true|false` overrides the status rule; a 429
//!   whose error type or code is `insufficient_quota` is never retried
//!   ([`Error::is_retryable`]).
//! - At most `max_retries` retries (2 by default).
//! - The wait: the server's `retry-after-ms`, else `retry-after` (seconds or an HTTP date);
//!   if it asks for more than [`MAX_REQUESTED_WAIT`] the failure is not retried and the error
//!   says what was asked; if it asks for nothing (or zero), `min(0.5 s · 2ⁿ, 8 s)` times a
//!   random factor in (0.75, 1], n being the retries so far.
//! - A body whose one-shot reader or stream an attempt has taken cannot be sent again: the
//!   failure is not retried and the error says why.

use std::time::Duration;

use crate::error::Error;

/// The longest wait a server may ask for and still get a retry.
pub(crate) const MAX_REQUESTED_WAIT: Duration = Duration::from_secs(120);
/// The first backoff, before jitter.
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// The longest backoff, before jitter.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// What to do about a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Try again after `wait`.
    Retry {
        /// How long to wait first.
        wait: Duration,
    },
    /// Give up. `note` says why, when a retryable failure is not retried for a reason other
    /// than a spent budget.
    Stop {
        /// Why not, when it is not obvious.
        note: Option<String>,
    },
}

/// Whether `error` is a rate limit whose wait the server named (a `429` with `retry-after`):
/// a pause every request of the client should keep, not only the one that met it.
pub(crate) fn holds_client(error: &Error) -> bool {
    error.status() == Some(429) && error.retry_after().is_some_and(|w| !w.is_zero())
}

/// Judges a failed attempt: `retries` is how many retries came before it, `replayable`
/// whether the body can be sent again, and `random` the driver's random number (for the
/// jitter).
pub(crate) fn judge(
    error: &Error,
    retries: u32,
    max_retries: u32,
    replayable: bool,
    random: u128,
) -> Verdict {
    if !error.is_retryable() || retries >= max_retries {
        return Verdict::Stop { note: None };
    }
    let requested = error.retry_after();
    if let Some(wait) = requested.filter(|w| *w > MAX_REQUESTED_WAIT) {
        return Verdict::Stop {
            note: Some(format!(
                "the server asked to wait {} s before trying again, longer than the {} s the \
                 client waits; try again later",
                wait.as_secs_f64().ceil(),
                MAX_REQUESTED_WAIT.as_secs()
            )),
        };
    }
    if !replayable {
        return Verdict::Stop {
            note: Some(
                "the upload's reader or stream was consumed by the failed attempt and cannot be \
                 sent again; upload from a path or from bytes to let the client retry"
                    .to_owned(),
            ),
        };
    }
    let wait = match requested {
        Some(wait) if !wait.is_zero() => wait,
        _ => backoff(retries, random),
    };
    Verdict::Retry { wait }
}

/// The backoff before retry number `retries + 1`: `min(0.5 s · 2^retries, 8 s)` times a
/// factor in (0.75, 1] drawn from `random`.
pub(crate) fn backoff(retries: u32, random: u128) -> Duration {
    let base = INITIAL_BACKOFF
        .saturating_mul(2u32.saturating_pow(retries))
        .min(MAX_BACKOFF);
    // Take away a random part of a quarter, in whole nanoseconds: `fraction` is the top 64
    // random bits over 2^64, in [0, 1), so the part taken is under a quarter and the wait is
    // in (0.75, 1] of the base, exactly.
    let quarter = base.as_nanos() / 4;
    let taken = (quarter * (random >> 64)) >> 64;
    base - Duration::from_nanos(taken as u64)
}

/// A short description of what failed, for retry notices and traces.
pub fn reason(error: &Error) -> String {
    match error {
        Error::Api(e) => {
            let status = http::StatusCode::from_u16(e.status).ok();
            let text = status.and_then(|s| s.canonical_reason()).unwrap_or("");
            format!("HTTP {} {text}", e.status).trim_end().to_owned()
        }
        Error::Transport(e) => e.kind.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, LocalFileError, LocalFileOp, TransportError, TransportErrorKind};

    fn api(status: u16) -> ApiError {
        ApiError::new(status, "m")
    }

    fn transport(kind: TransportErrorKind) -> Error {
        TransportError::new(kind, "m").into()
    }

    /// One row of the rule table: what it checks, the failure, the retries so far, the
    /// budget, whether the body can be re-sent, and the wait expected (`None`: no retry).
    type Row = (&'static str, Error, u32, u32, bool, Option<Duration>);

    /// Every rule, one row each.
    #[test]
    fn every_rule() {
        let with = |status: u16, f: fn(&mut ApiError)| {
            let mut e = api(status);
            f(&mut e);
            Error::from(e)
        };
        let secs = Duration::from_secs;
        // `random = 0` gives the full backoff (factor 1).
        let rows: Vec<Row> = vec![
            (
                "connect",
                transport(TransportErrorKind::Connect),
                0,
                2,
                true,
                Some(secs(1) / 2),
            ),
            (
                "timeout",
                transport(TransportErrorKind::Timeout),
                0,
                2,
                true,
                Some(secs(1) / 2),
            ),
            (
                "cut transfer",
                transport(TransportErrorKind::Io),
                1,
                2,
                true,
                Some(secs(1)),
            ),
            (
                "unsupported",
                transport(TransportErrorKind::Unsupported),
                0,
                2,
                true,
                None,
            ),
            (
                "other client error",
                transport(TransportErrorKind::Other),
                0,
                2,
                true,
                None,
            ),
            ("408", api(408).into(), 0, 2, true, Some(secs(1) / 2)),
            ("409", api(409).into(), 0, 2, true, Some(secs(1) / 2)),
            ("429", api(429).into(), 0, 2, true, Some(secs(1) / 2)),
            ("500", api(500).into(), 0, 2, true, Some(secs(1) / 2)),
            (
                "503, second retry",
                api(503).into(),
                1,
                2,
                true,
                Some(secs(1)),
            ),
            ("599", api(599).into(), 0, 2, true, Some(secs(1) / 2)),
            ("400", api(400).into(), 0, 2, true, None),
            ("401", api(401).into(), 0, 2, true, None),
            ("404", api(404).into(), 0, 2, true, None),
            ("budget spent", api(503).into(), 2, 2, true, None),
            ("retries off", api(503).into(), 0, 0, true, None),
            (
                "x-should-retry: false on 503",
                with(503, |e| e.should_retry = Some(false)),
                0,
                2,
                true,
                None,
            ),
            (
                "x-should-retry: true on 400",
                with(400, |e| e.should_retry = Some(true)),
                0,
                2,
                true,
                Some(secs(1) / 2),
            ),
            (
                "quota spent (code)",
                with(429, |e| e.code = Some("insufficient_quota".into())),
                0,
                2,
                true,
                None,
            ),
            (
                "quota spent (type)",
                with(429, |e| e.error_type = Some("insufficient_quota".into())),
                0,
                2,
                true,
                None,
            ),
            (
                "retry-after honoured",
                with(429, |e| e.retry_after = Some(Duration::from_secs(3))),
                0,
                2,
                true,
                Some(secs(3)),
            ),
            (
                "retry-after of 120 s",
                with(503, |e| e.retry_after = Some(Duration::from_secs(120))),
                0,
                2,
                true,
                Some(secs(120)),
            ),
            (
                "retry-after over 120 s",
                with(503, |e| e.retry_after = Some(Duration::from_secs(121))),
                0,
                2,
                true,
                None,
            ),
            (
                "retry-after zero: backoff",
                with(503, |e| e.retry_after = Some(Duration::ZERO)),
                0,
                2,
                true,
                Some(secs(1) / 2),
            ),
            ("one-shot body taken", api(503).into(), 0, 2, false, None),
            (
                "local file failure",
                LocalFileError::new(
                    LocalFileOp::Read,
                    "f",
                    std::io::ErrorKind::UnexpectedEof.into(),
                )
                .into(),
                0,
                2,
                true,
                None,
            ),
        ];
        for (what, error, retries, max, replayable, expected) in rows {
            let verdict = judge(&error, retries, max, replayable, 0);
            let got = match verdict {
                Verdict::Retry { wait } => Some(wait),
                Verdict::Stop { .. } => None,
            };
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn a_stop_for_a_reason_says_it() {
        let mut e = api(503);
        e.retry_after = Some(Duration::from_secs(300));
        let Verdict::Stop { note: Some(note) } = judge(&e.into(), 0, 2, true, 0) else {
            panic!()
        };
        assert!(note.contains("asked to wait 300 s"), "{note}");
        let Verdict::Stop { note: Some(note) } = judge(&api(503).into(), 0, 2, false, 0) else {
            panic!()
        };
        assert!(note.contains("upload from a path or from bytes"), "{note}");
        assert_eq!(
            judge(&api(503).into(), 2, 2, true, 0),
            Verdict::Stop { note: None }
        );
    }

    #[test]
    fn backoff_doubles_to_eight_seconds_with_jitter_in_range() {
        let full: Vec<f64> = (0..6).map(|n| backoff(n, 0).as_secs_f64()).collect();
        assert_eq!(full, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]);
        assert_eq!(backoff(40, 0), MAX_BACKOFF, "no overflow for large n");
        for random in [1u128, u128::MAX / 3, u128::MAX / 2, u128::MAX] {
            let wait = backoff(0, random);
            assert!(
                wait > Duration::from_millis(375) && wait <= Duration::from_millis(500),
                "{wait:?}"
            );
        }
        assert_eq!(
            backoff(1, 1 << 127),
            Duration::from_millis(875),
            "half a quarter off"
        );
        assert_eq!(
            backoff(3, u128::MAX),
            Duration::from_nanos(3_000_000_001),
            "the factor tends to 0.75 but never reaches it"
        );
    }

    #[test]
    fn reasons_are_short() {
        assert_eq!(reason(&api(503).into()), "HTTP 503 Service Unavailable");
        assert_eq!(reason(&api(599).into()), "HTTP 599");
        assert_eq!(reason(&transport(TransportErrorKind::Timeout)), "timed out");
    }

    #[test]
    fn only_a_429_that_names_its_wait_holds_the_whole_client() {
        let named = |status: u16, wait: Option<Duration>| {
            let mut e = api(status);
            e.retry_after = wait;
            Error::from(e)
        };
        assert!(holds_client(&named(429, Some(Duration::from_secs(2)))));
        assert!(!holds_client(&named(429, None)), "a backoff of its own");
        assert!(!holds_client(&named(429, Some(Duration::ZERO))));
        assert!(!holds_client(&named(503, Some(Duration::from_secs(2)))));
        assert!(!holds_client(&transport(TransportErrorKind::Timeout)));
    }
}
