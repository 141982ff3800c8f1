//! The local-file edge, apart from HTTP: what a client needs of the machine's files, as one
//! trait for blocking code and one for async code.
//!
//! Three things: inspecting an upload's file before anything is sent (its size and first
//! bytes, for the provider's checks), opening a byte range of it to send (again for every
//! retry), and a download destination that appears only when complete. `files-client`
//! implements them over the standard library's files and tokio's; a client with no file
//! system (a sandbox, a test) can bring its own. The core never opens a file itself.

use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;
use files_core::LocalFileError;
use files_core::extend::body::PathRange;
pub use files_core::extend::probe::{FileProbe, PROBE_PREFIX_LEN};

use crate::ByteStream;

/// Local files for blocking code.
pub trait LocalFiles: Send + Sync {
    /// The size of the file at `path` and up to `prefix_len` of its first bytes. Fails if the
    /// path is not a regular file.
    fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError>;

    /// The file of `range`, opened and positioned at the range's offset. The pump reads the
    /// range's length from it and checks the file was long enough.
    fn open_range(&self, range: &PathRange) -> std::io::Result<Box<dyn Read + Send>>;

    /// A new file that becomes `dest` only when committed; dropped uncommitted, it leaves
    /// nothing behind.
    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError>;
}

/// Local files for async code: none of these may block the runtime.
#[async_trait::async_trait]
pub trait AsyncLocalFiles: Send + Sync {
    /// The size of the file at `path` and up to `prefix_len` of its first bytes. Fails if the
    /// path is not a regular file.
    async fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError>;

    /// The bytes of `range`, in chunks: the file opened when the stream is first polled and
    /// read from the range's offset. The pump takes the range's length and checks the file
    /// was long enough.
    fn open_range(&self, range: PathRange) -> ByteStream;

    /// The caller's blocking reader (an upload from a reader), read in chunks without
    /// blocking the runtime.
    fn read_blocking(&self, reader: Box<dyn Read + Send>) -> ByteStream;

    /// A new file that becomes `dest` only when committed; dropped uncommitted, it leaves
    /// nothing behind.
    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError>;
}

/// A file being written by a download; see [`LocalFiles::create`].
pub trait PartialFile: Write + Send {
    /// Flushes the bytes to disk and moves the file to its destination.
    fn commit(self: Box<Self>) -> Result<(), LocalFileError>;
}

/// A file being written by an async download; see [`AsyncLocalFiles::create`].
#[async_trait::async_trait]
pub trait AsyncPartialFile: Send {
    /// Appends a chunk.
    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), LocalFileError>;

    /// Flushes the bytes to disk and moves the file to its destination.
    async fn commit(self: Box<Self>) -> Result<(), LocalFileError>;
}
