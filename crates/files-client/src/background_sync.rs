//! Flushing a download to disk while it is still arriving. A download is synced before it
//! replaces its destination (so a crash never leaves a torn file there); syncing only at the
//! end makes the disk write the whole file after the network is done. Instead, every
//! [`SYNC_EVERY`] bytes a thread of its own asks the disk for what was written so far, on a
//! second handle of the same file, while the writer goes on: the final sync then has at most
//! that much left. Downloads smaller than that never start the thread.

use std::fs::File;
use std::io;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// How many bytes are written between two background syncs.
pub(crate) const SYNC_EVERY: u64 = 16 << 20;

/// The background syncing of one file.
#[derive(Debug, Default)]
pub(crate) struct BackgroundSync {
    since_last: u64,
    running: Option<(SyncSender<()>, JoinHandle<io::Result<()>>)>,
}

impl BackgroundSync {
    /// Counts `n` more bytes written to `file`; past [`SYNC_EVERY`] since the last time,
    /// asks the thread to sync (starting it the first time). Never waits for the disk.
    pub(crate) fn wrote(&mut self, file: &File, n: usize) {
        self.since_last += n as u64;
        if self.since_last < SYNC_EVERY {
            return;
        }
        self.since_last = 0;
        if self.running.is_none() {
            // Without a second handle there is no syncing behind: the commit does it all.
            let Ok(handle) = file.try_clone() else { return };
            let (ask, asked) = sync_channel::<()>(1);
            let spawned = std::thread::Builder::new()
                .name("files-download-sync".into())
                .spawn(move || {
                    for () in asked {
                        handle.sync_data()?;
                    }
                    Ok(())
                });
            match spawned {
                Ok(thread) => self.running = Some((ask, thread)),
                Err(_) => return,
            }
        }
        if let Some((ask, _)) = &self.running {
            // A sync already asked for and not yet started covers these bytes too; a thread
            // that stopped on an error reports it at the finish.
            let _: Result<(), TrySendError<()>> = ask.try_send(());
        }
    }

    /// Stops the thread, once any sync under way is done; the first error it met.
    pub(crate) fn finish(self) -> io::Result<()> {
        match self.running {
            None => Ok(()),
            Some((ask, thread)) => {
                drop(ask);
                thread
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("the syncing thread panicked")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn small_files_start_no_thread_and_large_ones_are_synced_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = File::create(dir.path().join("f")).unwrap();
        let mut sync = BackgroundSync::default();
        let piece = vec![1u8; 1 << 20];
        file.write_all(&piece).unwrap();
        sync.wrote(&file, piece.len());
        assert!(sync.running.is_none());
        for _ in 0..(SYNC_EVERY >> 20) {
            file.write_all(&piece).unwrap();
            sync.wrote(&file, piece.len());
        }
        assert!(sync.running.is_some());
        sync.finish().unwrap();
        assert_eq!(file.metadata().unwrap().len(), SYNC_EVERY + (1 << 20));
    }
}
