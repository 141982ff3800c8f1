//! `files demo`: starts the emulator in-process and walks a real upload → list → retrieve →
//! download → delete through the real client and transport, over loopback.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use files_client::{FileObject, ListParams, Purpose, UploadRequest};
use files_core::RuleKind;
use files_core::extend::provider::UploadCheck;
use files_emulator::{Dialect, Emulator};
use provider_openai::OpenAi;
use provider_stepfun::StepFun;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::args::{Connection, DemoArgs, OutputArgs, ProviderName};
use crate::commands::client;
use crate::failure::{CliResult, Failure};
use crate::guarded_files::GuardedFiles;
use crate::interrupt::WithCleanup;
use crate::output::{self, Mode, escape_controls, file_line, group_digits};
use files_cli::DynProvider;

/// One step of the demo, as `--json` prints it.
#[derive(Serialize)]
struct Step<'a> {
    step: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a FileObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_written: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
}

impl<'a> Step<'a> {
    fn new(step: &'a str) -> Self {
        Step {
            step,
            file: None,
            files: None,
            bytes_written: None,
            sha256: None,
        }
    }
}

/// How many times the sample's size the demo needs on disk: the sample, the emulator's
/// stored copy and the downloaded one.
const COPIES_ON_DISK: u64 = 3;

/// Runs the demo.
pub fn run(connection: &Connection, out: &OutputArgs, args: &DemoArgs) -> CliResult {
    let json = Mode::of(out) == Mode::Json;
    let say = |text: String| -> CliResult { if json { Ok(()) } else { output::line(&text) } };
    let (dialect, name, purpose) = match connection.provider.id() {
        "openai" => (Dialect::openai(), "sample.jsonl", Purpose::BATCH),
        "stepfun" => (Dialect::stepfun(), "sample.txt", Purpose::FILE_EXTRACT),
        other => {
            return Err(Failure::usage(format!(
                "the demo walks OpenAI's or StepFun's API; to try {other} offline, run `files \
                 serve --provider {other}` and point `files --provider {other} --base-url URL` \
                 at it"
            )));
        }
    };
    check_sample_size(connection.provider, name, &purpose, args.size)?;
    let dir = WithCleanup::create(
        || tempfile::Builder::new().prefix("files-demo-").tempdir(),
        |dir| dir.path().to_owned(),
    )
    .map_err(|e| Failure::local(format!("could not create a temporary directory: {e}")))?;
    check_free_space(dir.path(), args.size)?;
    let emulator = WithCleanup::create(
        || Emulator::start(dialect.clone()),
        |emulator| emulator.storage_path().to_owned(),
    )
    .map_err(|e| Failure::local(format!("could not start the emulator: {e}")))?;
    let base_url = emulator.base_url();
    let provider: DynProvider = match connection.provider.id() {
        "openai" => Box::new(
            OpenAi::new(emulator.api_key())
                .with_base_url(&base_url)
                .map_err(|e| Failure::usage(e.to_string()))?,
        ),
        _ => Box::new(
            StepFun::new(emulator.api_key())
                .with_base_url(&base_url)
                .map_err(|e| Failure::usage(e.to_string()))?,
        ),
    };
    // The emulator is in this process, on loopback: a proxy of the environment's has no
    // business with it.
    let direct = Connection {
        proxy: None,
        no_proxy: true,
        ..connection.clone()
    };
    let api = client(&direct, provider, vec![], GuardedFiles::default())?;
    say(format!(
        "files demo: {} dialect over {}, emulator at {base_url}",
        dialect,
        api.transport_name()
    ))?;
    if connection.base_url.is_some() {
        say("(--base-url is not used: the demo talks to its own emulator)".to_owned())?;
    }

    let sample = dir.path().join(name);
    let sample_hash = write_sample(&sample, args.size).map_err(|e| {
        Failure::local(format!(
            "could not write the sample {}: {e}",
            sample.display()
        ))
    })?;

    let file = api.create(UploadRequest::from_path(&sample, purpose))?;
    say(format!(
        "1. upload    {} ({} bytes)\n   -> {}",
        name,
        group_digits(args.size),
        file_line(&file)
    ))?;
    emit(
        json,
        &Step {
            file: Some(&file),
            ..Step::new("upload")
        },
    )?;
    if file.bytes != args.size {
        return Err(Failure::unavailable(format!(
            "the server recorded {} bytes, but {} were sent",
            file.bytes, args.size
        )));
    }

    let listing = api.list(&ListParams::new())?;
    say(format!("2. list      {} file(s)", listing.data.len()))?;
    for listed in &listing.data {
        say(format!("   - {}", file_line(listed)))?;
    }
    emit(
        json,
        &Step {
            files: Some(listing.data.len()),
            ..Step::new("list")
        },
    )?;
    if !listing.data.iter().any(|f| f.id == file.id) {
        return Err(Failure::unavailable(format!(
            "{} is missing from the listing",
            escape_controls(&file.id)
        )));
    }

    let retrieved = api.retrieve(&file.id)?;
    say(format!("3. retrieve  {}", file_line(&retrieved)))?;
    emit(
        json,
        &Step {
            file: Some(&retrieved),
            ..Step::new("retrieve")
        },
    )?;

    let copy = dir.path().join(format!("downloaded-{name}"));
    let received = api.download_to_path(&file.id, &copy)?;
    let copy_hash = hash_file(&copy).map_err(|e| {
        Failure::local(format!(
            "could not read the download {}: {e}",
            copy.display()
        ))
    })?;
    let verdict = if copy_hash == sample_hash {
        "identical"
    } else {
        "DIFFERENT"
    };
    say(format!(
        "4. download  {} bytes, sha256 {}: {verdict} to the upload",
        group_digits(received),
        &copy_hash[..16]
    ))?;
    emit(
        json,
        &Step {
            bytes_written: Some(received),
            sha256: Some(&copy_hash),
            ..Step::new("download")
        },
    )?;
    if copy_hash != sample_hash {
        return Err(Failure::unavailable(format!(
            "the downloaded bytes differ from the upload (sha256 {copy_hash} vs \
                 {sample_hash})"
        )));
    }

    let deleted = api.delete(&file.id)?;
    say(format!(
        "5. delete    {} deleted: {}",
        escape_controls(&deleted.id),
        deleted.deleted
    ))?;
    if json {
        output::json(&serde_json::json!({"step": "delete", "deleted": deleted}))?;
    }
    match api.retrieve(&file.id) {
        Err(e) if e.status() == Some(404) => say(format!(
            "   retrieve now answers: {}",
            escape_controls(&e.to_string())
        ))?,
        Err(e) => return Err(e.into()),
        Ok(_) => {
            return Err(Failure::unavailable(format!(
                "{} still exists after delete",
                escape_controls(&file.id)
            )));
        }
    }
    say("done: upload → list → retrieve → download → delete all worked over loopback.".to_owned())
}

