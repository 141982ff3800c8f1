//! The async client with a progress observer: a 24 MiB upload and its download, with a line
//! per quarter of the bytes and one for each retry.
//!
//! ```sh
//! cargo run --example async_progress
//! ```
//!
//! It runs offline against the project's emulator, started in-process on a loopback port,
//! which answers the first upload with a 502 to show a retry. Against OpenAI itself, use
//! `llm_files::openai_async()?`, which reads `OPENAI_API_KEY`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use files_emulator::{Dialect, Emulator, Fault};
use llm_files::{
    AsyncClient, Observer, OpenAi, Purpose, RequestOptions, ReqwestTransport, RetryNotice,
    UploadRequest,
};

/// Prints a line each time another quarter of a transfer has moved. The client calls it on
/// the task moving the bytes, so it only counts and prints.
#[derive(Default)]
struct Quarters {
    /// The last quarter printed, so each is printed once per attempt.
    last: AtomicU64,
}

impl Quarters {
    fn show(&self, what: &str, done: u64, total: u64) {
        let quarter = (done * 4).checked_div(total).unwrap_or(4);
        if quarter == 0 {
            self.last.store(0, Ordering::Relaxed); // a new attempt starts from 0
        } else if self.last.swap(quarter, Ordering::Relaxed) != quarter {
            println!("  {what} {:>3}% ({done} of {total} bytes)", quarter * 25);
        }
    }
}

impl Observer for Quarters {
    fn sent(&self, sent: u64, total: u64) {
        self.show("sent", sent, total);
    }

    fn received(&self, received: u64, total: Option<u64>) {
        if let Some(total) = total {
            self.show("received", received, total);
        }
    }

    fn retrying(&self, notice: &RetryNotice) {
        println!(
            "  {} failed ({}); attempt {} of {} in {:?}",
            notice.operation, notice.reason, notice.attempt, notice.max_attempts, notice.wait
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(Dialect::openai())?;
    let openai = OpenAi::new(emulator.api_key()).with_base_url(&emulator.base_url())?;
    let client = AsyncClient::new(openai, ReqwestTransport::new()?)
        .with_options(RequestOptions::new().observer(Arc::new(Quarters::default())));
    let files = client.files();

    // The first attempt meets a gateway error; the client waits as the server asks.
    emulator.inject(
        Fault::html_bad_gateway()
            .with_header("retry-after-ms", "20")
            .on("POST", "/files"),
    );

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("training.jsonl");
    let line =
        r#"{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}"#;
    let lines = format!("{line}\n").repeat(24 * 1024 * 1024 / (line.len() + 1));
    tokio::fs::write(&path, &lines).await?;

    println!("uploading {} bytes", lines.len());
    let file = files
        .create(UploadRequest::from_path(&path, Purpose::FINE_TUNE))
        .await?;
    println!("uploaded {} ({} bytes)", file.id, file.bytes);

    println!("downloading");
    let copy = dir.path().join("copy.jsonl");
    let bytes = files.download_to_path(&file.id, &copy).await?;
    let same = tokio::fs::read(&copy).await? == lines.as_bytes();
    println!("downloaded {bytes} bytes (identical: {same})");
    assert!(same, "the download differs from the upload");

    files.delete(&file.id).await?;
    Ok(())
}
