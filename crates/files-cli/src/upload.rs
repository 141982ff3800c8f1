//! `files upload`: one request through `POST /files`, or — for a file over the provider's
//! limit, or with `--part-size`, `--parts` or `--resume` — the Uploads API in parts, with a
//! journal that lets `--resume` continue after a crash, a kill or Ctrl-C.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use files_client::{
    Error, FileObject, Observer, PartOptions, Purpose, ResumeFrom, UploadAfterFailure,
    UploadRequest,
};

use crate::args::{Connection, OutputArgs, UploadArgs};
use crate::commands::{client, each, fail, provider_from_env};
use crate::failure::{CliResult, Failure};
use crate::guarded_files::GuardedFiles;
use crate::interrupt::WithCleanup;
use crate::journal::{self, FileIdentity, JournalWriter, UploadSettings};
use crate::output::{self, Mode, escape_controls};
use crate::progress::{PartBars, TransferBar};
use files_cli::DynProvider;

/// Runs `files upload`: each path in turn (going on after a failure), or the URL.
pub fn run(connection: &Connection, out: &OutputArgs, args: &UploadArgs) -> CliResult {
    check_flags(args)?;
    let purpose = Purpose::new(args.purpose.as_str());
    if let Some(url) = &args.url {
        let provider = provider_from_env(connection)?;
        let mut upload = UploadRequest::from_url(url, purpose);
        if let Some(seconds) = args.expires_after {
            upload = upload.with_expires_after(seconds);
        }
        let api = client(connection, provider, vec![], GuardedFiles::default())?;
        let file = api.create(upload).map_err(fail(connection))?;
        return output::file(Mode::of(out), &file);
    }
    if args.jobs > 1 && args.paths.len() > 1 {
        let provider = provider_from_env(connection)?;
        return crate::bulk::upload(connection, out, provider, args);
    }
    each(
        &args.paths,
        |path| escape_controls(&path.display().to_string()),
        |path| upload_one(connection, out, args, path),
    )
}

/// The flags that only make sense together, checked before anything is read or sent.
fn check_flags(args: &UploadArgs) -> CliResult {
    let stdin = args.paths.iter().filter(|p| is_stdin(p)).count();
    if args.paths.len() > 1 && args.filename.is_some() {
        return Err(Failure::usage(
            "--filename names one file: give it with one path, or drop it to use each \
             path's base name",
        ));
    }
    if stdin > 1 {
        return Err(Failure::usage("`-` (standard input) can be given once"));
    }
    if stdin == 1 && args.filename.is_none() {
        return Err(Failure::usage(
            "standard input has no name: give the name the server should record with \
             --filename NAME",
        ));
    }
    if stdin == 1 && args.resume {
        return Err(Failure::usage(
            "--resume needs a file that is still there: it cannot continue standard input",
        ));
    }
    if stdin == 0 && args.size.is_some() {
        return Err(Failure::usage(
            "--size is the length of standard input: use it with `-`",
        ));
    }
    Ok(())
}

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Standard input copied to a temporary file, removed when dropped or on Ctrl-C.
fn buffer_stdin() -> CliResult<WithCleanup<tempfile::NamedTempFile>> {
    let fail = |e: std::io::Error| {
        Failure::local(format!(
            "could not buffer standard input to a temporary file: {e}"
        ))
    };
    let mut buffered = WithCleanup::create(
        || tempfile::Builder::new().prefix(".files-stdin-").tempfile(),
        |file| file.path().to_owned(),
    )
    .map_err(fail)?;
    let file = &mut buffered.value;
    std::io::copy(&mut std::io::stdin().lock(), file).map_err(fail)?;
    file.flush().map_err(fail)?;
    Ok(buffered)
}

