//! [`LocalFileError`]: a local file, reader, stream or writer that failed.

use std::fmt;
use std::path::PathBuf;

/// What was being done to a local file when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalFileOp {
    /// Finding the file's size and first bytes before an upload.
    Inspect,
    /// Reading the file to send it.
    Read,
    /// Creating the download's destination.
    Create,
    /// Writing downloaded bytes.
    Write,
    /// Moving the finished download into place.
    Persist,
}

impl fmt::Display for LocalFileOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LocalFileOp::Inspect => "open",
            LocalFileOp::Read => "read",
            LocalFileOp::Create => "create",
            LocalFileOp::Write => "write",
            LocalFileOp::Persist => "finish writing",
        })
    }
}

/// A local file could not be read or written; also a caller's reader, stream or writer that
/// failed or held a different number of bytes than declared.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} {}: {source}", .path.display())]
#[non_exhaustive]
pub struct LocalFileError {
    /// What was being done.
    pub op: LocalFileOp,
    /// The file concerned, or a description of the caller's reader or writer.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

impl LocalFileError {
    /// `path` is a directory or other non-file where `op` needs a regular file: an upload's
    /// source, or a download's destination.
    pub fn not_a_file(op: LocalFileOp, path: impl Into<PathBuf>) -> Self {
        let hint = match op {
            LocalFileOp::Create | LocalFileOp::Write | LocalFileOp::Persist => {
                "is a directory; give the path of the file to write"
            }
            _ => "not a regular file; give the path of a file to upload",
        };
        LocalFileError::new(
            op,
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, hint),
        )
    }

    /// A failure of `op` on `path`.
    pub fn new(op: LocalFileOp, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LocalFileError {
            op,
            path: path.into(),
            source,
        }
    }
}
