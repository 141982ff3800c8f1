//! The blocking client: upload a file, list, download it back, delete it.
//!
//! ```sh
//! cargo run --example blocking
//! ```
//!
//! It runs offline against the project's emulator, started in-process on a loopback port.
//! Against OpenAI itself, drop the emulator and build the provider with
//! `OpenAi::from_env()?`, which reads `OPENAI_API_KEY` (and `OPENAI_BASE_URL` when set).

use files_client::{Client, ListParams, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator};
use provider_openai::OpenAi;
use transport_ureq::UreqTransport;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(Dialect::openai())?;
    let openai = OpenAi::new(emulator.api_key()).with_base_url(&emulator.base_url())?;
    let client = Client::new(openai, UreqTransport::new()?);
    let files = client.files();

    // A batch input file: one request per line.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("requests.jsonl");
    let lines: String = (1..=100)
        .map(|n| {
            format!(
                r#"{{"custom_id":"r{n}","method":"POST","url":"/v1/chat/completions","body":{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"Say {n}"}}]}}}}"#
            ) + "\n"
        })
        .collect();
    std::fs::write(&path, &lines)?;

    // The upload streams from the file, with the exact Content-Length.
    let file = files.create(UploadRequest::from_path(&path, Purpose::BATCH))?;
    println!(
        "uploaded  {} ({} bytes, {})",
        file.id, file.bytes, file.filename
    );

    // Pages are fetched as the iterator goes.
    for listed in files.list_all(&ListParams::new().purpose(Purpose::BATCH)) {
        let listed = listed?;
        println!("listed    {} {}", listed.id, listed.filename);
    }

    // The download goes to a temporary file beside the destination and is renamed into
    // place once complete, so a failure never leaves a partial copy.
    let copy = dir.path().join("copy.jsonl");
    files.download_to_path(&file.id, &copy)?;
    let same = std::fs::read(&copy)? == lines.as_bytes();
    println!("downloaded to {} (identical: {same})", copy.display());
    assert!(same, "the download differs from the upload");

    let deleted = files.delete(&file.id)?;
    println!("deleted   {} ({})", deleted.id, deleted.deleted);
    Ok(())
}
