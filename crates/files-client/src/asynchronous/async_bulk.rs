//! Bulk work on an [`AsyncClient`](super::AsyncClient)'s files: many uploads, retrievals,
//! downloads or deletions with up to `jobs` in flight, the results in the order of the input, each its own
//! (one failure does not stop the rest). They share the client: a `429` with `retry-after`
//! that one meets holds them all.

use std::future::Future;
use std::path::PathBuf;

use files_core::{DeletedFile, FileObject, Result, UploadRequest};
use futures_util::StreamExt;

use super::AsyncFiles;

impl AsyncFiles<'_> {
    /// Uploads each of `uploads` as [`create`](AsyncFiles::create) does, up to `jobs` at
    /// once (at least one); the results in the input's order.
    pub async fn upload_many(
        &self,
        uploads: impl IntoIterator<Item = UploadRequest>,
        jobs: usize,
    ) -> Vec<Result<FileObject>> {
        in_flight(uploads, jobs, |upload| self.create(upload)).await
    }

    /// Downloads each file (an id and a destination) as
    /// [`download_to_path`](AsyncFiles::download_to_path) does — each destination complete
    /// or not there at all — up to `jobs` at once; the byte counts in the input's order.
    pub async fn download_many(
        &self,
        downloads: impl IntoIterator<Item = (String, PathBuf)>,
        jobs: usize,
    ) -> Vec<Result<u64>> {
        in_flight(downloads, jobs, |(id, dest)| async move {
            self.download_to_path(&id, dest).await
        })
        .await
    }

    /// Retrieves each file's metadata, up to `jobs` at once; the results in the input's
    /// order.
    pub async fn retrieve_many(
        &self,
        ids: impl IntoIterator<Item = String>,
        jobs: usize,
    ) -> Vec<Result<FileObject>> {
        in_flight(ids, jobs, |id| async move { self.retrieve(&id).await }).await
    }

    /// Deletes each file, up to `jobs` at once; the results in the input's order.
    pub async fn delete_many(
        &self,
        ids: impl IntoIterator<Item = String>,
        jobs: usize,
    ) -> Vec<Result<DeletedFile>> {
        in_flight(ids, jobs, |id| async move { self.delete(&id).await }).await
    }
}

/// `work` on each item, up to `jobs` at once, the next starting as soon as any is done (a
/// slow one holds up no other); the outputs in the items' order.
async fn in_flight<T, F: Future>(
    items: impl IntoIterator<Item = T>,
    jobs: usize,
    mut work: impl FnMut(T) -> F,
) -> Vec<F::Output> {
    let mut outputs: Vec<(usize, F::Output)> = futures_util::stream::iter(items)
        .enumerate()
        .map(|(at, item)| {
            let future = work(item);
            async move { (at, future.await) }
        })
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    outputs.sort_by_key(|(at, _)| *at);
    outputs.into_iter().map(|(_, output)| output).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_slow_item_holds_up_no_other_and_the_order_is_the_input_s() {
        // The first item waits until the last has started: with one slot of two held by
        // it, the others must still go through the other one.
        let last_started = tokio::sync::Notify::new();
        let outputs = in_flight(0..6u64, 2, |n| {
            let last_started = &last_started;
            async move {
                match n {
                    0 => tokio::time::timeout(Duration::from_secs(5), last_started.notified())
                        .await
                        .map_or(u64::MAX, |()| 0),
                    5 => {
                        last_started.notify_one();
                        50
                    }
                    n => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        n * 10
                    }
                }
            }
        })
        .await;
        assert_eq!(
            outputs,
            [0, 10, 20, 30, 40, 50],
            "the first waited for the last"
        );
    }
}