/// Uploads one path (or standard input, `-`).
fn upload_one(
    connection: &Connection,
    out: &OutputArgs,
    args: &UploadArgs,
    source: &Path,
) -> CliResult {
    let provider = provider_from_env(connection)?;
    let purpose = Purpose::new(args.purpose.as_str());
    let buffered;
    let (mut upload, local) = match (is_stdin(source), &args.filename, args.size) {
        (true, Some(name), Some(len)) => (
            UploadRequest::from_reader(std::io::stdin(), len, name, purpose),
            None,
        ),
        (true, Some(name), None) => {
            buffered = buffer_stdin()?;
            let path = buffered.path();
            (
                UploadRequest::from_path(path, purpose).with_filename(name),
                Some(path),
            )
        }
        (true, None, _) => return Err(Failure::usage("standard input needs --filename NAME")),
        (false, name, _) => {
            let mut upload = UploadRequest::from_path(source, purpose);
            if let Some(name) = name {
                upload = upload.with_filename(name);
            }
            (upload, Some(source))
        }
    };
    if let Some(content_type) = &args.content_type {
        upload = upload.with_content_type(content_type);
    }
    if let Some(seconds) = args.expires_after {
        upload = upload.with_expires_after(seconds);
    }
    let asked_for_parts = args.part_size.is_some() || args.parts.is_some() || args.resume;
    let rule = provider.uploads();
    if asked_for_parts && rule.is_none() {
        return Err(Failure::usage(format!(
            "--part-size, --parts and --resume use the Uploads API, which {} does not have; \
             upload without them",
            provider.name()
        )));
    }
    if let (Some(size), Some(rule)) = (args.part_size, rule)
        && size > rule.max_part_bytes
    {
        return Err(Failure::usage(format!(
            "--part-size {size} bytes is over {}'s part limit of {} bytes ({} MiB); choose a \
             smaller one",
            provider.name(),
            rule.max_part_bytes,
            rule.max_part_bytes >> 20
        )));
    }
    let over_limit = match (local, args.size, rule) {
        (Some(path), _, Some(rule)) => {
            std::fs::metadata(path).is_ok_and(|m| m.len() > rule.switch_above)
        }
        (None, Some(len), Some(rule)) => len > rule.switch_above,
        _ => false,
    };
    if asked_for_parts || over_limit {
        // Standard input (buffered, or read as it comes with --size) keeps no journal: it
        // cannot be resumed.
        let journaled = local.filter(|_| !is_stdin(source));
        return in_parts(connection, out, provider, upload, journaled, args);
    }
    let bar = TransferBar::for_command(out, "upload").map(Arc::new);
    let observers = bar.iter().map(|b| b.clone() as Arc<dyn Observer>).collect();
    let api = client(connection, provider, observers, GuardedFiles::default())?;
    let file = api.create(upload).map_err(fail(connection))?;
    if let Some(bar) = bar {
        bar.finish();
    }
    output::file(Mode::of(out), &file)
}

