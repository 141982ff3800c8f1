//! Local files over tokio, for the async client: file ranges and the caller's blocking
//! readers are read, and downloads written, in pieces on blocking threads ([`crate::pieces`]),
//! so the runtime is never blocked.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use files_core::extend::body::PathRange;
use files_core::extend::probe::FileProbe;
use files_core::{LocalFileError, LocalFileOp};
use files_io::ByteStream;
use files_io::local::{AsyncLocalFiles, AsyncPartialFile};
use tempfile::TempPath;
use tokio::io::AsyncReadExt;

use crate::pieces::{PieceWriter, read_in_pieces};
use crate::std_files::{cannot_refuse_atomically, is_free, temp_beside};

/// The machine's own files, through tokio.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioFiles;

#[async_trait::async_trait]
impl AsyncLocalFiles for TokioFiles {
    async fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        let fail = |e| LocalFileError::new(LocalFileOp::Inspect, path, e);
        let file = tokio::fs::File::open(path).await.map_err(fail)?;
        let meta = file.metadata().await.map_err(fail)?;
        if !meta.is_file() {
            return Err(LocalFileError::not_a_file(LocalFileOp::Inspect, path));
        }
        let mut prefix = Vec::with_capacity(prefix_len.min(meta.len() as usize));
        file.take(prefix_len as u64)
            .read_to_end(&mut prefix)
            .await
            .map_err(fail)?;
        Ok(FileProbe {
            len: meta.len(),
            prefix: Bytes::from(prefix),
        })
    }

    fn open_range(&self, range: PathRange) -> ByteStream {
        let open = move || {
            let mut file = std::fs::File::open(&range.path)?;
            if range.offset > 0 {
                file.seek(SeekFrom::Start(range.offset))?;
            }
            Ok(file)
        };
        read_in_pieces(open, Some(range.len))
    }

    fn read_blocking(&self, reader: Box<dyn Read + Send>) -> ByteStream {
        read_in_pieces(move || Ok(reader), None)
    }

    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError> {
        Ok(Box::new(TokioPartialFile::create(dest).await?))
    }
}

/// A download being written to a temporary file beside its destination; removed if dropped
/// before [`AsyncPartialFile::commit`]. The finished file has the mode a new file gets under
/// the umask, or keeps the access bits of the regular file it replaces (a symlink at the
/// destination is replaced by the file, its target left alone).
#[derive(Debug)]
pub struct TokioPartialFile {
    writer: PieceWriter,
    temp: TempPath,
    dest: PathBuf,
    keep_existing: bool,
}

impl TokioPartialFile {
    /// Creates the temporary file for `dest`, in the same directory.
    pub async fn create(dest: impl AsRef<Path>) -> Result<Self, LocalFileError> {
        let dest = dest.as_ref();
        let fail = |e| LocalFileError::new(LocalFileOp::Create, dest, e);
        if tokio::fs::metadata(dest).await.is_ok_and(|m| m.is_dir()) {
            return Err(LocalFileError::not_a_file(LocalFileOp::Create, dest));
        }
        let target = dest.to_owned();
        let temp = tokio::task::spawn_blocking(move || temp_beside(&target))
            .await
            .map_err(io::Error::other)
            .and_then(|r| r)
            .map_err(fail)?;
        let (file, temp) = temp.into_parts();
        Ok(TokioPartialFile {
            writer: PieceWriter::new(file).map_err(fail)?,
            temp,
            dest: dest.to_owned(),
            keep_existing: false,
        })
    }

    /// Makes the commit fail, leaving the file alone, when `dest` exists by then. Where the
    /// file system can, the check and the move are one step, so a file created meanwhile is
    /// not replaced either; where it cannot (no `RENAME_NOREPLACE` and no hard links), the
    /// check comes just before the move.
    pub fn keep_existing(mut self) -> Self {
        self.keep_existing = true;
        self
    }

    /// Where the bytes are being written until the commit.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }
}

#[async_trait::async_trait]
impl AsyncPartialFile for TokioPartialFile {
    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), LocalFileError> {
        self.writer
            .write(chunk)
            .await
            .map_err(|e| LocalFileError::new(LocalFileOp::Write, &self.dest, e))
    }

    async fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        let TokioPartialFile {
            writer,
            temp,
            dest,
            keep_existing,
        } = *self;
        let fail = |e| LocalFileError::new(LocalFileOp::Persist, &dest, e);
        let (file, sync) = writer.finish().await.map_err(fail)?;
        tokio::task::spawn_blocking(move || {
            sync.finish()?;
            file.sync_all()
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r)
        .map_err(fail)?;
        let target = dest.clone();
        tokio::task::spawn_blocking(move || {
            let persisted = if keep_existing {
                // Where the file system cannot refuse in one step, check first, then move.
                temp.persist_noclobber(&target).or_else(|e| {
                    if cannot_refuse_atomically(&e.error) && is_free(&target) {
                        e.path.persist(&target)
                    } else {
                        Err(e)
                    }
                })
            } else {
                temp.persist(&target)
            };
            persisted.map_err(|e| e.error)
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r)
        .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn an_uncommitted_download_leaves_nothing_and_a_committed_one_replaces_dest() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        {
            let mut partial = TokioPartialFile::create(&dest).await.unwrap();
            partial
                .write_chunk(Bytes::from_static(b"half"))
                .await
                .unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut partial = Box::new(TokioPartialFile::create(&dest).await.unwrap());
        partial
            .write_chunk(Bytes::from_static(b"new"))
            .await
            .unwrap();
        partial.commit().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }

    #[tokio::test]
    async fn inspect_refuses_a_directory_and_a_range_starts_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let err = TokioFiles.inspect(dir.path(), 8).await.unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let chunks: Vec<_> = TokioFiles
            .open_range(PathRange {
                path,
                offset: 2,
                len: 3,
            })
            .collect()
            .await;
        let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap()).collect();
        assert_eq!(bytes, b"234");
    }
}
