//! Local files over `std::fs`, for the blocking client: inspecting an upload's file, opening
//! a range of it, and downloads that appear only when complete.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use files_core::extend::body::PathRange;
use files_core::extend::probe::FileProbe;
use files_core::{LocalFileError, LocalFileOp};
use files_io::local::{LocalFiles, PartialFile};
use tempfile::NamedTempFile;

use crate::background_sync::BackgroundSync;

/// The machine's own files, through `std::fs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdFiles;

impl LocalFiles for StdFiles {
    fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
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

    fn open_range(&self, range: &PathRange) -> io::Result<Box<dyn Read + Send>> {
        let mut file = File::open(&range.path)?;
        if range.offset > 0 {
            file.seek(SeekFrom::Start(range.offset))?;
        }
        Ok(Box::new(file))
    }

    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError> {
        Ok(Box::new(StdPartialFile::create(dest)?))
    }
}

/// The directory a download's temporary file goes in: the destination's own, so the final
/// rename stays on one file system.
fn parent_dir(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The prefix of a download's temporary file.
const PARTIAL_PREFIX: &str = ".files-download-";

/// The temporary file of a download to `dest`, beside it. Its mode is what a new `dest`
/// would get (0666 less the umask), or the mode of the `dest` it will replace.
pub(crate) fn temp_beside(dest: &Path) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(PARTIAL_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Passed to open(2), which takes the umask off, as it does for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let file = builder.tempfile_in(parent_dir(dest))?;
    // The file it replaces: a regular file, not what a symlink points at (the rename replaces
    // the link itself, and the link's target is left as it is).
    if let Ok(existing) = std::fs::symlink_metadata(dest)
        && existing.is_file()
    {
        let mut permissions = existing.permissions();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The access bits only: no setuid, setgid or sticky bit on downloaded bytes.
            permissions.set_mode(permissions.mode() & 0o777);
        }
        file.as_file().set_permissions(permissions)?;
    }
    Ok(file)
}

/// Whether a failed no-clobber move failed because the file system cannot do one (no
/// `RENAME_NOREPLACE`, no hard links: vfat, exFAT, some network file systems say "not
/// supported", "not permitted" or "invalid"), rather than for any other reason.
pub(crate) fn cannot_refuse_atomically(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied | io::ErrorKind::InvalidInput
    )
}

/// Whether nothing at all is at `path` (not even a dangling symlink); a path that cannot be
/// looked at counts as taken.
pub(crate) fn is_free(path: &Path) -> bool {
    matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// A download being written to a temporary file beside its destination; removed if dropped
/// before [`PartialFile::commit`]. The finished file has the mode a new file gets under the
/// umask, or keeps the access bits of the regular file it replaces (a symlink at the
/// destination is replaced by the file, its target left alone).
#[derive(Debug)]
pub struct StdPartialFile {
    file: NamedTempFile,
    dest: PathBuf,
    keep_existing: bool,
    sync: BackgroundSync,
}

impl StdPartialFile {
    /// Creates the temporary file for `dest`.
    pub fn create(dest: impl AsRef<Path>) -> Result<Self, LocalFileError> {
        let dest = dest.as_ref();
        if dest.is_dir() {
            return Err(LocalFileError::not_a_file(LocalFileOp::Create, dest));
        }
        let file =
            temp_beside(dest).map_err(|e| LocalFileError::new(LocalFileOp::Create, dest, e))?;
        Ok(StdPartialFile {
            file,
            dest: dest.to_owned(),
            keep_existing: false,
            sync: BackgroundSync::default(),
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
        self.file.path()
    }
}

impl Write for StdPartialFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sync.wrote(self.file.as_file(), n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl PartialFile for StdPartialFile {
    fn commit(self: Box<Self>) -> Result<(), LocalFileError> {
        let StdPartialFile {
            file,
            dest,
            keep_existing,
            sync,
        } = *self;
        sync.finish()
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| LocalFileError::new(LocalFileOp::Persist, &dest, e))?;
        let persisted = if keep_existing {
            // Where the file system cannot refuse in one step, check first, then move.
            file.persist_noclobber(&dest).or_else(|e| {
                if cannot_refuse_atomically(&e.error) && is_free(&dest) {
                    e.file.persist(&dest)
                } else {
                    Err(e)
                }
            })
        } else {
            file.persist(&dest)
        };
        persisted.map_err(|e| LocalFileError::new(LocalFileOp::Persist, &dest, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_gives_size_and_prefix_and_refuses_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello world").unwrap();
        let probe = StdFiles.inspect(&path, 5).unwrap();
        assert_eq!(probe.len, 11);
        assert_eq!(&probe.prefix[..], b"hello");
        let err = StdFiles.inspect(dir.path(), 5).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = StdFiles
            .inspect(&dir.path().join("missing"), 5)
            .unwrap_err();
        assert!(err.to_string().starts_with("could not open"), "{err}");
    }

    #[test]
    fn a_range_starts_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let mut out = Vec::new();
        StdFiles
            .open_range(&PathRange {
                path,
                offset: 7,
                len: 3,
            })
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"789");
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

    #[cfg(unix)]
    #[test]
    fn a_download_takes_the_umask_or_the_mode_of_the_file_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        // What the process's umask gives a new file, found the way any program would.
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let dest = dir.path().join("new.bin");
        let partial = Box::new(StdPartialFile::create(&dest).unwrap());
        partial.commit().unwrap();
        assert_eq!(mode(&dest), mode(&probe));
        assert_ne!(mode(&dest), 0o600, "a temporary file's mode must not leak");

        let kept = dir.path().join("kept.sh");
        std::fs::write(&kept, b"old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o751)).unwrap();
        let mut partial = Box::new(StdPartialFile::create(&kept).unwrap());
        partial.write_all(b"new").unwrap();
        partial.commit().unwrap();
        assert_eq!(mode(&kept), 0o751);

        // Access bits only; a symlink is replaced, its target untouched.
        let setuid = dir.path().join("setuid");
        std::fs::write(&setuid, b"old").unwrap();
        std::fs::set_permissions(&setuid, std::fs::Permissions::from_mode(0o4755)).unwrap();
        Box::new(StdPartialFile::create(&setuid).unwrap())
            .commit()
            .unwrap();
        let full = std::fs::metadata(&setuid).unwrap().permissions().mode();
        assert_eq!(full & 0o7777, 0o755);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&kept, &link).unwrap();
        let mut partial = Box::new(StdPartialFile::create(&link).unwrap());
        partial.write_all(b"via link").unwrap();
        partial.commit().unwrap();
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(mode(&link), mode(&probe));
        assert_eq!(std::fs::read(&kept).unwrap(), b"new");
    }

    #[test]
    fn keep_existing_refuses_to_replace_a_file_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let mut partial = Box::new(StdPartialFile::create(&dest).unwrap().keep_existing());
        partial.write_all(b"new").unwrap();
        std::fs::write(&dest, b"appeared meanwhile").unwrap();
        let err = partial.commit().unwrap_err();
        assert!(err.to_string().contains("exists"), "{err}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"appeared meanwhile");
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
