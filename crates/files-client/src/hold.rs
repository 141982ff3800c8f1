//! [`RateHold`]: a rate-limit pause one request met, kept for every request of the client.
//! When a server answers `429` and names its wait (`retry-after`), the request that met it
//! waits; so, with bulk work, does every other request the client is about to send, instead
//! of each meeting its own `429` in turn.

use std::sync::Mutex;
use std::time::Duration;

use files_core::extend::ops::Pause;

/// Until when the client's requests wait, on the driver's monotonic clock.
#[derive(Debug, Default)]
pub(crate) struct RateHold {
    until: Mutex<Option<Duration>>,
}

impl RateHold {
    /// Keeps `pause`, taken at `now`, for every request when it is one the server asked of
    /// all ([`Pause::holds_client`]); a later end wins over an earlier one.
    pub(crate) fn keep(&self, pause: &Pause, now: Duration) {
        if !pause.holds_client {
            return;
        }
        let end = now.saturating_add(pause.duration);
        if let Ok(mut until) = self.until.lock() {
            *until = Some(until.map_or(end, |u| u.max(end)));
        }
    }

    /// How long a request about to be sent at `now` must still wait, if at all.
    pub(crate) fn left(&self, now: Duration) -> Option<Duration> {
        let until = (*self.until.lock().ok()?)?;
        until.checked_sub(now).filter(|left| !left.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use files_core::extend::ops::PauseCause;

    fn pause(seconds: u64, holds_client: bool) -> Pause {
        let mut pause = Pause::new(
            Duration::from_secs(seconds),
            PauseCause::Poll {
                file_id: "f".to_owned(),
                status: None,
            },
        );
        pause.holds_client = holds_client;
        pause
    }

    #[test]
    fn a_held_pause_keeps_every_request_until_its_end_and_the_latest_end_wins() {
        let hold = RateHold::default();
        let at = Duration::from_secs(100);
        hold.keep(&pause(5, false), at);
        assert_eq!(
            hold.left(at),
            None,
            "an ordinary pause is the operation's own"
        );
        hold.keep(&pause(5, true), at);
        assert_eq!(
            hold.left(at + Duration::from_secs(2)),
            Some(Duration::from_secs(3))
        );
        hold.keep(&pause(1, true), at);
        assert_eq!(
            hold.left(at),
            Some(Duration::from_secs(5)),
            "a shorter one does not cut it"
        );
        assert_eq!(hold.left(at + Duration::from_secs(5)), None);
        assert_eq!(hold.left(at + Duration::from_secs(9)), None);
    }
}
