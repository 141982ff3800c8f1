//! Many files at once: `files upload PATH… --jobs N`, `files download ID… --dir DIR`,
//! `files delete ID…` and `files delete --all`. Each runs the library's bulk call (up to
//! `--jobs` in flight, one client, so a `429` that asks to wait holds them all) and prints each
//! result in the order of the input: `--json` one document per file, a failure as
//! `{"item", "error", "exit_status"}`. The exit status is the worst failure's.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use files_client::{Error, FileObject, ListParams, PartOptions, Purpose, UploadRequest};
use serde::Serialize;

use crate::args::{Connection, DeleteArgs, DownloadArgs, OutputArgs, UploadArgs};
use crate::commands::{client, fail};
use crate::failure::{CliResult, Failure, FailureKind};
use crate::guarded_files::GuardedFiles;
use crate::output::{self, Mode, escape_controls, size};
use files_cli::{Api, DynProvider};

/// What `--json` prints for an item that failed.
#[derive(Serialize)]
struct ItemFailure<'a> {
    item: &'a str,
    error: &'a str,
    exit_status: u8,
}

/// What `--json` prints for a file downloaded to a path.
#[derive(Serialize)]
struct Downloaded<'a> {
    id: &'a str,
    path: &'a Path,
    bytes_written: u64,
}

/// The worse of two failures: the higher exit status (a closed output aside).
pub(crate) fn worse(a: FailureKind, b: FailureKind) -> FailureKind {
    if b.status() > a.status() { b } else { a }
}

/// Prints each result after its item (`labels` in the same order): a success by `print`, a
/// failure on stderr (with `--json`, as a document on stdout). Fails with the worst failure's
/// kind when any failed; a closed standard output ends it at once.
pub fn report<T>(
    mode: Mode,
    labels: &[String],
    results: Vec<Result<T, Failure>>,
    mut print: impl FnMut(&T) -> CliResult,
) -> CliResult {
    if let ([_], [Err(_)]) = (labels, results.as_slice()) {
        return results.into_iter().next().map_or(Ok(()), |r| r.map(|_| ()));
    }
    let total = results.len();
    let mut worst: Option<FailureKind> = None;
    let mut failed = 0;
    for (label, result) in labels.iter().zip(results) {
        match result {
            Ok(value) => print(&value)?,
            Err(failure) if failure.kind == FailureKind::ClosedOutput => return Err(failure),
            Err(failure) => {
                failed += 1;
                worst = Some(worst.map_or(failure.kind, |w| worse(w, failure.kind)));
                if mode == Mode::Json {
                    output::json(&ItemFailure {
                        item: label,
                        error: &failure.message,
                        exit_status: failure.kind.status(),
                    })?;
                } else {
                    output::note(&format!("error: {}", failure.context(label)));
                }
            }
        }
    }
    match worst {
        None => Ok(()),
        Some(kind) => Err(Failure::new(
            kind,
            format!("{failed} of {total} failed (see above)"),
        )),
    }
}

/// `files upload PATH… --jobs N`: every path at once, up to N in flight.
pub fn upload(
    connection: &Connection,
    out: &OutputArgs,
    provider: DynProvider,
    args: &UploadArgs,
) -> CliResult {
    if args.paths.iter().any(|p| p == Path::new("-")) {
        return Err(Failure::usage(
            "--jobs uploads paths side by side; standard input (`-`) is uploaded alone",
        ));
    }
    // As for one path: --part-size and --parts ask for parts; --no-md5 only says how parts
    // are sent, to a file that goes in parts anyway (over the switch size).
    let asked = args.part_size.is_some() || args.parts.is_some();
    let mut parts = PartOptions::new().md5(!args.no_md5);
    if let Some(size) = args.part_size {
        parts = parts.part_size(size);
    }
    if let Some(n) = args.parts {
        parts = parts.in_flight(usize::from(n));
    }
    let switch_above = provider.uploads().map(|rule| rule.switch_above);
    let in_parts = |path: &Path| {
        asked
            || (args.no_md5
                && switch_above
                    .is_some_and(|above| std::fs::metadata(path).is_ok_and(|m| m.len() > above)))
    };
    let uploads = args
        .paths
        .iter()
        .map(|path| {
            let mut upload = UploadRequest::from_path(path, Purpose::new(args.purpose.as_str()));
            if let Some(content_type) = &args.content_type {
                upload = upload.with_content_type(content_type);
            }
            if let Some(seconds) = args.expires_after {
                upload = upload.with_expires_after(seconds);
            }
            if in_parts(path) {
                upload = upload.with_parts(parts);
            }
            upload
        })
        .collect();
    let api = client(connection, provider, vec![], GuardedFiles::default())?;
    let results = api
        .upload_many(uploads, usize::from(args.jobs))
        .into_iter()
        .map(|r| r.map_err(fail(connection)))
        .collect();
    let labels: Vec<String> = args
        .paths
        .iter()
        .map(|p| escape_controls(&p.display().to_string()))
        .collect();
    let mode = Mode::of(out);
    report(mode, &labels, results, |file| output::file(mode, file))
}

