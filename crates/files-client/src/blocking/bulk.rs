//! Bulk work on a blocking [`Client`](super::Client)'s files: many uploads, retrievals,
//! downloads or deletions with up to `jobs` in flight, each on a worker thread, the results in the order of
//! the input, each its own (one failure does not stop the rest). The workers share the
//! client: a `429` with `retry-after` that one meets holds them all.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use files_core::{DeletedFile, FileObject, Result, UploadRequest};

use super::Files;

impl Files<'_> {
    /// Uploads each of `uploads` as [`create`](Files::create) does, up to `jobs` at once
    /// (at least one); the results in the input's order.
    pub fn upload_many(
        &self,
        uploads: impl IntoIterator<Item = UploadRequest>,
        jobs: usize,
    ) -> Vec<Result<FileObject>> {
        in_parallel(uploads.into_iter().collect(), jobs, |upload| {
            self.create(upload)
        })
    }

    /// Downloads each file (an id and a destination) as
    /// [`download_to_path`](Files::download_to_path) does — each destination complete or
    /// not there at all — up to `jobs` at once; the byte counts in the input's order.
    pub fn download_many(
        &self,
        downloads: impl IntoIterator<Item = (String, PathBuf)>,
        jobs: usize,
    ) -> Vec<Result<u64>> {
        in_parallel(downloads.into_iter().collect(), jobs, |(id, dest)| {
            self.download_to_path(&id, dest)
        })
    }

    /// Retrieves each file's metadata, up to `jobs` at once; the results in the input's
    /// order.
    pub fn retrieve_many(
        &self,
        ids: impl IntoIterator<Item = String>,
        jobs: usize,
    ) -> Vec<Result<FileObject>> {
        in_parallel(ids.into_iter().collect(), jobs, |id| self.retrieve(&id))
    }

    /// Deletes each file, up to `jobs` at once; the results in the input's order.
    pub fn delete_many(
        &self,
        ids: impl IntoIterator<Item = String>,
        jobs: usize,
    ) -> Vec<Result<DeletedFile>> {
        in_parallel(ids.into_iter().collect(), jobs, |id| self.delete(&id))
    }
}

/// `work` on each item, by up to `jobs` scoped threads taking the next item as each is done;
/// the outputs in the items' order.
pub(crate) fn in_parallel<T: Send, R: Send>(
    items: Vec<T>,
    jobs: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate().collect::<VecDeque<_>>());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..count).map(|_| None).collect());
    let next = || queue.lock().ok().and_then(|mut q| q.pop_front());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, count.max(1)) {
            scope.spawn(|| {
                while let Some((at, item)) = next() {
                    let output = work(item);
                    if let Ok(mut results) = results.lock() {
                        results[at] = Some(output);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn outputs_keep_the_input_order_and_no_more_than_jobs_run_at_once() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let outputs = in_parallel((0..40u64).collect(), 4, |n| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // Later items finish first: order comes from the index, not the finish.
            std::thread::sleep(Duration::from_millis(40 - n));
            running.fetch_sub(1, Ordering::SeqCst);
            n * 2
        });
        assert_eq!(outputs, (0..40).map(|n| n * 2).collect::<Vec<_>>());
        let most = most.load(Ordering::SeqCst);
        assert!(
            (2..=4).contains(&most),
            "at most 4 at once, and more than 1: {most}"
        );
        assert_eq!(in_parallel(Vec::<u8>::new(), 8, |n| n), Vec::<u8>::new());
        assert_eq!(in_parallel(vec![1, 2], 0, |n| n + 1), [2, 3], "0 jobs is 1");
    }
}
