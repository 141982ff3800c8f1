//! `files-bench`: the processes `cargo xtask bench` runs and times, as one release binary.
//!
//! - `files-bench cert DIR`: writes `DIR/cert.pem` and `DIR/key.pem`, a self-signed pair for
//!   `localhost` and `127.0.0.1`.
//! - `files-bench serve [--tls DIR]`: a loopback server that drains uploads (checking the
//!   exact `Content-Length` and the multipart framing, and answering with the file part's
//!   size) and streams downloads of any size from memory (`GET …/files/bytes-N/content`).
//!   It prints its base URL and runs until its stdin closes.
//! - `files-bench client ureq|reqwest upload URL PATH [--cacert PEM]` and
//!   `… download URL ID DEST [--cacert PEM]`: one upload or download through the library.
//! - `files-bench measure -- COMMAND…`: runs a command and prints its wall time, CPU time and
//!   peak resident memory as the last line (`measured {json}`).
//! - `files-bench request-build`: how long building an upload request takes for a 1 KiB and
//!   a 2 GiB file.
#![forbid(unsafe_code)]

mod client;
mod http;
mod measure;
mod multipart;
mod request_build;
mod server;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("cert") => server::write_certificate(&args[1..]),
        Some("serve") => server::run(&args[1..]),
        Some("client") => client::run(&args[1..]),
        Some("measure") => measure::run(&args[1..]),
        Some("request-build") => request_build::run(),
        _ => Err(
            "usage: files-bench <cert DIR | serve [--tls DIR] | client ureq|reqwest \
                  upload URL PATH | client ureq|reqwest download URL ID DEST | measure -- \
                  COMMAND… | request-build>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("files-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
