//! File IO off the async workers, in pieces of 256 KiB: a writer that gathers what arrives
//! into pieces and hands them to a blocking thread of its own (which gives the buffers back
//! to be filled again), and a reader that reads a piece at a time on a blocking thread, two
//! pieces ahead of the socket. Either way the disk and the network overlap, with one thread
//! per transfer rather than a blocking-pool hop per 64 KiB (what `tokio::fs::File` costs).
//! Pieces stay small enough to still be in the cache when the kernel copies them.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The size of each read and write.
const PIECE: usize = 256 << 10;

/// How many pieces may wait between the network and the disk, each way.
const AHEAD: usize = 2;

/// A file being written from async code. Written buffers come back to be filled again, so
/// a transfer touches a few buffers' worth of fresh memory, not its whole size.
pub(crate) struct DiskWriter {
    pending: Vec<u8>,
    sender: mpsc::Sender<Vec<u8>>,
    empties: std::sync::mpsc::Receiver<Vec<u8>>,
    writer: JoinHandle<io::Result<()>>,
}

impl DiskWriter {
    /// Creates (or truncates) the file at `path`.
    pub(crate) async fn create(path: &Path) -> io::Result<Self> {
        let path = path.to_owned();
        let mut file = tokio::task::spawn_blocking(move || File::create(path))
            .await
            .map_err(io::Error::other)??;
        let (sender, mut receiver) = mpsc::channel::<Vec<u8>>(AHEAD);
        let (give_back, empties) = std::sync::mpsc::channel();
        let writer = tokio::task::spawn_blocking(move || {
            while let Some(mut piece) = receiver.blocking_recv() {
                file.write_all(&piece)?;
                piece.clear();
                let _ = give_back.send(piece);
            }
            file.flush()
        });
        Ok(DiskWriter {
            pending: Vec::with_capacity(PIECE),
            sender,
            empties,
            writer,
        })
    }

    /// Appends `bytes`; waits only when the disk is `AHEAD` pieces behind.
    pub(crate) async fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let room = PIECE - self.pending.len();
            let take = room.min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() == PIECE {
                let empty = self
                    .empties
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(PIECE));
                let piece = std::mem::replace(&mut self.pending, empty);
                if self.sender.send(piece).await.is_err() {
                    // The writer stopped: its error says why.
                    return Err(self.failure().await);
                }
            }
        }
        Ok(())
    }

    /// Writes what is left and waits until the file has all of it.
    pub(crate) async fn finish(self) -> io::Result<()> {
        let DiskWriter {
            pending,
            sender,
            writer,
            ..
        } = self;
        if !pending.is_empty() && sender.send(pending).await.is_err() {
            drop(sender);
            return Err(joined(writer.await).err().unwrap_or_else(stopped));
        }
        drop(sender);
        joined(writer.await)
    }

    async fn failure(&mut self) -> io::Error {
        joined((&mut self.writer).await)
            .err()
            .unwrap_or_else(stopped)
    }
}

fn joined(result: Result<io::Result<()>, tokio::task::JoinError>) -> io::Result<()> {
    result.map_err(io::Error::other)?
}

fn stopped() -> io::Error {
    io::Error::other("the writing thread stopped")
}

/// `count` bytes of `file` from `offset`, read a piece at a time on a blocking thread; the
/// thread stops when the stream is dropped. A file shorter than promised ends the stream
/// with an error, so the response is cut rather than short.
pub(crate) fn read_stream(
    mut file: File,
    offset: u64,
    count: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (sender, receiver) = mpsc::channel::<io::Result<Bytes>>(AHEAD);
    tokio::task::spawn_blocking(move || {
        if offset > 0
            && let Err(e) = file.seek(SeekFrom::Start(offset))
        {
            let _ = sender.blocking_send(Err(e));
            return;
        }
        let mut left = count;
        while left > 0 {
            let want = left.min(PIECE as u64) as usize;
            let mut piece = vec![0u8; want];
            let read = read_full(&mut file, &mut piece).and_then(|n| {
                if n == want {
                    Ok(n)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stored file is shorter than its length",
                    ))
                }
            });
            let item = read.map(|_| Bytes::from(piece));
            let failed = item.is_err();
            if sender.blocking_send(item).is_err() || failed {
                return;
            }
            left -= want as u64;
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Reads until `buf` is full or the file ends; how much was read.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_is_written_in_odd_pieces_reads_back_from_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(3 * PIECE + 12345)).map(|i| (i % 253) as u8).collect();
        let mut writer = DiskWriter::create(&path).await.unwrap();
        for chunk in data.chunks(70_001) {
            writer.write(chunk).await.unwrap();
        }
        writer.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);

        for (offset, count) in [(0, data.len()), (5, PIECE + 1), (data.len() - 3, 3)] {
            let file = File::open(&path).unwrap();
            let pieces: Vec<Bytes> = read_stream(file, offset as u64, count as u64)
                .map(Result::unwrap)
                .collect()
                .await;
            assert_eq!(pieces.concat(), data[offset..offset + count]);
        }
        // Promised more than the file has: an error at the end, not a short body.
        let file = File::open(&path).unwrap();
        let items: Vec<_> = read_stream(file, 0, data.len() as u64 + 1).collect().await;
        assert!(items.last().unwrap().is_err());
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/f");
        assert!(DiskWriter::create(&missing).await.is_err());
    }
}
