//! `files upload`: one request through `POST /files`, or — for a file over the provider's
//! limit, or with `--part-size`, `--parts` or `--resume` — the Uploads API in parts, with a
//! journal that lets `--resume` continue after a crash, a kill or Ctrl-C.

use std::path::Path;
use std::sync::Arc;

use files_client::{
    Error, FileObject, Observer, PartOptions, Purpose, ResumeFrom, UploadAfterFailure,
    UploadFailure, UploadRequest,
};

use crate::args::{Connection, UploadArgs};
use crate::commands::{CliResult, client};
use crate::journal::{self, FileIdentity, JournalWriter};
use crate::output::{escape_controls, file_line};
use crate::progress::{Observers, PartBars, WarningPrinter};
use files_cli::DynProvider;

/// Runs `files upload`.
pub fn run(connection: &Connection, provider: DynProvider, args: UploadArgs) -> CliResult {
    let purpose = Purpose::new(args.purpose.as_str());
    let mut upload = match (&args.path, &args.url) {
        (Some(path), None) => UploadRequest::from_path(path, purpose),
        (None, Some(url)) => UploadRequest::from_url(url, purpose),
        _ => return Err("give either a file path or --url".into()),
    };
    if let Some(name) = &args.filename {
        upload = upload.with_filename(name);
    }
    if let Some(content_type) = &args.content_type {
        upload = upload.with_content_type(content_type);
    }
    if let Some(seconds) = args.expires_after {
        upload = upload.with_expires_after(seconds);
    }
    let asked_for_parts = args.part_size.is_some() || args.parts.is_some() || args.resume;
    let rule = provider.uploads();
    if asked_for_parts && rule.is_none() {
        return Err(format!(
            "--part-size, --parts and --resume use the Uploads API, which {} does not have; \
             upload without them",
            provider.name()
        )
        .into());
    }
    let path = args.path.clone();
    let over_limit = match (&path, rule) {
        (Some(path), Some(rule)) => {
            std::fs::metadata(path).is_ok_and(|m| m.len() > rule.switch_above)
        }
        _ => false,
    };
    match path {
        Some(path) if asked_for_parts || over_limit => {
            in_parts(connection, provider, upload, &path, &args)
        }
        _ => {
            let api = client(connection, provider, Arc::new(WarningPrinter))?;
            println!("{}", file_line(&api.create(upload)?));
            Ok(())
        }
    }
}

/// Sends `path` through the Uploads API, journaling each part.
fn in_parts(
    connection: &Connection,
    provider: DynProvider,
    upload: UploadRequest,
    path: &Path,
    args: &UploadArgs,
) -> CliResult {
    let at = journal::journal_path(path, provider.base_url().as_str())?;
    let identity =
        FileIdentity::of(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let found = journal::load(&at)?;
    let resume = match (args.resume, found) {
        (true, Some(found)) if found.file != identity => {
            return Err(format!(
                "{} changed since its upload began (Upload {}): it cannot be resumed; run \
                 without --resume to upload it from the start",
                path.display(),
                escape_controls(&found.upload_id)
            )
            .into());
        }
        (true, Some(found)) => Some(found),
        (true, None) => {
            eprintln!(
                "note: no unfinished upload of {} was found; starting a new one",
                path.display()
            );
            None
        }
        (false, Some(found)) => {
            eprintln!(
                "note: an unfinished upload of {} (Upload {}, {} part(s) sent) is left to \
                 expire; add --resume to continue it instead",
                path.display(),
                escape_controls(&found.upload_id),
                found.parts.len()
            );
            None
        }
        (false, None) => None,
    };
    let mut parts = PartOptions::new();
    if let Some(size) = args.part_size.or(resume.as_ref().map(|j| j.part_size)) {
        parts = parts.part_size(size);
    }
    if let Some(n) = args.parts {
        parts = parts.in_flight(n);
    }
    if args.no_md5 {
        parts = parts.md5(false);
    }
    let writer = Arc::new(JournalWriter::new(at.clone(), identity, resume.clone()));
    let mut observers: Vec<Arc<dyn Observer>> = vec![Arc::new(WarningPrinter), writer];
    if let Some(bars) = PartBars::on_terminal() {
        observers.push(Arc::new(bars));
    }
    let api = client(connection, provider, Arc::new(Observers(observers)))?;
    let resume_from = resume
        .map(|j| ResumeFrom::new(j.upload_id.clone(), j.sent()).with_expires_at(j.expires_at));
    let result = api.upload_in_parts(upload, parts, resume_from);
    finish(result, &at, path, args)
}

/// Keeps or removes the journal as the outcome says, and prints the file.
fn finish(
    result: Result<FileObject, Error>,
    at: &Path,
    path: &Path,
    args: &UploadArgs,
) -> CliResult {
    match result {
        Ok(file) => {
            journal::remove(at);
            println!("{}", file_line(&file));
            Ok(())
        }
        Err(Error::Upload(failure)) if ends_the_upload(&failure) => {
            journal::remove(at);
            let hint = if failure.expired() {
                format!(
                    "\nrun `files upload {} --purpose {}` without --resume to upload it again",
                    path.display(),
                    args.purpose
                )
            } else {
                String::new()
            };
            Err(format!("{}{hint}", Error::Upload(failure)).into())
        }
        Err(error) => {
            if at.exists() {
                Err(format!(
                    "{error}\nthe parts sent so far are kept: add --resume to continue this \
                     upload within the hour"
                )
                .into())
            } else {
                Err(error.into())
            }
        }
    }
}

/// Whether the Upload is over for good: cancelled or expired.
fn ends_the_upload(failure: &UploadFailure) -> bool {
    matches!(
        failure.after,
        UploadAfterFailure::Cancelled | UploadAfterFailure::Expired { .. }
    )
}