/// Prints a step as JSON when `--json` asked for it.
fn emit(json: bool, step: &Step<'_>) -> CliResult {
    if json { output::json(step) } else { Ok(()) }
}

/// Refuses a sample the provider would not take for `purpose` (the emulator keeps the
/// provider's rules), before anything is written.
fn check_sample_size(
    provider: ProviderName,
    name: &str,
    purpose: &Purpose,
    size: u64,
) -> CliResult {
    let rules = match provider.id() {
        "openai" => &provider_openai::rules::RULES,
        _ => &provider_stepfun::rules::RULES,
    };
    let check = UploadCheck::new(purpose, Some(name), Some(size));
    let Err(e) = rules.check(None, &check) else {
        return Ok(());
    };
    let most = match e.kind {
        RuleKind::FileTooLarge => e.limit.as_deref().and_then(|l| l.parse::<u64>().ok()),
        _ => None,
    };
    Err(Failure::usage(match most {
        Some(most) => format!(
            "--size {}: the demo uploads its sample for purpose `{purpose}`, which takes at \
             most {} on {}; choose --size {} or less",
            output::size(size),
            output::size(most),
            rules.provider,
            size_argument(most)
        ),
        None => format!("--size {}: {e}", output::size(size)),
    }))
}

/// `bytes` as `--size` takes it, in the largest binary unit that divides it.
pub(crate) fn size_argument(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{}KiB", b >> 10),
        b => b.to_string(),
    }
}

/// Refuses a sample that would not fit on the disk of `dir`, three times over.
fn check_free_space(dir: &Path, size: u64) -> CliResult {
    let needed = size.saturating_mul(COPIES_ON_DISK);
    match fs4::available_space(dir) {
        Ok(free) if free < needed => Err(Failure::local(format!(
            "--size {} needs about {} free in {} (the sample, the emulator's copy and the \
             download), but only {} is free; choose a smaller --size or set TMPDIR to a \
             roomier disk",
            output::size(size),
            output::size(needed),
            dir.display(),
            output::size(free)
        ))),
        _ => Ok(()),
    }
}

/// Writes `size` bytes of JSON lines to `path` and gives their SHA-256 in hex.
fn write_sample(path: &Path, size: u64) -> std::io::Result<String> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut hasher = Sha256::new();
    let mut written = 0u64;
    let mut n = 0u64;
    while written < size {
        let line = format!(
            "{{\"custom_id\":\"request-{n}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"demo\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello {n}\"}}]}}}}\n"
        );
        let left = size - written;
        // The last line is shorter and still a JSON object (or blank), so the file stays
        // JSON Lines at any size.
        let line = match left {
            n if n >= line.len() as u64 => line,
            n if n >= 3 => format!("{{}}{}\n", " ".repeat(n as usize - 3)),
            n => "\n".repeat(n as usize),
        };
        out.write_all(line.as_bytes())?;
        hasher.update(line.as_bytes());
        written += line.len() as u64;
        n += 1;
    }
    out.flush()?;
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of a file in hex, read in chunks.
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_larger_than_the_provider_takes_is_refused_with_the_size_it_takes() {
        let batch = Purpose::BATCH;
        let err =
            check_sample_size(ProviderName::OPENAI, "sample.jsonl", &batch, 201 << 20).unwrap_err();
        assert!(
            err.message.contains("choose --size 200MiB or less"),
            "{}",
            err.message
        );
        assert!(err.message.contains("`batch`"), "{}", err.message);
        assert!(check_sample_size(ProviderName::OPENAI, "sample.jsonl", &batch, 200 << 20).is_ok());
        let extract = Purpose::FILE_EXTRACT;
        let err =
            check_sample_size(ProviderName::STEPFUN, "sample.txt", &extract, u64::MAX).unwrap_err();
        assert!(
            err.message.contains("choose --size 64MiB or less"),
            "{}",
            err.message
        );
        assert!(check_sample_size(ProviderName::STEPFUN, "sample.txt", &extract, 1).is_ok());
        assert_eq!(size_argument(3 << 30), "3GiB");
        assert_eq!(size_argument((1 << 20) + 1), "1048577");
        assert_eq!(size_argument(1536), "1536");
        assert_eq!(size_argument(2048), "2KiB");
    }

    #[test]
    fn a_sample_larger_than_the_free_space_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_free_space(dir.path(), u64::MAX / 2).unwrap_err();
        assert_eq!(err.kind, crate::failure::FailureKind::LocalFile);
        assert!(err.message.contains("free"), "{}", err.message);
        assert!(check_free_space(dir.path(), 1).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
