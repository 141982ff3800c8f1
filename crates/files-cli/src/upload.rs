//! `files upload`: one request through `POST /files`, or — for a file over the provider's
//! limit, or with `--part-size`, `--parts` or `--resume` — the Uploads API in parts, with a
//! journal that lets `--resume` continue after a crash, a kill or Ctrl-C.

use std::path::Path;
use std::sync::Arc;

use files_client::{
    Error, FileObject, Observer, PartOptions, Purpose, ResumeFrom, UploadAfterFailure,
    UploadRequest,
};

use crate::args::{Connection, UploadArgs};
use crate::commands::{CliResult, client};
use crate::journal::{self, FileIdentity, JournalWriter, UploadSettings};
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
    if let (Some(size), Some(rule)) = (args.part_size, rule)
        && size > rule.max_part_bytes
    {
        return Err(format!(
            "--part-size {size} bytes is over {}'s part limit of {} bytes ({} MiB); choose a \
             smaller one",
            provider.name(),
            rule.max_part_bytes,
            rule.max_part_bytes >> 20
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
    let settings = UploadSettings {
        purpose: args.purpose.clone(),
        filename: args.filename.clone(),
        content_type: args.content_type.clone(),
        expires_after: args.expires_after,
    };
    let at = match journal::journal_path(path, provider.base_url().as_str()) {
        Ok(at) => Some(at),
        Err(why) if args.resume => return Err(why.into()),
        Err(why) => {
            eprintln!("warning: {why}; this upload cannot be resumed if it stops");
            None
        }
    };
    let identity =
        FileIdentity::of(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let found = match (&at, args.resume) {
        (None, _) => None,
        (Some(at), true) => journal::load(at)?,
        (Some(at), false) => journal::load(at).unwrap_or_else(|why| {
            eprintln!("warning: {why}; it is replaced");
            None
        }),
    };
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
        (true, Some(found)) if !found.settings.differences(&settings).is_empty() => {
            return Err(format!(
                "the upload of {} began with {}: resume it with the same options, or run \
                 without --resume to upload it from the start",
                path.display(),
                escape_controls(&found.settings.differences(&settings).join(", "))
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
        parts = parts.in_flight(usize::from(n));
    }
    if args.no_md5 {
        parts = parts.md5(false);
    }
    let mut observers: Vec<Arc<dyn Observer>> = vec![Arc::new(WarningPrinter)];
    if let Some(at) = &at {
        let writer = JournalWriter::new(at.clone(), identity, settings, resume.clone());
        observers.push(Arc::new(writer));
    }
    if let Some(bars) = PartBars::on_terminal() {
        observers.push(Arc::new(bars));
    }
    let api = client(connection, provider, Arc::new(Observers(observers)))?;
    let resume_from = resume
        .map(|j| ResumeFrom::new(j.upload_id.clone(), j.sent()).with_expires_at(j.expires_at));
    let result = api.upload_in_parts(upload, parts, resume_from);
    finish(result, at.as_deref(), path, args)
}

/// Keeps or removes the journal as the outcome says, and prints the file.
fn finish(
    result: Result<FileObject, Error>,
    at: Option<&Path>,
    path: &Path,
    args: &UploadArgs,
) -> CliResult {
    let remove = || at.into_iter().for_each(journal::remove);
    match result {
        Ok(file) => {
            remove();
            println!("{}", file_line(&file));
            Ok(())
        }
        Err(Error::Upload(failure)) if failure.is_final() => {
            remove();
            let hint = if matches!(
                failure.after,
                UploadAfterFailure::Expired { .. } | UploadAfterFailure::NotOpen
            ) {
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
            if at.is_some_and(Path::exists) {
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
