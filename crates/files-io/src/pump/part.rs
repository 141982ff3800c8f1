//! The observer a part's attempts report to: it turns the part's count into the whole file's
//! count and the part's own progress for the caller's [`Observer`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use files_core::Observer;
use files_core::extend::ops::Attempt;
use files_core::extend::ops::PartShare;
use files_core::uploads::PartProgress;

/// Who hears about the bytes of `attempt`'s payload: its observer, told the whole file's
/// count when the payload is one part of a file ([`Attempt::part`]).
pub fn attempt_observer(attempt: &Attempt) -> Option<Arc<dyn Observer>> {
    let observer = attempt.observer.clone()?;
    Some(match &attempt.part {
        Some(share) => Arc::new(PartObserver {
            caller: observer,
            share: share.clone(),
            sent: AtomicU64::new(0),
        }),
        None => observer,
    })
}

/// One part's observer.
struct PartObserver {
    caller: Arc<dyn Observer>,
    share: PartShare,
    /// What this attempt has sent.
    sent: AtomicU64,
}

impl Observer for PartObserver {
    fn sent(&self, sent: u64, _total: u64) {
        let before = self.sent.swap(sent, Ordering::Relaxed);
        let total = self.share.file.moved(before, sent);
        self.caller.sent(total, self.share.file.len());
        let mut progress = PartProgress::new(self.share.number, self.share.count, self.share.range);
        progress.sent = sent;
        self.caller.part_sent(&progress);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use files_core::extend::ops::FileTally;
    use files_core::uploads::PartRange;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<(u64, u64)>>, Mutex<Vec<(usize, u64)>>);
    impl Observer for Seen {
        fn sent(&self, sent: u64, total: u64) {
            self.0.lock().unwrap().push((sent, total));
        }
        fn part_sent(&self, progress: &PartProgress) {
            self.1
                .lock()
                .unwrap()
                .push((progress.number, progress.sent));
        }
    }

    fn part(caller: Arc<Seen>, number: usize, file: &FileTally) -> PartObserver {
        let range = PartRange { offset: 0, len: 10 };
        PartObserver {
            caller,
            share: PartShare::new(number, 3, range, file.clone()),
            sent: AtomicU64::new(0),
        }
    }

    #[test]
    fn the_file_count_is_the_sum_of_the_parts_and_a_retry_takes_its_bytes_back() {
        let seen = Arc::new(Seen::default());
        let file = FileTally::new(30, 10);
        let a = part(seen.clone(), 1, &file);
        let b = part(seen.clone(), 2, &file);
        a.sent(4, 10);
        b.sent(10, 10);
        a.sent(0, 10); // a retry starts again
        a.sent(10, 10);
        assert_eq!(
            *seen.0.lock().unwrap(),
            [(14, 30), (24, 30), (20, 30), (30, 30)]
        );
        assert_eq!(*seen.1.lock().unwrap(), [(1, 4), (2, 10), (1, 0), (1, 10)]);
    }
}