/// Sends `upload` through the Uploads API, journaling each part when it is the local file
/// `journaled` (standard input is not).
fn in_parts(
    connection: &Connection,
    out: &OutputArgs,
    provider: DynProvider,
    upload: UploadRequest,
    journaled: Option<&Path>,
    args: &UploadArgs,
) -> CliResult {
    let settings = UploadSettings {
        purpose: args.purpose.clone(),
        filename: args.filename.clone(),
        content_type: args.content_type.clone(),
        expires_after: args.expires_after,
    };
    let (at, identity) = match journaled {
        None => (None, None),
        Some(path) => {
            let identity = FileIdentity::of(path)
                .map_err(|e| Failure::local(format!("could not read {}: {e}", path.display())))?;
            match journal::journal_path(path, provider.base_url().as_str()) {
                Ok(at) => (Some(at), Some(identity)),
                Err(why) if args.resume => return Err(Failure::local(why)),
                Err(why) => {
                    crate::output::note(&format!(
                        "warning: {why}; this upload cannot be resumed if it stops"
                    ));
                    (None, None)
                }
            }
        }
    };
    let path = journaled.unwrap_or(Path::new("-"));
    let found = match (&at, args.resume) {
        (None, _) => None,
        (Some(at), true) => journal::load(at).map_err(Failure::local)?,
        (Some(at), false) => journal::load(at).unwrap_or_else(|why| {
            crate::output::note(&format!("warning: {why}; it is replaced"));
            None
        }),
    };
    let resume = match (args.resume, found) {
        (true, Some(found)) if Some(&found.file) != identity.as_ref() => {
            return Err(Failure::usage(format!(
                "{} changed since its upload began (Upload {}): it cannot be resumed; run \
                 without --resume to upload it from the start",
                path.display(),
                escape_controls(&found.upload_id)
            )));
        }
        (true, Some(found)) if !found.settings.differences(&settings).is_empty() => {
            return Err(Failure::usage(format!(
                "the upload of {} began with {}: resume it with the same options, or run \
                 without --resume to upload it from the start",
                path.display(),
                escape_controls(&found.settings.differences(&settings).join(", "))
            )));
        }
        (true, Some(found)) => Some(found),
        (true, None) => {
            crate::output::note(&format!(
                "note: no unfinished upload of {} was found; starting a new one",
                path.display()
            ));
            None
        }
        (false, Some(found)) => {
            crate::output::note(&format!(
                "note: an unfinished upload of {} (Upload {}, {} part(s) sent) is left to \
                 expire; add --resume to continue it instead",
                path.display(),
                escape_controls(&found.upload_id),
                found.parts.len()
            ));
            None
        }
        (false, None) => None,
    };
    let mut parts = PartOptions::new();
    if let Some(size) = args.part_size.or(resume.as_ref().map(|j| j.part_size)) {
        parts = parts.part_size(size);
    }
    if let Some(n) = args.parts {
        parts = parts.in_flight(usize::from(n));
    }
    if args.no_md5 {
        parts = parts.md5(false);
    }
    let mut observers: Vec<Arc<dyn Observer>> = Vec::new();
    if let (Some(at), Some(identity)) = (&at, identity) {
        let writer = JournalWriter::new(at.clone(), identity, settings, resume.clone());
        observers.push(Arc::new(writer));
    }
    if let Some(bars) = PartBars::for_command(out) {
        observers.push(Arc::new(bars));
    }
    let api = client(connection, provider, observers, GuardedFiles::default())?;
    let resume_from = resume
        .map(|j| ResumeFrom::new(j.upload_id.clone(), j.sent()).with_expires_at(j.expires_at));
    let result = api.upload_in_parts(upload, parts, resume_from);
    let file = finish(result, at.as_deref(), journaled, args, connection)?;
    output::file(Mode::of(out), &file)
}

/// Keeps or removes the journal as the outcome says; `path` is the file to name in a hint
/// (none for standard input).
fn finish(
    result: Result<FileObject, Error>,
    at: Option<&Path>,
    path: Option<&Path>,
    args: &UploadArgs,
    connection: &Connection,
) -> CliResult<FileObject> {
    let remove = || at.into_iter().for_each(journal::remove);
    match result {
        Ok(file) => {
            remove();
            Ok(file)
        }
        Err(Error::Upload(failure)) if failure.is_final() => {
            remove();
            let again = matches!(
                failure.after,
                UploadAfterFailure::Expired { .. } | UploadAfterFailure::NotOpen
            );
            let failure = fail(connection)(Error::Upload(failure));
            if let (true, Some(path)) = (again, path) {
                Err(failure.with_hint(format!(
                    "run `files upload {} --purpose {}` without --resume to upload it again",
                    escape_controls(&path.display().to_string()),
                    escape_controls(&args.purpose)
                )))
            } else {
                Err(failure)
            }
        }
        Err(error) => {
            let failure = fail(connection)(error);
            if at.is_some_and(Path::exists) {
                Err(failure.with_hint(
                    "the parts sent so far are kept: add --resume to continue this upload \
                     within the hour",
                ))
            } else {
                Err(failure)
            }
        }
    }
}
