//! The observer each part's attempts report to: it turns a part's count into the whole
//! file's count and the part's own progress for the caller's [`Observer`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::progress::{Observer, RetryNotice};
use crate::rules::UploadWarning;
use crate::uploads::{PartProgress, PartRange};

/// The whole file's count, shared by its parts.
pub(crate) struct FileCount {
    caller: Arc<dyn Observer>,
    len: u64,
    sent: AtomicU64,
}

impl FileCount {
    /// A count for a file of `len` bytes of which `already` were sent by an earlier run.
    pub(crate) fn new(caller: Arc<dyn Observer>, len: u64, already: u64) -> Arc<Self> {
        Arc::new(FileCount {
            caller,
            len,
            sent: AtomicU64::new(already),
        })
    }
}

/// One part's observer.
pub(crate) struct PartObserver {
    file: Arc<FileCount>,
    number: usize,
    count: usize,
    range: PartRange,
    /// What this part's current attempt has sent.
    sent: AtomicU64,
}

impl PartObserver {
    pub(crate) fn new(file: Arc<FileCount>, number: usize, count: usize, range: PartRange) -> Self {
        PartObserver {
            file,
            number,
            count,
            range,
            sent: AtomicU64::new(0),
        }
    }
}

impl Observer for PartObserver {
    fn sent(&self, sent: u64, _total: u64) {
        let before = self.sent.swap(sent, Ordering::Relaxed);
        let total = if sent >= before {
            self.file.sent.fetch_add(sent - before, Ordering::Relaxed) + (sent - before)
        } else {
            self.file.sent.fetch_sub(before - sent, Ordering::Relaxed) - (before - sent)
        };
        self.file
            .caller
            .sent(total.min(self.file.len), self.file.len);
        self.file.caller.part_sent(&PartProgress {
            number: self.number,
            count: self.count,
            range: self.range,
            sent,
        });
    }

    fn retrying(&self, notice: &RetryNotice) {
        self.file.caller.retrying(notice);
    }

    fn warning(&self, warning: &UploadWarning) {
        self.file.caller.warning(warning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Seen(Mutex<Vec<(u64, u64)>>);
    impl Observer for Seen {
        fn sent(&self, sent: u64, total: u64) {
            self.0.lock().unwrap().push((sent, total));
        }
    }

    #[test]
    fn the_file_count_is_the_sum_of_the_parts_and_a_retry_takes_its_bytes_back() {
        let seen = Arc::new(Seen::default());
        let file = FileCount::new(seen.clone(), 30, 10);
        let range = PartRange { offset: 0, len: 10 };
        let a = PartObserver::new(file.clone(), 1, 3, range);
        let b = PartObserver::new(file, 2, 3, range);
        a.sent(4, 10);
        b.sent(10, 10);
        a.sent(0, 10); // a retry starts again
        a.sent(10, 10);
        assert_eq!(
            *seen.0.lock().unwrap(),
            [(14, 30), (24, 30), (20, 30), (30, 30)]
        );
    }
}
