//! Local files over `std::fs`: inspecting an upload's file, and downloads that appear only
//! when complete.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use files_core::{FileProbe, LocalFileError, LocalFileOp, PartialFile};
use tempfile::NamedTempFile;

/// Reads a file's size and first bytes; a directory or other non-file is an error.
pub(crate) fn probe_file(path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
    let fail = |e| LocalFileError::new(LocalFileOp::Inspect, path, e);
    let file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() {
        return Err(LocalFileError::not_a_file(LocalFileOp::Inspect, path));
    }
    let mut prefix = Vec::with_capacity(prefix_len.min(meta.len() as usize));
    file.take(prefix_len as u64)
        .read_to_end(&mut prefix)
        .map_err(fail)?;
    Ok(FileProbe {
        len: meta.len(),
        prefix: Bytes::from(prefix),
    })
}

/// The directory a download's temporary file goes in: the destination's own, so the final
/// rename stays on one file system.
pub(crate) fn parent_dir(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A download being written to a temporary file beside its destination; removed if dropped
/// before [`PartialFile::commit`].
#[derive(Debug)]
pub struct StdPartialFile {
    file: NamedTempFile,
    dest: PathBuf,
}

impl StdPartialFile {
    /// Creates the temporary file for `dest`.
    pub fn create(dest: &Path) -> Result<Self, LocalFileError> {
        if dest.is_dir() {
            return Err(LocalFileError::not_a_file(LocalFileOp::Create, dest));
        }
        let file = tempfile::Builder::new()
            .prefix(".files-download-")
            .tempfile_in(parent_dir(dest))
            .map_err(|e| LocalFileError::new(LocalFileOp::Create, dest, e))?;
        Ok(StdPartialFile {
            file,
            dest: dest.to_owned(),
        })
    }
}

impl Write for StdPartialFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl PartialFile for StdPartialFile {
    fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        let StdPartialFile { file, dest } = *self;
        file.as_file()
            .sync_all()
            .map_err(|e| LocalFileError::new(LocalFileOp::Persist, &dest, e))?;
        file.persist(&dest)
            .map_err(|e| LocalFileError::new(LocalFileOp::Persist, &dest, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_gives_size_and_prefix_and_refuses_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello world").unwrap();
        let probe = probe_file(&path, 5).unwrap();
        assert_eq!(probe.len, 11);
        assert_eq!(&probe.prefix[..], b"hello");
        let err = probe_file(dir.path(), 5).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = probe_file(&dir.path().join("missing"), 5).unwrap_err();
        assert!(err.to_string().starts_with("could not open"), "{err}");
    }

    #[test]
    fn an_uncommitted_download_leaves_nothing_and_a_committed_one_replaces_dest() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        {
            let mut partial = StdPartialFile::create(&dest).unwrap();
            partial.write_all(b"half").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        std::fs::write(&dest, b"old").unwrap();
        let mut partial = Box::new(StdPartialFile::create(&dest).unwrap());
        partial.write_all(b"new").unwrap();
        partial.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_is_not_a_download_destination() {
        let dir = tempfile::tempdir().unwrap();
        let err = StdPartialFile::create(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("is a directory; give the path of the file to write"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
