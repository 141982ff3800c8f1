//! `files demo`: starts the emulator in-process and walks a real upload → list → retrieve →
//! download → delete through the real client and transport, over loopback.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use files_client::{ListParams, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator};
use provider_openai::OpenAi;
use provider_stepfun::StepFun;
use sha2::{Digest, Sha256};

use crate::args::{Connection, DemoArgs, ProviderName};
use crate::commands::{CliResult, client};
use crate::output::{file_line, group_digits};
use crate::progress::WarningPrinter;
use files_cli::DynProvider;

/// Runs the demo.
pub fn run(connection: &Connection, args: &DemoArgs) -> CliResult {
    let (dialect, name, purpose) = match connection.provider {
        ProviderName::Openai => (Dialect::OpenAi, "sample.jsonl", Purpose::BATCH),
        ProviderName::Stepfun => (Dialect::StepFun, "sample.txt", Purpose::FILE_EXTRACT),
    };
    let emulator = Emulator::start(dialect)?;
    let base_url = emulator.base_url();
    let provider: DynProvider = match connection.provider {
        ProviderName::Openai => Box::new(OpenAi::new(emulator.api_key()).with_base_url(&base_url)?),
        ProviderName::Stepfun => {
            Box::new(StepFun::new(emulator.api_key()).with_base_url(&base_url)?)
        }
    };
    let api = client(connection, provider, std::sync::Arc::new(WarningPrinter))?;
    println!(
        "files demo: {} dialect over {}, emulator at {base_url}",
        dialect,
        api.transport_name()
    );
    if connection.base_url.is_some() {
        println!("(--base-url is not used: the demo talks to its own emulator)");
    }

    let dir = tempfile::tempdir()?;
    let sample = dir.path().join(name);
    let sample_hash = write_sample(&sample, args.size)?;

    let file = api.create(UploadRequest::from_path(&sample, purpose))?;
    println!(
        "1. upload    {} ({} bytes)\n   -> {}",
        name,
        group_digits(args.size),
        file_line(&file)
    );
    if file.bytes != args.size {
        return Err(format!(
            "the server recorded {} bytes, but {} were sent",
            file.bytes, args.size
        )
        .into());
    }

    let listing = api.list(&ListParams::new())?;
    println!("2. list      {} file(s)", listing.data.len());
    for listed in &listing.data {
        println!("   - {}", file_line(listed));
    }
    if !listing.data.iter().any(|f| f.id == file.id) {
        return Err(format!("{} is missing from the listing", file.id).into());
    }

    let retrieved = api.retrieve(&file.id)?;
    println!("3. retrieve  {}", file_line(&retrieved));

    let copy = dir.path().join(format!("downloaded-{name}"));
    let received = api.download_to_path(&file.id, &copy)?;
    let copy_hash = hash_file(&copy)?;
    let verdict = if copy_hash == sample_hash {
        "identical"
    } else {
        "DIFFERENT"
    };
    println!(
        "4. download  {} bytes, sha256 {}: {verdict} to the upload",
        group_digits(received),
        &copy_hash[..16]
    );
    if copy_hash != sample_hash {
        return Err(format!(
            "the downloaded bytes differ from the upload (sha256 {copy_hash} vs {sample_hash})"
        )
        .into());
    }

    let deleted = api.delete(&file.id)?;
    println!("5. delete    {} deleted: {}", deleted.id, deleted.deleted);
    match api.retrieve(&file.id) {
        Err(e) if e.status() == Some(404) => println!("   retrieve now answers: {e}"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(format!("{} still exists after delete", file.id).into()),
    }
    println!("done: upload → list → retrieve → download → delete all worked over loopback.");
    Ok(())
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
