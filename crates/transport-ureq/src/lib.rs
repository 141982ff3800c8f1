//! A blocking transport for `files-core` over [ureq] 3.
//!
//! [`UreqTransport`] holds one reused `ureq::Agent` (connections are pooled), streams each
//! request body from its segments with the exact `Content-Length` the core computed (paths are
//! opened afresh on every send), hands back responses of any status for the core to judge, and
//! streams response bodies without ureq's 10 MiB read cap. Redirects are off: they would carry
//! the API key to another host. Path uploads and downloads to a path use `std::fs`.
//!
//! ```no_run
//! use files_core::{Client, ListParams};
//! use provider_openai::OpenAi;
//! use transport_ureq::UreqTransport;
//!
//! let client = Client::new(OpenAi::from_env()?, UreqTransport::new());
//! for file in client.list(&ListParams::new())?.data {
//!     println!("{} {}", file.id, file.filename);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [ureq]: https://docs.rs/ureq/3
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod files;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use files_core::{
    Body, FileProbe, LocalFileError, PartialFile, PathRange, ResponseBody, Transport,
    TransportError, TransportErrorKind,
};
use ureq::SendBody;

pub use files::StdPartialFile;

/// How long to wait for a connection, as the official SDKs do.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a response's head once the request is sent, as the official SDKs do.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(600);

/// The ureq transport. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        UreqTransport::new()
    }
}

impl UreqTransport {
    /// A transport with the default timeouts.
    pub fn new() -> Self {
        UreqTransport::with_timeouts(DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)
    }

    /// A transport with the given connect and response-head timeouts. There is no overall
    /// timeout: a large upload or download takes as long as it takes.
    pub fn with_timeouts(connect: Duration, response: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(connect))
            .timeout_recv_response(Some(response))
            .build();
        UreqTransport {
            agent: config.into(),
        }
    }
}

/// Opens a file for sending `range`, positioned at its offset (the core reads `len` bytes).
fn open_range(range: &PathRange) -> io::Result<Box<dyn Read + Send>> {
    let with_path =
        |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", range.path.display()));
    let mut file = File::open(&range.path).map_err(with_path)?;
    if range.offset > 0 {
        file.seek(SeekFrom::Start(range.offset))
            .map_err(with_path)?;
    }
    Ok(Box::new(file))
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<ResponseBody>, TransportError> {
        let (parts, body) = request.into_parts();
        let response = if body.is_empty() {
            self.agent
                .run(http::Request::from_parts(parts, SendBody::none()))
        } else {
            let reader = body.into_reader(open_range);
            self.agent.run(http::Request::from_parts(
                parts,
                SendBody::from_owned_reader(reader),
            ))
        }
        .map_err(map_error)?;
        let (parts, body) = response.into_parts();
        let reader = body.into_with_config().limit(u64::MAX).reader();
        Ok(http::Response::from_parts(parts, ResponseBody::new(reader)))
    }

    fn probe(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        files::probe_file(path, prefix_len)
    }

    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError> {
        Ok(Box::new(StdPartialFile::create(dest)?))
    }
}

/// Maps a ureq error onto the core's transport error.
fn map_error(error: ureq::Error) -> TransportError {
    let kind = match &error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NotFound
            | io::ErrorKind::AddrNotAvailable => TransportErrorKind::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::Tls(_) => TransportErrorKind::Connect,
        _ => TransportErrorKind::Other,
    };
    let context = match kind {
        TransportErrorKind::Connect => "connecting to the server",
        TransportErrorKind::Timeout => "waiting for the server",
        _ => "sending the request",
    };
    TransportError::with_source(kind, context, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use files_core::Segment;

    #[test]
    fn a_range_in_the_middle_of_a_file_sends_just_that_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"[")),
            Segment::Path(PathRange {
                path: path.clone(),
                offset: 2,
                len: 3,
            }),
            Segment::Path(PathRange {
                path,
                offset: 8,
                len: 2,
            }),
            Segment::Bytes(Bytes::from_static(b"]")),
        ]);
        let mut out = Vec::new();
        body.into_reader(open_range).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"[23489]");
    }

    #[test]
    fn a_range_past_the_end_of_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123").unwrap();
        let body = Body::from_segments(vec![Segment::Path(PathRange {
            path,
            offset: 2,
            len: 5,
        })]);
        let err = body
            .into_reader(open_range)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("ended after 2 of its declared 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/files", silent.local_addr().unwrap());
        let transport =
            UreqTransport::with_timeouts(Duration::from_secs(5), Duration::from_millis(200));
        let request = http::Request::get(url).body(Body::empty()).unwrap();
        let err = transport.send(request).unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
    }
}
