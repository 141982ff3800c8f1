//! What the clients of a soak were told, kept in one place, and the audit that holds the
//! emulator's files against it at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use files_client::{Error, FileObject};

/// The most attempts a request makes (the default two retries).
pub const MAX_ATTEMPTS: u32 = 3;

/// One upload the clients were told succeeded.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The file name it was sent under (unique in a soak).
    pub name: String,
}

/// Everything the clients learned, shared by all of them.
#[derive(Debug, Default)]
pub struct Record {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The hash of every file name a client tried to upload.
    sent: HashMap<String, String>,
    /// The files whose upload succeeded, by id.
    stored: BTreeMap<String, Stored>,
    /// Attempts of each file name's upload that failed after the request may have been
    /// handled (a connection cut or timed out, not an HTTP answer): each may have stored a
    /// copy the client never heard of.
    unanswered: HashMap<String, u32>,
    /// Ids whose delete was tried, whatever came of it.
    delete_tried: BTreeSet<String>,
    /// Ids whose delete succeeded.
    deleted: BTreeSet<String>,
    /// Everything found wrong, in words.
    problems: Vec<String>,
    /// Operations by name, failures by kind.
    operations: BTreeMap<&'static str, u64>,
    failures: BTreeMap<String, u64>,
}

/// What an operation's retries said about it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Retried {
    /// Retries announced.
    pub retries: u32,
    /// Of those, retries after a connection failure or timeout (no HTTP answer).
    pub unanswered: u32,
}

impl Record {
    /// A client is about to upload `name` with this content hash.
    pub fn sending(&self, name: &str, hash: &str) {
        self.lock().sent.insert(name.to_owned(), hash.to_owned());
    }

    /// The hash sent under `name`.
    pub fn hash_of(&self, name: &str) -> Option<String> {
        self.lock().sent.get(name).cloned()
    }

    /// An upload of `name` ended: `result` is what the client was told, `retried` what its
    /// retries said.
    pub fn uploaded(&self, name: &str, result: &Result<FileObject, Error>, retried: Retried) {
        let mut inner = self.lock();
        let mut unanswered = retried.unanswered;
        if let Err(error) = result {
            unanswered += u32::from(!is_answered(error));
        }
        *inner.unanswered.entry(name.to_owned()).or_default() += unanswered;
        if let Ok(file) = result {
            let stored = Stored {
                name: name.to_owned(),
            };
            inner.stored.insert(file.id.clone(), stored);
        }
    }

    /// A delete of `id` is about to be tried.
    pub fn deleting(&self, id: &str) {
        self.lock().delete_tried.insert(id.to_owned());
    }

    /// A delete of `id` succeeded.
    pub fn deleted(&self, id: &str) {
        self.lock().deleted.insert(id.to_owned());
    }

    /// Whether a delete of `id` was tried.
    pub fn delete_was_tried(&self, id: &str) -> bool {
        self.lock().delete_tried.contains(id)
    }

    /// Counts an operation's outcome; a failure that `explained` does not cover is a problem.
    pub fn tally<T>(&self, operation: &'static str, result: &Result<T, Error>, explained: bool) {
        let mut inner = self.lock();
        *inner.operations.entry(operation).or_default() += 1;
        let Err(error) = result else { return };
        if !explained {
            inner.problems.push(format!(
                "{operation} failed in a way no fault explains: {error}"
            ));
        }
        let kind = match error {
            Error::Api(e) => format!("{operation}: api {}", e.status),
            Error::Transport(e) => format!("{operation}: transport {}", e.kind),
            other => format!("{operation}: {other}"),
        };
        *inner.failures.entry(kind).or_default() += 1;
    }

    /// Records something found wrong.
    pub fn problem(&self, problem: String) {
        self.lock().problems.push(problem);
    }

    /// The files a client was told are stored and that nobody tried to delete: each must
    /// still be there at the end.
    pub fn kept(&self) -> Vec<(String, Stored)> {
        let inner = self.lock();
        inner
            .stored
            .iter()
            .filter(|(id, _)| !inner.delete_tried.contains(*id))
            .map(|(id, stored)| (id.clone(), stored.clone()))
            .collect()
    }

    /// Holds the emulator's listing at the end against the record; the problems found go into
    /// the record, and the counts into `audit`.
    pub fn audit(&self, listed: &[FileObject], audit: &mut Audit) {
        let mut inner = self.lock();
        let listed_ids: BTreeSet<&str> = listed.iter().map(|f| f.id.as_str()).collect();
        let mut problems = Vec::new();
        for (id, stored) in &inner.stored {
            if !inner.delete_tried.contains(id) && !listed_ids.contains(id.as_str()) {
                audit.lost += 1;
                problems.push(format!(
                    "lost: {id} ({}) was stored, never deleted, and is gone",
                    stored.name
                ));
            }
        }
        for id in &inner.deleted {
            if listed_ids.contains(id.as_str()) {
                problems.push(format!("resurrected: {id} was deleted and is listed again"));
            }
        }
        let mut copies: BTreeMap<&str, u32> = BTreeMap::new();
        for file in listed {
            if !inner.sent.contains_key(&file.filename) {
                problems.push(format!(
                    "the emulator holds {} ({}) that nobody sent",
                    file.id, file.filename
                ));
            } else if !inner.stored.contains_key(&file.id) {
                *copies.entry(file.filename.as_str()).or_default() += 1;
            }
        }
        // The client looks for what a lost attempt stored before it sends again: any copy
        // is a failure, and one no unanswered attempt explains is a worse one.
        for (name, extra) in copies {
            audit.duplicates += u64::from(extra);
            let explained = inner.unanswered.get(name).copied().unwrap_or(0);
            if extra > explained {
                audit.unexplained_duplicates += u64::from(extra - explained);
            }
            problems.push(format!(
                "duplicate: {name} is stored {extra} more time(s) than its client was told \
                 ({explained} of its attempts went unanswered)"
            ));
        }
        inner.problems.extend(problems);
    }

