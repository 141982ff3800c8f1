//! [`PartShare`]: which part of a whole file an attempt's payload is, so that the byte pump can
//! report the whole file's count as well as the part's. Data only: the core counts nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::uploads::PartRange;

/// One part's place in the whole file, carried by each attempt at sending it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PartShare {
    /// Its place in the file, from 1.
    pub number: usize,
    /// How many parts the file has.
    pub count: usize,
    /// Its bytes.
    pub range: PartRange,
    /// The whole file's count, shared by every part.
    pub file: FileTally,
}

impl PartShare {
    /// Part `number` of `count`, holding `range`, of the file `file` counts.
    pub fn new(number: usize, count: usize, range: PartRange, file: FileTally) -> Self {
        PartShare {
            number,
            count,
            range,
            file,
        }
    }
}

/// The bytes of a whole file sent so far, shared by its parts' attempts (which run side by
/// side), so each can say where the file stands.
#[derive(Debug, Clone)]
pub struct FileTally {
    len: u64,
    sent: Arc<AtomicU64>,
}

impl FileTally {
    /// A tally for a file of `len` bytes of which `already` were sent by an earlier run.
    pub fn new(len: u64, already: u64) -> Self {
        FileTally {
            len,
            sent: Arc::new(AtomicU64::new(already.min(len))),
        }
    }

    /// The file's size.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One part's count went from `before` to `now` bytes (down, when a retry starts it
    /// again): moves the file's count by as much and returns it, at most the file's size.
    pub fn moved(&self, before: u64, now: u64) -> u64 {
        let total = if now >= before {
            self.sent.fetch_add(now - before, Ordering::Relaxed) + (now - before)
        } else {
            self.sent
                .fetch_sub(before - now, Ordering::Relaxed)
                .saturating_sub(before - now)
        };
        total.min(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_count_is_the_sum_of_the_parts_and_a_retry_takes_its_bytes_back() {
        // Far from the file's size, so no count is cut to it.
        let file = FileTally::new(100, 10);
        assert_eq!(file.moved(0, 4), 14, "part a sends 4");
        assert_eq!(file.moved(0, 10), 24, "part b sends all 10");
        assert_eq!(file.moved(4, 0), 20, "a retry of a starts again");
        assert_eq!(file.moved(0, 6), 26, "a sends 6 again");
        assert_eq!(file.moved(6, 10), 30, "and 4 more");
        assert_eq!(file.moved(10, 3), 23, "a retry of b has sent 3 again");
        assert_eq!(file.moved(3, 4), 24, "and one more");
        assert_eq!(FileTally::new(5, 9).moved(0, 1), 5, "never past the size");
        assert_eq!((file.len(), file.is_empty()), (100, false));
        assert!(FileTally::new(0, 0).is_empty());
    }
}
