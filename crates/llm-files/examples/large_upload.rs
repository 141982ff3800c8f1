//! A large file through OpenAI's Uploads API, resumed after the process that started it
//! died.
//!
//! ```sh
//! cargo run --example large_upload
//! ```
//!
//! The example starts the project's emulator in-process and makes a 48 MiB JSON Lines file.
//! It then runs itself again as a child, which uploads the file in 8 MiB parts, two at a
//! time, writing a journal of the Upload and of each part the server took, and exits
//! abruptly after the second part, as a crash or a killed job would. The parent reads the
//! journal, sends only the parts still missing, completes the Upload with the file's MD5
//! (which the server checks), and downloads the file back to compare.
//!
//! The same flow works without a crash for any file: `files().create` sends a file over
//! 512 MB through the Uploads API by itself, and `UploadRequest::with_parts` asks for it below
//! that. The `files` command keeps such a journal for `files upload --resume`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use files_emulator::{Dialect, Emulator};
use llm_files::{
    AsyncClient, Observer, OpenAi, PartOptions, PartRange, Purpose, RequestOptions,
    ReqwestTransport, ResumeFrom, SentPart, UploadRequest, UploadStarted,
};

const SIZE: usize = 48 << 20;
const PART_SIZE: u64 = 8 << 20;
/// Set in the child's environment: the emulator's base URL and key, the file, the journal.
const CHILD: &str = "LARGE_UPLOAD_CHILD";

fn parts() -> PartOptions {
    PartOptions::new().part_size(PART_SIZE).in_flight(2)
}

/// Appends the Upload's id and each part the server took to a file, one line each, and
/// ends the process after `crash_after` parts (in the child only).
struct Journal {
    file: Mutex<std::fs::File>,
    done: AtomicUsize,
    crash_after: Option<usize>,
}

impl Journal {
    fn line(&self, line: String) {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Written at once and unbuffered: what is in the file survives the crash. A line
        // that cannot be written costs the resumption, not the upload.
        if let Err(e) = file.write_all(line.as_bytes()) {
            eprintln!("warning: the journal cannot be written ({e}); the upload cannot be resumed");
        }
    }
}

impl Observer for Journal {
    fn upload_started(&self, upload: &UploadStarted) {
        let expires = upload
            .expires_at
            .map_or("-".to_string(), |at| at.to_string());
        self.line(format!("upload {} {expires}\n", upload.upload_id));
        let verb = if upload.resumed { "resumed" } else { "created" };
        println!("  {verb} {} for {} bytes", upload.upload_id, upload.len);
    }

    fn part_done(&self, part: &SentPart) {
        self.line(format!(
            "part {} {} {}\n",
            part.id, part.range.offset, part.range.len
        ));
        println!(
            "  the server took bytes {}..{}",
            part.range.offset,
            part.range.end()
        );
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if self.crash_after == Some(done) {
            println!("  (the child dies here, its Upload left open)");
            std::process::exit(3);
        }
    }
}

/// What the journal says an earlier run left: the Upload and the parts it took.
fn read_journal(path: &Path) -> Result<ResumeFrom, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut upload = None;
    let mut sent = Vec::new();
    for line in text.lines() {
        match line.split(' ').collect::<Vec<_>>()[..] {
            ["upload", id, expires] => upload = Some((id.to_string(), expires.parse().ok())),
            ["part", id, offset, len] => sent.push(SentPart {
                id: id.to_string(),
                range: PartRange {
                    offset: offset.parse()?,
                    len: len.parse()?,
                },
            }),
            _ => return Err(format!("{}: an unreadable line {line:?}", path.display()).into()),
        }
    }
    let (id, expires_at) = upload.ok_or("the journal names no Upload")?;
    Ok(ResumeFrom::new(id, sent).with_expires_at(expires_at))
}

fn client(
    base_url: &str,
    key: &str,
    journal: Arc<Journal>,
) -> Result<AsyncClient, Box<dyn std::error::Error>> {
    let openai = OpenAi::new(key).with_base_url(base_url)?;
    Ok(AsyncClient::new(openai, ReqwestTransport::new()?)
        .with_options(RequestOptions::new().observer(journal)))
}

fn journal(path: &Path, crash_after: Option<usize>) -> std::io::Result<Arc<Journal>> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    Ok(Arc::new(Journal {
        file: Mutex::new(file),
        done: AtomicUsize::new(0),
        crash_after,
    }))
}

/// The child: starts the upload and dies after two parts.
async fn child(vars: String) -> Result<(), Box<dyn std::error::Error>> {
    let [base_url, key, file, journal_path] = vars.split('\n').collect::<Vec<_>>()[..] else {
        return Err(format!("{CHILD} holds four lines").into());
    };
    let client = client(base_url, key, journal(Path::new(journal_path), Some(2))?)?;
    client
        .uploads()
        .upload(UploadRequest::from_path(file, Purpose::BATCH), parts())
        .await?;
    Err("the child was meant to die before the upload completed".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(vars) = std::env::var(CHILD) {
        return child(vars).await;
    }
    let emulator = Emulator::start(Dialect::openai())?;
    let dir = tempfile::tempdir()?;
    let path: PathBuf = dir.path().join("requests.jsonl");
    let journal_path = dir.path().join("journal");
    let mut content = Vec::with_capacity(SIZE);
    for n in 0.. {
        if content.len() >= SIZE {
            break;
        }
        writeln!(
            content,
            r#"{{"custom_id":"r{n}","method":"POST","url":"/v1/embeddings","body":{{"model":"text-embedding-3-small","input":"line {n}"}}}}"#
        )?;
    }
    std::fs::write(&path, &content)?;
    println!(
        "{} bytes in {} parts of {PART_SIZE}",
        content.len(),
        content.len().div_ceil(PART_SIZE as usize)
    );

    println!("the first run, in a child process:");
    let vars = [
        emulator.base_url(),
        emulator.api_key().to_string(),
        path.display().to_string(),
        journal_path.display().to_string(),
    ];
    let status = std::process::Command::new(std::env::current_exe()?)
        .env(CHILD, vars.join("\n"))
        .status()?;
    assert_eq!(
        status.code(),
        Some(3),
        "the child was to die after two parts"
    );

    let resume = read_journal(&journal_path)?;
    println!(
        "the journal names {} with {} parts taken; resuming:",
        resume.upload_id,
        resume.sent.len()
    );
    let client = client(
        &emulator.base_url(),
        emulator.api_key(),
        journal(&journal_path, None)?,
    )?;
    let file = client
        .uploads()
        .resume(
            UploadRequest::from_path(&path, Purpose::BATCH),
            parts(),
            resume,
        )
        .await?;
    println!("completed: {} ({} bytes)", file.id, file.bytes);
    std::fs::remove_file(&journal_path)?; // done with: an upload completes once

    let mut copy = Vec::new();
    client.files().download_to(&file.id, &mut copy).await?;
    assert!(copy == content, "the download differs from the upload");
    println!("downloaded {} bytes back, identical", copy.len());
    client.files().delete(&file.id).await?;
    Ok(())
}
