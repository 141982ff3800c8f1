//! Local files over `tokio::fs`: inspecting an upload's file, and downloads that appear
//! only when complete.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use files_core::{AsyncPartialFile, FileProbe, LocalFileError, LocalFileOp};
use tempfile::TempPath;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A download being written to a temporary file beside its destination; removed if dropped
/// before [`AsyncPartialFile::commit`].
#[derive(Debug)]
pub struct TokioPartialFile {
    file: tokio::fs::File,
    temp: TempPath,
    dest: PathBuf,
}

impl TokioPartialFile {
    /// Creates the temporary file for `dest`, in the same directory.
    pub async fn create(dest: &Path) -> Result<Self, LocalFileError> {
        let fail = |e| LocalFileError::new(LocalFileOp::Create, dest, e);
        if tokio::fs::metadata(dest).await.is_ok_and(|m| m.is_dir()) {
            return Err(LocalFileError::not_a_file(LocalFileOp::Create, dest));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let temp = tokio::task::spawn_blocking(move || {
            tempfile::Builder::new()
                .prefix(".files-download-")
                .tempfile_in(dir)
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r)
        .map_err(fail)?;
        let (file, temp) = temp.into_parts();
        Ok(TokioPartialFile {
            file: tokio::fs::File::from_std(file),
            temp,
            dest: dest.to_owned(),
        })
    }
}

#[async_trait::async_trait]
impl AsyncPartialFile for TokioPartialFile {
    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), LocalFileError> {
        self.file
            .write_all(&chunk)
            .await
            .map_err(|e| LocalFileError::new(LocalFileOp::Write, &self.dest, e))
    }

    async fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        let TokioPartialFile {
            mut file,
            temp,
            dest,
        } = *self;
        let fail = |e| LocalFileError::new(LocalFileOp::Persist, &dest, e);
        file.flush().await.map_err(fail)?;
        file.sync_all().await.map_err(fail)?;
        drop(file);
        let target = dest.clone();
        tokio::task::spawn_blocking(move || temp.persist(&target).map_err(|e| e.error))
            .await
            .map_err(io::Error::other)
            .and_then(|r| r)
            .map_err(fail)
    }
}

/// Reads a file's size and first bytes with tokio's file IO; a directory or other non-file is
/// an error.
pub(crate) async fn probe_file(
    path: &Path,
    prefix_len: usize,
) -> Result<FileProbe, LocalFileError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    async fn probe_refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = probe_file(dir.path(), 8).await.unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
