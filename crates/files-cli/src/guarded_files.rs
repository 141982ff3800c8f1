//! The command's local files: the library's own, with each download's temporary file
//! registered for removal on Ctrl-C, and `--no-clobber` kept to the last moment (the commit
//! refuses a destination that appeared meanwhile).

use std::io::{self, Read, Write};
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use files_client::{LocalFileError, StdFiles, StdPartialFile, TokioFiles, TokioPartialFile};
use files_core::extend::body::PathRange;
use files_core::extend::probe::FileProbe;
use files_io::ByteStream;
use files_io::local::{AsyncLocalFiles, AsyncPartialFile, LocalFiles, PartialFile};

use crate::interrupt::{self, RemoveOnInterrupt};

/// How downloads are written.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedFiles {
    /// Refuse to replace an existing destination.
    pub no_clobber: bool,
}

/// A download's temporary file with its interrupt guard (dropped after the file, so the file
/// is never unguarded while it exists).
struct Guarded<F> {
    file: F,
    _guard: RemoveOnInterrupt,
}

impl LocalFiles for GuardedFiles {
    fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        StdFiles.inspect(path, prefix_len)
    }

    fn open_range(&self, range: &PathRange) -> io::Result<Box<dyn Read + Send>> {
        StdFiles.open_range(range)
    }

    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError> {
        let creating = interrupt::creating();
        let mut file = StdPartialFile::create(dest)?;
        if self.no_clobber {
            file = file.keep_existing();
        }
        let guard = RemoveOnInterrupt::new(file.temp_path());
        drop(creating);
        Ok(Box::new(Guarded {
            file,
            _guard: guard,
        }))
    }
}

impl Write for Guarded<StdPartialFile> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl PartialFile for Guarded<StdPartialFile> {
    fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        Box::new(self.file).commit()
    }
}

#[async_trait]
impl AsyncLocalFiles for GuardedFiles {
    async fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        AsyncLocalFiles::inspect(&TokioFiles, path, prefix_len).await
    }

    fn open_range(&self, range: PathRange) -> ByteStream {
        AsyncLocalFiles::open_range(&TokioFiles, range)
    }

    fn read_blocking(&self, reader: Box<dyn Read + Send>) -> ByteStream {
        TokioFiles.read_blocking(reader)
    }

    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError> {
        let creating = interrupt::creating();
        let mut file = TokioPartialFile::create(dest).await?;
        if self.no_clobber {
            file = file.keep_existing();
        }
        let guard = RemoveOnInterrupt::new(file.temp_path());
        drop(creating);
        Ok(Box::new(Guarded {
            file,
            _guard: guard,
        }))
    }
}

#[async_trait]
impl AsyncPartialFile for Guarded<TokioPartialFile> {
    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), LocalFileError> {
        self.file.write_chunk(chunk).await
    }

    async fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        Box::new(self.file).commit().await
    }
}