/// `files download ID… --dir DIR`: each file under its name on the server in DIR, complete
/// or not at all, up to `--jobs` at once.
pub fn download(
    connection: &Connection,
    out: &OutputArgs,
    provider: DynProvider,
    args: &DownloadArgs,
    dir: &Path,
) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::local(format!("--dir {}: could not create it: {e}", dir.display()))
    })?;
    let jobs = usize::from(args.jobs);
    // A name from the server never replaces a file.
    let api = client(
        connection,
        provider,
        vec![],
        GuardedFiles { no_clobber: true },
    )?;
    let names = api.retrieve_many(args.ids.clone(), jobs);
    let mut taken = HashSet::new();
    let mut dests: Vec<Result<PathBuf, Failure>> = Vec::new();
    for (id, named) in args.ids.iter().zip(names) {
        dests.push(named.map_err(fail(connection)).and_then(|file| {
            let dest = dir.join(local_name(id, &file, &mut taken));
            if dest.exists() {
                return Err(Failure::local(format!(
                    "{} exists and is kept: move it, or download {} alone with -o",
                    dest.display(),
                    escape_controls(id)
                )));
            }
            Ok(dest)
        }));
    }
    let wanted: Vec<(String, PathBuf)> = args
        .ids
        .iter()
        .zip(&dests)
        .filter_map(|(id, dest)| Some((id.clone(), dest.as_ref().ok()?.clone())))
        .collect();
    let mut written = api.download_many(wanted, jobs).into_iter();
    let results: Vec<Result<(String, PathBuf, u64), Failure>> = args
        .ids
        .iter()
        .zip(dests)
        .map(|(id, dest)| {
            let dest = dest?;
            let bytes = written
                .next()
                .unwrap_or_else(|| Err(Error::Transport(lost())))
                .map_err(fail(connection))?;
            Ok((id.clone(), dest, bytes))
        })
        .collect();
    let labels: Vec<String> = args.ids.iter().map(|id| escape_controls(id)).collect();
    let mode = Mode::of(out);
    report(mode, &labels, results, |(id, dest, bytes)| match mode {
        Mode::Json => output::json(&Downloaded {
            id,
            path: dest,
            bytes_written: *bytes,
        }),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::note(&format!(
                "{} ({} bytes) written to {}",
                size(*bytes),
                output::group_digits(*bytes),
                dest.display()
            ));
            Ok(())
        }
    })
}

/// A download the bulk call did not answer for (it answers for every one it is given).
fn lost() -> files_client::TransportError {
    files_client::TransportError::new(
        files_client::TransportErrorKind::Other,
        "the download was not run; this is a bug in files",
    )
}

/// The local name of file `id` (as the user gave it) downloaded into a directory: its server
/// name's base name, or the id when that cannot be used; `ID-NAME` (then `ID-2-NAME`…) when an
/// earlier file of the batch has the name. Every part of it is made safe: no separator, no
/// leading dot, nothing that steers a terminal.
fn local_name(id: &str, file: &FileObject, taken: &mut HashSet<String>) -> String {
    let id = safe_part(id);
    let base = crate::download::safe_name(&file.filename).map_or_else(|| id.clone(), str::to_owned);
    let mut name = base.clone();
    let mut n = 1;
    while !taken.insert(name.clone()) {
        name = match n {
            1 => format!("{id}-{base}"),
            n => format!("{id}-{n}-{base}"),
        };
        n += 1;
    }
    name
}

/// `text` as one safe file-name part: separators and characters that steer a terminal become
/// `_`, and a leading dot (or nothing at all) gets one before it.
fn safe_part(text: &str) -> String {
    let mut part: String = text
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || output::steers_terminal(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if part.is_empty() || part.starts_with('.') {
        part.insert(0, '_');
    }
    part
}

/// `files delete ID…`, up to `--jobs` at once.
pub fn delete_ids(api: &Api, connection: &Connection, mode: Mode, args: &DeleteArgs) -> CliResult {
    let results = api
        .delete_many(args.ids.clone(), usize::from(args.jobs))
        .into_iter()
        .map(|r| r.map_err(fail(connection)))
        .collect();
    let labels: Vec<String> = args.ids.iter().map(|id| escape_controls(id)).collect();
    report(mode, &labels, results, |deleted| {
        output::deleted(mode, deleted)
    })
}

/// `files delete --all [--purpose P] [--older-than AGE] [--dry-run] [--yes]`: lists what it
/// would delete, then deletes it once told to.
pub fn delete_all(api: &Api, connection: &Connection, mode: Mode, args: &DeleteArgs) -> CliResult {
    let purpose = args.purpose.as_deref().map(Purpose::new);
    let mut params = ListParams::new();
    if let Some(purpose) = &purpose
        && api.provider().dialect().list.purpose.is_some()
    {
        params = params.purpose(purpose.clone());
    }
    let cutoff = args.older_than.map(|age| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        now.saturating_sub(age).as_secs()
    });
    let mut chosen = Vec::new();
    for file in api.list_all(&params) {
        let file = file.map_err(fail(connection))?;
        if is_chosen(&file, purpose.as_ref(), cutoff) {
            chosen.push(file);
        }
    }
    let what = describe(args);
    if chosen.is_empty() {
        output::note(&format!("no {what} to delete"));
        return Ok(());
    }
    if mode != Mode::Json || args.dry_run {
        for file in &chosen {
            if mode == Mode::Json {
                output::file(mode, file)?;
            } else {
                output::note(&format!("  {}", output::file_line(file)));
            }
        }
    }
    let count = chosen.len();
    if args.dry_run {
        output::note(&format!(
            "would delete {count} {what}; nothing deleted (--dry-run)"
        ));
        return Ok(());
    }
    if !args.yes {
        if mode == Mode::Json {
            // The documents were not printed: the question must not come without the list.
            for file in &chosen {
                output::note(&format!("  {}", output::file_line(file)));
            }
        }
        confirm(count, &what)?;
    }
    let ids: Vec<String> = chosen.into_iter().map(|f| f.id).collect();
    let labels: Vec<String> = ids.iter().map(|id| escape_controls(id)).collect();
    let results = api
        .delete_many(ids, usize::from(args.jobs))
        .into_iter()
        .map(|r| r.map_err(fail(connection)))
        .collect();
    report(mode, &labels, results, |deleted| {
        output::deleted(mode, deleted)
    })?;
    if mode == Mode::Human {
        output::note(&format!("deleted {count} {what}"));
    }
    Ok(())
}

