//! A StepFun upload from a URL: the server fetches the file itself, so its bytes never pass
//! through this program.
//!
//! ```sh
//! cargo run --example stepfun_url
//! ```
//!
//! It runs offline: a small web server on a loopback port stands in for the site holding
//! the image, and the project's emulator, started in-process and speaking StepFun's
//! dialect, fetches from it (the emulator refuses non-public addresses unless told, as a
//! guard against fetching from inside a network). Against StepFun itself, use
//! `llm_files::stepfun_async()?`, which reads `STEP_API_KEY`, and a public URL.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use files_emulator::{Dialect, Emulator, EmulatorConfig};
use llm_files::{AsyncClient, Purpose, ReqwestTransport, StepFun, UploadRequest};

/// The 8-byte PNG signature and an image header: what the site serves.
const IMAGE: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Serves `IMAGE` to each GET on a loopback port; returns the image's URL.
fn serve_image() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/images/cat.png", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            // The request head ends with a blank line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                IMAGE.len()
            );
            let mut out = &stream;
            let _ = out
                .write_all(head.as_bytes())
                .and_then(|()| out.write_all(IMAGE));
        }
    });
    Ok(url)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = serve_image()?;
    let emulator = Emulator::start_with(
        EmulatorConfig::new(Dialect::stepfun()).with_private_urls_allowed(true),
    )?;
    let stepfun = StepFun::new(emulator.api_key()).with_base_url(&emulator.base_url())?;
    let client = AsyncClient::new(stepfun, ReqwestTransport::new()?);
    let files = client.files();

    let file = files
        .create(UploadRequest::from_url(&url, Purpose::STORAGE))
        .await?;
    println!(
        "{url}\n  became {} ({} bytes, named {})",
        file.id, file.bytes, file.filename
    );
    assert_eq!(file.bytes, IMAGE.len() as u64);

    // A URL the client can tell is wrong is refused before anything is sent.
    let error = files
        .create(UploadRequest::from_url(
            "ftp://example.com/cat.png",
            Purpose::STORAGE,
        ))
        .await
        .unwrap_err();
    println!("ftp://example.com/cat.png\n  refused: {error}");

    files.delete(&file.id).await?;
    Ok(())
}
