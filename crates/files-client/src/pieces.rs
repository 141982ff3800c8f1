//! File IO for the async client in pieces of [`PIECE`] bytes, each transfer's on a thread of
//! its own that runs a few pieces ahead of (or behind) the network: one thread per transfer
//! instead of a blocking-pool hop per 64 KiB chunk, which is what tokio's file IO costs and
//! what made the async client's uploads and downloads CPU-bound. The threads are plain
//! threads, not the runtime's blocking pool, so a long transfer holds no pool thread that
//! name lookups or other file IO may need.

use std::fs::File;
use std::io::{self, Read, Write};

use bytes::{Bytes, BytesMut};
use files_io::ByteStream;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::background_sync::BackgroundSync;

/// The size of each read and write.
pub(crate) const PIECE: usize = 256 << 10;

/// How many pieces a read may run ahead of the network.
const AHEAD: usize = 4;

/// How many pieces may wait for the disk: fewer, since a download's chunks are copied into
/// them and each waiting piece is memory the process holds.
const BEHIND: usize = 2;

/// The bytes of the reader `open` gives, up to `limit` (all of them if `None`), read on a
/// thread of its own. The stream ends at the reader's end or the limit; a read error is its
/// last item. Dropping the stream stops the thread at its next piece.
pub(crate) fn read_in_pieces<R: Read + 'static>(
    open: impl FnOnce() -> io::Result<R> + Send + 'static,
    limit: Option<u64>,
) -> ByteStream {
    let (sender, receiver) = mpsc::channel::<io::Result<Bytes>>(AHEAD);
    let failed_to_start = sender.clone();
    let spawned = spawn("files-read", move || {
        let mut reader = match open() {
            Ok(reader) => reader,
            Err(e) => {
                let _ = sender.blocking_send(Err(e));
                return;
            }
        };
        let mut left = limit.unwrap_or(u64::MAX);
        while left > 0 {
            let want = left.min(PIECE as u64) as usize;
            let mut piece = BytesMut::zeroed(want);
            let n = loop {
                match reader.read(&mut piece) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let item = match n {
                Ok(0) => return,
                Ok(n) => {
                    piece.truncate(n);
                    left -= n as u64;
                    Ok(piece.freeze())
                }
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if sender.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    if let Err(e) = spawned {
        // The channel has room: nothing was sent yet.
        let _ = failed_to_start.try_send(Err(e));
    }
    drop(failed_to_start);
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
    .boxed()
}

/// A file written from async code on a thread of its own, in pieces of at least [`PIECE`]
/// bytes, and synced behind as it grows ([`BackgroundSync`]).
pub(crate) struct PieceWriter {
    pending: BytesMut,
    sender: mpsc::Sender<Bytes>,
    /// What the thread ends with: the file, or why it stopped. Taken once.
    finished: Option<oneshot::Receiver<io::Result<(File, BackgroundSync)>>>,
}

impl std::fmt::Debug for PieceWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PieceWriter")
            .field("pending_bytes", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl PieceWriter {
    /// Writes to `file` from now on.
    pub(crate) fn new(mut file: File) -> io::Result<Self> {
        let (sender, mut receiver) = mpsc::channel::<Bytes>(BEHIND);
        let (finish, finished) = oneshot::channel();
        spawn("files-write", move || {
            let mut sync = BackgroundSync::default();
            let written = (|| {
                while let Some(piece) = receiver.blocking_recv() {
                    file.write_all(&piece)?;
                    sync.wrote(&file, piece.len());
                }
                Ok(())
            })();
            let _ = finish.send(written.map(|()| (file, sync)));
        })?;
        Ok(PieceWriter {
            pending: BytesMut::new(),
            sender,
            finished: Some(finished),
        })
    }

    /// Appends `chunk`; waits only when the disk is [`BEHIND`] pieces behind.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let piece = if self.pending.is_empty() && chunk.len() >= PIECE {
            chunk
        } else {
            self.pending.extend_from_slice(&chunk);
            if self.pending.len() < PIECE {
                return Ok(());
            }
            self.pending.split().freeze()
        };
        if self.sender.send(piece).await.is_err() {
            // The thread stopped: its error says why.
            return Err(outcome(&mut self.finished)
                .await
                .err()
                .unwrap_or_else(stopped));
        }
        Ok(())
    }

    /// Writes what is left; the file, and its background syncing to finish, once the thread
    /// has written everything.
    pub(crate) async fn finish(self) -> io::Result<(File, BackgroundSync)> {
        let PieceWriter {
            pending,
            sender,
            mut finished,
        } = self;
        let sent = pending.is_empty() || sender.send(pending.freeze()).await.is_ok();
        drop(sender);
        match (sent, outcome(&mut finished).await) {
            (true, outcome) => outcome,
            (false, Err(e)) => Err(e),
            (false, Ok(_)) => Err(stopped()),
        }
    }
}

/// How the writing thread ended; an error the second time it is asked.
async fn outcome(
    finished: &mut Option<oneshot::Receiver<io::Result<(File, BackgroundSync)>>>,
) -> io::Result<(File, BackgroundSync)> {
    match finished.take() {
        Some(finished) => finished.await.unwrap_or_else(|_| Err(stopped())),
        None => Err(io::Error::other(
            "the file could not be written earlier in this download",
        )),
    }
}

/// Starts a named thread.
fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .map(drop)
}

fn stopped() -> io::Error {
    io::Error::other("the thread writing the file stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pieces_read_back_what_was_written_in_chunks_of_any_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(3 * PIECE + 1234)).map(|i| (i % 251) as u8).collect();
        let mut writer = PieceWriter::new(File::create(&path).unwrap()).unwrap();
        let mut rest = &data[..];
        for size in [1, PIECE + 7, 10, 2 * PIECE].into_iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, after) = rest.split_at(size.min(rest.len()));
            writer.write(Bytes::copy_from_slice(chunk)).await.unwrap();
            rest = after;
        }
        let (file, sync) = writer.finish().await.unwrap();
        sync.finish().unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), data);

        let open = {
            let path = path.clone();
            move || File::open(path)
        };
        let read: Vec<Bytes> = read_in_pieces(open, Some(PIECE as u64 + 5))
            .map(Result::unwrap)
            .collect()
            .await;
        assert!(read.iter().all(|piece| piece.len() <= PIECE));
        assert_eq!(read.concat(), data[..PIECE + 5]);
        let all: Vec<Bytes> = read_in_pieces(move || File::open(path), None)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(all.concat(), data);
    }

    #[tokio::test]
    async fn an_error_opening_is_the_only_item() {
        let items: Vec<_> = read_in_pieces(|| File::open("/no/such/file"), None)
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