    /// The operations and failures counted, and the problems found.
    pub fn totals(
        &self,
    ) -> (
        BTreeMap<&'static str, u64>,
        BTreeMap<String, u64>,
        Vec<String>,
    ) {
        let inner = self.lock();
        (
            inner.operations.clone(),
            inner.failures.clone(),
            inner.problems.clone(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A client that panicked is reported as a problem of its own; its record is still good.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The counts the audit makes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// Files stored, never deleted, and gone.
    pub lost: u64,
    /// Copies stored that no client was told of (a retry after an unanswered attempt).
    pub duplicates: u64,
    /// Of those, copies that no unanswered attempt explains.
    pub unexplained_duplicates: u64,
}

/// Whether the server answered: an HTTP status, not a cut connection or a timeout (after which
/// the request may or may not have been handled).
pub fn is_answered(error: &Error) -> bool {
    !matches!(error, Error::Transport(_))
}

/// Whether the fault plan explains `error` for `operation`: a retryable failure that met a
/// fault on every attempt, or a `404` that `gone` says a delete explains.
pub fn explained(error: &Error, gone: bool) -> bool {
    match error {
        Error::Api(e) if e.status == 404 => gone,
        Error::Api(e) => (e.status == 429 || e.status >= 500) && e.attempts == MAX_ATTEMPTS,
        Error::Transport(e) => {
            matches!(
                e.kind,
                files_client::TransportErrorKind::Io
                    | files_client::TransportErrorKind::Timeout
                    | files_client::TransportErrorKind::Connect
            ) && e.attempts == MAX_ATTEMPTS
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, name: &str) -> FileObject {
        serde_json::from_value(serde_json::json!({
            "id": id, "object": "file", "bytes": 1, "created_at": 1,
            "filename": name, "purpose": "batch",
        }))
        .expect("a file object")
    }

    /// A record of one stored file `a` (named `a.jsonl`), and one upload of `b.jsonl` that
    /// was retried once after an unanswered attempt and then stored as `b`.
    fn record() -> Record {
        let record = Record::default();
        record.sending("a.jsonl", "ha");
        record.uploaded("a.jsonl", &Ok(file("a", "a.jsonl")), Retried::default());
        record.sending("b.jsonl", "hb");
        let retried = Retried {
            retries: 1,
            unanswered: 1,
        };
        record.uploaded("b.jsonl", &Ok(file("b", "b.jsonl")), retried);
        record
    }

    fn audit(record: &Record, listed: &[FileObject]) -> (Audit, Vec<String>) {
        let mut audit = Audit::default();
        record.audit(listed, &mut audit);
        (audit, record.totals().2)
    }

    #[test]
    fn a_listing_that_matches_the_record_is_clean() {
        let record = record();
        let (audit, problems) = audit(&record, &[file("a", "a.jsonl"), file("b", "b.jsonl")]);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(audit, Audit::default());
    }

    #[test]
    fn a_copy_is_reported_even_when_an_unanswered_attempt_explains_it() {
        let record = record();
        let copy = file("b2", "b.jsonl");
        let (audit, problems) = audit(&record, &[file("a", "a.jsonl"), file("b", "b.jsonl"), copy]);
        assert_eq!(
            problems,
            [
                "duplicate: b.jsonl is stored 1 more time(s) than its client was told (1 of its \
              attempts went unanswered)"
            ]
        );
        assert_eq!(
            audit,
            Audit {
                lost: 0,
                duplicates: 1,
                unexplained_duplicates: 0
            },
            "the copy is matched by b's unanswered attempt"
        );
    }

    #[test]
    fn a_copy_no_unanswered_attempt_explains_is_reported() {
        let record = record();
        let listed = [
            file("a", "a.jsonl"),
            file("a2", "a.jsonl"),
            file("b", "b.jsonl"),
        ];
        let (audit, problems) = audit(&record, &listed);
        assert_eq!(audit.unexplained_duplicates, 1);
        assert_eq!(
            problems,
            [
                "duplicate: a.jsonl is stored 1 more time(s) than its client was told (0 of its \
              attempts went unanswered)"
            ]
        );
    }

    #[test]
    fn a_deleted_file_listed_again_and_a_file_nobody_sent_are_reported() {
        let record = record();
        record.deleting("a");
        record.deleted("a");
        let listed = [
            file("a", "a.jsonl"),
            file("b", "b.jsonl"),
            file("x", "x.jsonl"),
        ];
        let (audit, problems) = audit(&record, &listed);
        assert_eq!(audit.lost, 0, "a delete was tried: a is not lost");
        assert_eq!(
            problems,
            [
                "resurrected: a was deleted and is listed again",
                "the emulator holds x (x.jsonl) that nobody sent",
            ]
        );
    }

    #[test]
    fn a_file_whose_delete_was_tried_may_be_gone_and_one_never_deleted_may_not() {
        let record = record();
        record.deleting("b");
        let (audit, problems) = audit(&record, &[]);
        assert_eq!(audit.lost, 1);
        assert_eq!(
            problems,
            ["lost: a (a.jsonl) was stored, never deleted, and is gone"]
        );
    }
}
