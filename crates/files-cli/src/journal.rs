//! The journal of an upload in parts: what `files upload --resume` needs to continue one that
//! a crash, a kill or Ctrl-C stopped — the Upload's id and expiry, the file's identity, and
//! the parts the server took. One small JSON file per (file, base URL) in the user's cache
//! directory (`$FILES_JOURNAL_DIR`, else `$XDG_CACHE_HOME/files/uploads`, else
//! `~/.cache/files/uploads`), rewritten whole (a temporary file renamed over it) after each
//! part, and removed when the upload completes or is cancelled.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use crate::interrupt::WithCleanup;
use files_client::{Observer, PartRange, SentPart, UploadStarted};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How much of each end of the file its identity hashes.
const END_BYTES: u64 = 1 << 20;

/// What identifies the file an upload is sending: its size, its modification time, and a
/// hash of its first and last MiB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    /// The size in bytes.
    pub len: u64,
    /// The modification time, in nanoseconds since the Unix epoch.
    pub modified_ns: u128,
    /// SHA-256 of the first and last MiB.
    pub ends_sha256: String,
}

impl FileIdentity {
    /// Reads the identity of the file at `path`.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let modified_ns = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(END_BYTES as usize);
        (&mut file).take(END_BYTES).read_to_end(&mut head)?;
        hasher.update(&head);
        let tail_start = meta.len().saturating_sub(END_BYTES).max(head.len() as u64);
        file.seek(SeekFrom::Start(tail_start))?;
        let mut tail = Vec::new();
        file.take(END_BYTES).read_to_end(&mut tail)?;
        hasher.update(&tail);
        Ok(FileIdentity {
            len: meta.len(),
            modified_ns,
            ends_sha256: hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        })
    }
}

/// One part the server took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPart {
    /// Its id.
    pub id: String,
    /// Where it starts.
    pub offset: u64,
    /// How many bytes it holds.
    pub len: u64,
}

/// What the Upload was created with: a resume must ask for the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSettings {
    /// The purpose.
    pub purpose: String,
    /// The file name given with `--filename`, if any.
    pub filename: Option<String>,
    /// The content type given with `--content-type`, if any.
    pub content_type: Option<String>,
    /// The expiry given with `--expires-after`, if any.
    pub expires_after: Option<u64>,
}

impl UploadSettings {
    /// The flags that differ between `self` (the journal's) and `asked` (this run's).
    pub fn differences(&self, asked: &UploadSettings) -> Vec<String> {
        let mut out = Vec::new();
        if self.purpose != asked.purpose {
            out.push(format!(
                "--purpose {} (now {})",
                self.purpose, asked.purpose
            ));
        }
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        if self.filename != asked.filename {
            out.push(format!(
                "--filename {} (now {})",
                show(&self.filename),
                show(&asked.filename)
            ));
        }
        if self.content_type != asked.content_type {
            out.push(format!(
                "--content-type {} (now {})",
                show(&self.content_type),
                show(&asked.content_type)
            ));
        }
        if self.expires_after != asked.expires_after {
            let show = |v: Option<u64>| v.map_or("(none)".into(), |s| s.to_string());
            out.push(format!(
                "--expires-after {} (now {})",
                show(self.expires_after),
                show(asked.expires_after)
            ));
        }
        out
    }
}

/// The journal's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The Upload's id.
    pub upload_id: String,
    /// What it was created with.
    pub settings: UploadSettings,
    /// When it expires, in Unix seconds.
    pub expires_at: Option<u64>,
    /// The file, as it was when the upload began.
    pub file: FileIdentity,
    /// The size of every part but the last.
    pub part_size: u64,
    /// The parts the server took.
    pub parts: Vec<JournalPart>,
}

impl Journal {
    /// The parts as the library takes them.
    pub fn sent(&self) -> Vec<SentPart> {
        self.parts
            .iter()
            .map(|p| SentPart {
                id: p.id.clone(),
                range: PartRange {
                    offset: p.offset,
                    len: p.len,
                },
            })
            .collect()
    }
}

/// Where the journals live.
fn journal_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FILES_JOURNAL_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("files").join("uploads"));
    }
    let home = std::env::var_os("HOME").filter(|d| !d.is_empty())?;
    Some(
        PathBuf::from(home)
            .join(".cache")
            .join("files")
            .join("uploads"),
    )
}

/// The journal file of `path` uploaded to `base_url`.
pub fn journal_path(path: &Path, base_url: &str) -> Result<PathBuf, String> {
    let dir = journal_dir().ok_or(
        "no directory for the upload journal: set FILES_JOURNAL_DIR (or HOME or XDG_CACHE_HOME)",
    )?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mut hasher = Sha256::new();
    hasher.update(canonical.to_string_lossy().as_bytes());
    hasher.update(b"\n");
    hasher.update(base_url.as_bytes());
    let key: String = hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(dir.join(format!("{key}.json")))
}

/// Reads a journal, if there is one.
pub fn load(at: &Path) -> Result<Option<Journal>, String> {
    match std::fs::read(at) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            format!(
                "the upload journal {} is damaged ({e}); remove it and run without --resume",
                at.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "could not read the upload journal {}: {e}",
            at.display()
        )),
    }
}