/// Whether `--all` deletes `file`: of `purpose` (when given), created before `cutoff` (Unix
/// seconds, when given). Checked here even when the listing was narrowed by purpose: a server
/// that ignores the filter must not widen the deletion.
fn is_chosen(file: &FileObject, purpose: Option<&Purpose>, cutoff: Option<u64>) -> bool {
    purpose.is_none_or(|p| file.purpose == *p) && cutoff.is_none_or(|c| file.created_at < c)
}

/// "file(s)", with the purpose and age asked for.
fn describe(args: &DeleteArgs) -> String {
    let mut what = "file(s)".to_owned();
    if let Some(purpose) = &args.purpose {
        what.push_str(&format!(" of purpose {}", escape_controls(purpose)));
    }
    if let Some(age) = args.older_than {
        what.push_str(&format!(" older than {}", humantime::format_duration(age)));
    }
    what
}

/// Asks on the terminal before deleting; refuses (a usage failure) when there is none to ask
/// on, or when the answer is not yes.
fn confirm(count: usize, what: &str) -> CliResult {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::usage(format!(
            "would delete {count} {what}, and standard input is no terminal to ask on: add \
             --yes to delete them, or --dry-run to only list them"
        )));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "delete these {count} {what}? [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::local(format!("could not read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::usage("nothing deleted: the answer was not yes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_failure_is_the_highest_status() {
        use FailureKind::*;
        assert_eq!(worse(Refused, LocalFile), LocalFile);
        assert_eq!(worse(Unavailable, Usage), Unavailable);
        assert_eq!(worse(Usage, Refused), Refused);
    }

    fn file(id: &str, name: &str) -> FileObject {
        made(id, name, "batch", 1)
    }

    fn made(id: &str, name: &str, purpose: &str, created_at: u64) -> FileObject {
        serde_json::from_value(serde_json::json!({
            "id": id, "object": "file", "bytes": 1, "created_at": created_at,
            "filename": name, "purpose": purpose
        }))
        .unwrap()
    }

    #[test]
    fn all_deletes_only_the_purpose_and_age_asked_for() {
        let batch = Purpose::new("batch");
        let old = made("a", "a", "batch", 1_000);
        let new = made("b", "b", "batch", 5_000);
        let other = made("c", "c", "assistants", 1_000);
        assert!(is_chosen(&old, Some(&batch), Some(2_000)));
        assert!(!is_chosen(&new, Some(&batch), Some(2_000)), "too new");
        assert!(!is_chosen(&other, Some(&batch), None), "another purpose");
        assert!(is_chosen(&other, None, None));
        assert!(
            !is_chosen(&old, None, Some(1_000)),
            "created at the cutoff is kept"
        );
    }

    #[test]
    fn names_in_a_directory_are_safe_and_distinct() {
        let mut taken = HashSet::new();
        let mut name = |id: &str, server: &str| local_name(id, &file(id, server), &mut taken);
        assert_eq!(name("file-a", "out.jsonl"), "out.jsonl");
        assert_eq!(name("file-b", "../../out.jsonl"), "file-b-out.jsonl");
        assert_eq!(name("file-c", ".."), "file-c");
        assert_eq!(name("file-d", "\x1b[2J"), "file-d");
        // The same id twice, and a third time: a name each.
        assert_eq!(name("file-a", "out.jsonl"), "file-a-out.jsonl");
        assert_eq!(name("file-a", "out.jsonl"), "file-a-2-out.jsonl");
        // An id the user typed is made safe too when it names the file.
        assert_eq!(name("../x", ".."), "_.._x");
        assert_eq!(name(".hidden", "\x1b"), "_.hidden");
        assert_eq!(name("a\x1b[2Jb", ""), "a_[2Jb");
    }
}
