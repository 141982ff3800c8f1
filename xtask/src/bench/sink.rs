//! A loopback HTTP/1.1 sink for the Uploads API benchmark: it answers like the provider,
//! reads and discards every request body (checking it is exactly as long as its
//! `Content-Length`), adds a fixed latency to every part request, and counts the body bytes it
//! drained — so the client, not a server that stores and joins parts, is what is measured.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// A running sink.
pub struct Sink {
    /// Its base URL (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    drained: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Sink {
    /// Starts a sink that waits `latency` before answering each part.
    pub fn start(latency: Duration) -> Result<Sink, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("could not bind the sink: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let drained = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopping) = (drained.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let count = count.clone();
                std::thread::spawn(move || serve(stream, latency, &count));
            }
        });
        Ok(Sink {
            url: format!("http://{addr}/v1"),
            drained,
            stop,
        })
    }

    /// The body bytes drained so far; resets the count.
    pub fn take_drained(&self) -> u64 {
        self.drained.swap(0, Ordering::Relaxed)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(
            self.url
                .trim_start_matches("http://")
                .trim_end_matches("/v1"),
        );
    }
}

/// Serves one connection's requests until it closes.
fn serve(stream: TcpStream, latency: Duration, drained: &AtomicU64) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = write_half;
    let mut reader = BufReader::with_capacity(256 << 10, stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut length = 0u64;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let copied =
            std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink()).unwrap_or(0);
        if copied != length {
            return; // A short body: the client went away.
        }
        drained.fetch_add(copied, Ordering::Relaxed);
        let body = if path.ends_with("/parts") {
            std::thread::sleep(latency);
            r#"{"id":"part_1","object":"upload.part","created_at":1,"upload_id":"upload_1"}"#
                .to_owned()
        } else if path.ends_with("/complete") {
            r#"{"id":"upload_1","object":"upload","bytes":1,"created_at":1,"filename":"big.bin",
                "purpose":"assistants","status":"completed","expires_at":3601,
                "file":{"id":"file-1","object":"file","bytes":1,"created_at":1,
                        "filename":"big.bin","purpose":"assistants"}}"#
                .to_owned()
        } else if path.ends_with("/uploads") {
            r#"{"id":"upload_1","object":"upload","bytes":1,"created_at":1,"filename":"big.bin",
                "purpose":"assistants","status":"pending","expires_at":4102444800,"file":null}"#
                .to_owned()
        } else {
            r#"{"id":"file-1","object":"file","deleted":true}"#.to_owned()
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}