/// Writes `journal` to `at` whole: a temporary file beside it, renamed over it.
fn save(at: &Path, journal: &Journal) -> std::io::Result<()> {
    let dir = at.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = WithCleanup::create(
        || tempfile::NamedTempFile::new_in(dir),
        |temp| temp.path().to_owned(),
    )?;
    let bytes = serde_json::to_vec_pretty(journal).map_err(std::io::Error::other)?;
    temp.value.write_all(&bytes)?;
    temp.as_file().sync_data()?;
    temp.value.persist(at).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the journal at `at`, if any.
pub fn remove(at: &Path) {
    // Gone already is as good as removed.
    let _ = std::fs::remove_file(at);
}

/// Keeps the journal as the upload goes: an [`Observer`] that records the Upload when it
/// starts and each part the server takes.
pub struct JournalWriter {
    at: PathBuf,
    file: FileIdentity,
    settings: UploadSettings,
    state: Mutex<Option<Journal>>,
    /// Set once a write fails, so the warning is printed once.
    failed: Mutex<bool>,
}

impl JournalWriter {
    /// A writer of the journal at `at` for the file `file`, starting from `resumed` if the
    /// upload continues one.
    pub fn new(
        at: PathBuf,
        file: FileIdentity,
        settings: UploadSettings,
        resumed: Option<Journal>,
    ) -> Self {
        JournalWriter {
            at,
            file,
            settings,
            state: Mutex::new(resumed),
            failed: Mutex::new(false),
        }
    }

    fn write(&self, journal: &Journal) {
        if let Err(e) = save(&self.at, journal) {
            let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            if !*failed {
                *failed = true;
                crate::output::note(&format!(
                    "warning: could not write the upload journal {} ({e}): this upload cannot \
                     be resumed if it stops",
                    self.at.display()
                ));
            }
        }
    }
}

impl Observer for JournalWriter {
    fn upload_started(&self, upload: &UploadStarted) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let journal = state.get_or_insert_with(|| Journal {
            upload_id: upload.upload_id.clone(),
            settings: self.settings.clone(),
            expires_at: upload.expires_at,
            file: self.file.clone(),
            part_size: upload.part_size,
            parts: Vec::new(),
        });
        journal.upload_id = upload.upload_id.clone();
        journal.expires_at = upload.expires_at.or(journal.expires_at);
        self.write(journal);
    }

    fn part_done(&self, part: &SentPart) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(journal) = state.as_mut() {
            journal.parts.push(JournalPart {
                id: part.id.clone(),
                offset: part.range.offset,
                len: part.range.len,
            });
            self.write(journal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 of `parts` one after the other, in hex.
    fn sha256_hex(parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn the_identity_changes_with_the_content_at_either_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let end = END_BYTES as usize;
        let len = (3 << 20) + 5;
        let mut bytes = vec![7u8; len];
        std::fs::write(&path, &bytes).unwrap();
        let first = FileIdentity::of(&path).unwrap();
        assert_eq!(first.len, len as u64);
        // The hash is of the first MiB and then the last MiB, as documented.
        assert_eq!(
            first.ends_sha256,
            sha256_hex(&[&bytes[..end], &bytes[len - end..]])
        );
        let hash_with = |at: usize| {
            let mut changed = bytes.clone();
            changed[at] = 8;
            std::fs::write(&path, &changed).unwrap();
            FileIdentity::of(&path).unwrap().ends_sha256
        };
        // A byte at either edge of either end changes it…
        for at in [0, end - 1, len - end, len - 1] {
            assert_ne!(hash_with(at), first.ends_sha256, "byte {at}");
        }
        // …and one between the ends does not: the identity does not claim to cover it.
        for at in [end, len / 2, len - end - 1] {
            assert_eq!(hash_with(at), first.ends_sha256, "byte {at}");
        }
        // A file shorter than the two ends together is hashed once, whole: no byte twice.
        for short in [0, 10, end, end + (end / 2), 2 * end] {
            bytes = (0..short).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let identity = FileIdentity::of(&path).unwrap();
            assert_eq!(identity.len, short as u64);
            assert_eq!(identity.ends_sha256, sha256_hex(&[&bytes]), "{short} bytes");
        }
    }

    #[test]
    fn a_journal_round_trips_and_lists_its_parts() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("j").join("x.json");
        let writer = JournalWriter::new(
            at.clone(),
            FileIdentity {
                len: 10,
                modified_ns: 1,
                ends_sha256: "ab".into(),
            },
            UploadSettings {
                purpose: "batch".into(),
                filename: None,
                content_type: None,
                expires_after: None,
            },
            None,
        );
        writer.upload_started(&started());
        writer.part_done(&SentPart {
            id: "part_1".into(),
            range: PartRange { offset: 4, len: 6 },
        });
        let journal = load(&at).unwrap().unwrap();
        assert_eq!(journal.upload_id, "upload_1");
        assert_eq!(journal.sent()[0].range, PartRange { offset: 4, len: 6 });
        remove(&at);
        assert!(load(&at).unwrap().is_none());
        std::fs::write(&at, "{").unwrap();
        assert!(load(&at).unwrap_err().contains("is damaged"));
    }

    fn started() -> UploadStarted {
        UploadStarted::new("upload_1", 10, 4)
    }
}
