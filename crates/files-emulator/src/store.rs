//! Uploaded files: their metadata in memory and their bytes in the emulator's temp directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::dialect::Dialect;

/// The metadata of one stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredFile {
    pub(crate) id: String,
    pub(crate) bytes: u64,
    pub(crate) created_at: u64,
    pub(crate) filename: String,
    pub(crate) purpose: String,
    pub(crate) expires_at: Option<u64>,
    /// Insertion order, the tie-breaker between files created in the same second.
    pub(crate) seq: u64,
}

impl StoredFile {
    /// The file object as `dialect` writes it: its field names and time form, in the
    /// provider's order; `expires_at` and `status_details` where uploads may expire.
    pub(crate) fn object<'a>(&'a self, dialect: &'a Dialect) -> FileObject<'a> {
        FileObject {
            file: self,
            dialect,
        }
    }
}

/// A file object on the wire, in a dialect.
#[derive(Debug)]
pub(crate) struct FileObject<'a> {
    file: &'a StoredFile,
    dialect: &'a Dialect,
}

impl Serialize for FileObject<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (file, spec) = (self.file, self.dialect.spec());
        let fields = &self.dialect.wire().object;
        let rfc3339 = fields.time_form == files_core::extend::dialect::TimeForm::Rfc3339;
        let statuses = &spec.file.provider.file_statuses;
        let status = statuses
            .iter()
            .find(|s| *s == "processed")
            .or(statuses.first())
            .map_or("processed", String::as_str);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &file.id)?;
        map.serialize_entry("object", "file")?;
        if fields.bytes == "size_bytes" || rfc3339 {
            // A gateway's forms: the size as a string of digits.
            map.serialize_entry(&fields.bytes, &file.bytes.to_string())?;
        } else {
            map.serialize_entry(&fields.bytes, &file.bytes)?;
        }
        if rfc3339 {
            map.serialize_entry(&fields.created_at, &rfc3339_of(file.created_at))?;
        } else {
            map.serialize_entry(&fields.created_at, &file.created_at)?;
        }
        map.serialize_entry(&fields.filename, &file.filename)?;
        map.serialize_entry("purpose", &file.purpose)?;
        map.serialize_entry("status", status)?;
        if spec.file.expires_after.is_some() {
            match (file.expires_at, rfc3339) {
                (Some(at), true) => map.serialize_entry("expires_at", &rfc3339_of(at))?,
                (at, _) => map.serialize_entry("expires_at", &at)?,
            }
            map.serialize_entry("status_details", &None::<()>)?;
        }
        map.end()
    }
}

/// Unix seconds as an RFC 3339 time in UTC.
fn rfc3339_of(seconds: u64) -> String {
    let at = i64::try_from(seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The current time in whole seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// All stored files.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    files: Mutex<Vec<StoredFile>>,
    next_seq: AtomicU64,
}

impl Store {
    /// A store keeping file bytes in `dir` (which must exist and outlive the store).
    pub(crate) fn new(dir: PathBuf) -> Self {
        Store {
            dir,
            files: Mutex::new(Vec::new()),
            next_seq: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<StoredFile>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the bytes of the file `id` live. Only call with ids the emulator generated.
    pub(crate) fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A fresh path for an upload in progress.
    pub(crate) fn temp_path(&self) -> PathBuf {
        let n = self.next_seq.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("incoming-{n}.part"))
    }

    /// Adds a file's metadata (its bytes must already be at [`Store::path_of`]) unless `cap`
    /// files are stored already (then `None`); the count and the insert are one step.
    pub(crate) fn insert_within(
        &self,
        mut file: StoredFile,
        cap: Option<u64>,
    ) -> Option<StoredFile> {
        let mut files = self.lock();
        if cap.is_some_and(|cap| files.len() as u64 >= cap) {
            return None;
        }
        file.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        files.push(file.clone());
        Some(file)
    }

    /// How many files are stored.
    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    /// The metadata of file `id`.
    pub(crate) fn get(&self, id: &str) -> Option<StoredFile> {
        self.lock().iter().find(|f| f.id == id).cloned()
    }

    /// Forgets file `id`, returning its metadata.
    pub(crate) fn remove(&self, id: &str) -> Option<StoredFile> {
        let mut files = self.lock();
        let index = files.iter().position(|f| f.id == id)?;
        Some(files.remove(index))
    }

    /// Every file, ordered by `(created_at, insertion)` ascending, or exactly reversed.
    pub(crate) fn sorted(&self, ascending: bool) -> Vec<StoredFile> {
        let mut files = self.lock().clone();
        files.sort_by_key(|f| (f.created_at, f.seq));
        if !ascending {
            files.reverse();
        }
        files
    }
}

/// An upload being written to a temporary path, deleted on drop unless persisted.
#[derive(Debug)]
pub(crate) struct TempUpload {
    path: PathBuf,
    persisted: bool,
}

impl TempUpload {
    /// Claims `path` for an upload in progress.
    pub(crate) fn new(path: PathBuf) -> Self {
        TempUpload {
            path,
            persisted: false,
        }
    }

    /// The path being written.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the finished upload to `dest`.
    /// Moves the upload to `dest`. A rename within one directory: it does not block for
    /// long, and having no `.await` it cannot be cancelled half-way, so the file is either
    /// still temporary (and removed on drop) or at `dest`.
    pub(crate) fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, dest)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if !self.persisted {
            // The file may never have been created; nothing to report either way.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, created_at: u64) -> StoredFile {
        StoredFile {
            id: id.to_owned(),
            bytes: 1,
            created_at,
            filename: "a.txt".to_owned(),
            purpose: "batch".to_owned(),
            expires_at: None,
            seq: 0,
        }
    }

    #[test]
    fn sorts_by_time_then_insertion() {
        let store = Store::new(PathBuf::from("/nonexistent"));
        store.insert_within(file("b", 5), None);
        store.insert_within(file("c", 5), None);
        store.insert_within(file("a", 1), None);
        let asc: Vec<_> = store.sorted(true).into_iter().map(|f| f.id).collect();
        assert_eq!(asc, ["a", "b", "c"]);
        let desc: Vec<_> = store.sorted(false).into_iter().map(|f| f.id).collect();
        assert_eq!(desc, ["c", "b", "a"]);
        assert!(store.remove("b").is_some());
        assert!(store.get("b").is_none());
        assert!(
            store.insert_within(file("d", 9), Some(2)).is_none(),
            "two are held"
        );
        assert!(store.insert_within(file("d", 9), Some(3)).is_some());
    }

    #[test]
    fn file_objects_differ_by_dialect() {
        let f = file("file-1", 7);
        let text = serde_json::to_string(&f.object(&Dialect::openai())).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"id":"file-1","object":"file","bytes":1,"#),
            "{text}"
        );
        assert!(
            text.ends_with(r#""expires_at":null,"status_details":null}"#),
            "{text}"
        );
        let to_json = |d: Dialect| serde_json::to_value(f.object(&d)).unwrap_or_default();
        let openai = to_json(Dialect::openai());
        assert!(openai["expires_at"].is_null());
        assert!(openai.get("status_details").is_some());
        let stepfun = to_json(Dialect::stepfun());
        assert!(stepfun.get("expires_at").is_none());
        assert!(stepfun.get("status_details").is_none());
        assert_eq!(stepfun["status"], "processed");
    }
}
