//! What both drivers report as they go: one `tracing` span per operation, an event per
//! attempt (method, path, attempt, status, request id, time taken) and per pause. Never a key
//! (headers are not logged) or a body.

use std::time::Duration;

use files_core::extend::ops::{Attempt, Now, Pause, PauseCause, failure_reason};
use files_core::{Error, TransportError};
use http::response::Parts;

/// The span an operation runs in.
pub(crate) fn operation_span(operation: &'static str) -> tracing::Span {
    tracing::debug_span!("files", operation)
}

/// What the log says of one attempt.
pub(crate) struct AttemptLog {
    method: http::Method,
    path: String,
    number: u32,
    max_attempts: u32,
    started: Duration,
}

impl AttemptLog {
    pub(crate) fn start(attempt: &Attempt, now: Now) -> Self {
        AttemptLog {
            method: attempt.request.method().clone(),
            path: attempt.request.uri().path().to_owned(),
            number: attempt.number,
            max_attempts: attempt.max_attempts,
            started: now.monotonic,
        }
    }

    fn elapsed_ms(&self, now: Now) -> u128 {
        now.monotonic.saturating_sub(self.started).as_millis()
    }

    pub(crate) fn answered(&self, head: &Parts, now: Now) {
        tracing::debug!(
            method = %self.method,
            path = %self.path,
            attempt = self.number,
            max_attempts = self.max_attempts,
            status = head.status.as_u16(),
            request_id = %files_core::extend::wire::request_id(&head.headers).as_deref().unwrap_or("-"),
            elapsed_ms = self.elapsed_ms(now),
            "answered"
        );
    }

    pub(crate) fn failed(&self, error: &Error, now: Now) {
        tracing::debug!(
            method = %self.method,
            path = %self.path,
            attempt = self.number,
            max_attempts = self.max_attempts,
            error = %failure_reason(error),
            elapsed_ms = self.elapsed_ms(now),
            "failed"
        );
    }
}

/// Logs a pause (what the observer hears of it comes as a notice).
/// A request held back by a rate limit another request of the client met.
pub(crate) fn held(left: std::time::Duration) {
    tracing::info!(
        wait_ms = left.as_millis(),
        "held by a rate limit (429 with retry-after) another request of this client met"
    );
}

pub(crate) fn pausing(pause: &Pause) {
    match &pause.cause {
        PauseCause::Retry(notice) => {
            tracing::debug!(
                attempt = notice.attempt,
                max_attempts = notice.max_attempts,
                wait_ms = pause.duration.as_millis(),
                reason = %notice.reason,
                "retrying"
            );
        }
        PauseCause::Poll { file_id, status } => {
            tracing::debug!(
                file_id = %file_id,
                status = %status.as_ref().map_or("-", |s| s.as_str()),
                wait_ms = pause.duration.as_millis(),
                "still processing"
            );
        }
        _ => {}
    }
}

/// The error when a driver finished a download without its body: a bug, reported.
pub(crate) fn missing_body() -> Error {
    TransportError::new(
        files_core::TransportErrorKind::Other,
        "the download finished without a body to read; this is a bug in the client",
    )
    .into()
}
