//! Bringing your own transport: a client over an HTTP/1.1 exchange written here on
//! `std::net::TcpStream`, for a context where neither ureq nor reqwest fits (a minimal
//! dependency tree, an HTTP stack of your own).
//!
//! ```sh
//! cargo run --example own_transport
//! ```
//!
//! A transport carries one exchange: it sends the headers it is given (the client has set
//! the exact `Content-Length`), streams the body, and returns the response as soon as its
//! head is read, with the body unread and any status as a response. Retries, validation,
//! progress, reconciling and the local files stay with the client. This one speaks plain
//! `http://` only, one connection per request, with no TLS, proxy or chunked response
//! bodies: a starting point, run here against the emulator on loopback.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use files_client::{Client, Purpose, Timeouts, TransportError, TransportErrorKind, UploadRequest};
use files_emulator::{Dialect, Emulator, Fault};
use files_io::{RequestBody, ResponseBody, Transport};
use provider_openai::OpenAi;

/// HTTP/1.1 over a new TCP connection for each request.
struct PlainHttp;

impl Transport for PlainHttp {
    fn send(
        &self,
        request: http::Request<RequestBody>,
        timeouts: &Timeouts,
    ) -> Result<http::Response<ResponseBody>, TransportError> {
        let uri = request.uri().clone();
        if uri.scheme_str() != Some("http") {
            return Err(TransportError::new(
                TransportErrorKind::Unsupported,
                format!(
                    "{uri}: this transport speaks http:// only; use transport-ureq for https://"
                ),
            ));
        }
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(80);
        // An IPv6 literal comes bracketed in a URI: [::1].
        let address = host.trim_start_matches('[').trim_end_matches(']');
        let stream = connect(address, port, timeouts.response_head())?;
        let io_error =
            |what: &str, e: io::Error| TransportError::io(what.to_string(), timed_out(e));
        // No write may stall past the idle limit, no read of the head past the smaller of
        // the two limits, and no read of the body past the idle limit.
        stream
            .set_write_timeout(timeouts.idle)
            .map_err(|e| io_error("configuring the socket", e))?;
        stream
            .set_read_timeout(timeouts.response_head())
            .map_err(|e| io_error("configuring the socket", e))?;

        let (parts, mut body) = request.into_parts();
        let mut out = BufWriter::new(&stream);
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        // The host and port only: a URI's authority may hold a user and password.
        let authority = match uri.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        write!(
            out,
            "{} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n",
            parts.method
        )
        .map_err(|e| io_error("sending the request head", e))?;
        for (name, value) in &parts.headers {
            // The client refuses header values with CR or LF before they reach a transport.
            out.write_all(name.as_str().as_bytes())
                .and_then(|()| out.write_all(b": "))
                .and_then(|()| out.write_all(value.as_bytes()))
                .and_then(|()| out.write_all(b"\r\n"))
                .map_err(|e| io_error("sending the request head", e))?;
        }
        out.write_all(b"\r\n")
            .map_err(|e| io_error("sending the request head", e))?;
        let sent =
            io::copy(&mut body, &mut out).map_err(|e| io_error("sending the request body", e))?;
        if sent != body.len() {
            return Err(TransportError::new(
                TransportErrorKind::Io,
                format!(
                    "the request body held {sent} bytes, not the {} its length said",
                    body.len()
                ),
            ));
        }
        out.flush()
            .map_err(|e| io_error("sending the request body", e))?;
        drop(out);

        let mut reader = BufReader::new(stream);
        // An interim answer (100 Continue, 103 Early Hints) comes before the real one.
        let (status, headers) = loop {
            let head =
                read_head(&mut reader).map_err(|e| io_error("reading the response head", e))?;
            let (status, headers) = parse_head(&head)?;
            if !status.is_informational() {
                break (status, headers);
            }
        };
        reader
            .get_ref()
            .set_read_timeout(timeouts.idle)
            .map_err(|e| io_error("configuring the socket", e))?;

        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let chunked =
            header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let length = header("content-length").and_then(|v| v.parse::<u64>().ok());
        if chunked {
            // Decoding chunked bodies is left out of this example, as the emulator sends a
            // Content-Length; a server may not, and a transport of your own must decode them.
            return Err(TransportError::new(
                TransportErrorKind::Unsupported,
                "a chunked response body, which this example transport does not decode",
            ));
        }
        let body = TimedOut(reader);
        let body = if let Some(length) = length {
            ResponseBody::new(body.take(length))
        } else {
            ResponseBody::new(body) // delimited by the connection's close
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

/// The largest response head read.
const MAX_HEAD: u64 = 64 * 1024;

/// Connects to the first address of `host` that answers, each within `limit`.
fn connect(host: &str, port: u16, limit: Option<Duration>) -> Result<TcpStream, TransportError> {
    let failed = |e: io::Error| {
        TransportError::with_source(
            TransportErrorKind::Connect,
            format!("connecting to {host}:{port}"),
            e,
        )
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for address in (host, port).to_socket_addrs().map_err(failed)? {
        let attempt = match limit {
            Some(limit) => TcpStream::connect_timeout(&address, limit),
            None => TcpStream::connect(address),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(failed(timed_out(last)))
}

/// The response head, up to and including its blank line, of at most `MAX_HEAD` bytes.
fn read_head(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut limited = reader.take(MAX_HEAD);
    loop {
        let before = head.len();
        if limited.read_until(b'\n', &mut head)? == 0 {
            return Err(if head.len() as u64 >= MAX_HEAD {
                io::Error::new(io::ErrorKind::InvalidData, "a response head over 64 KiB")
            } else {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection before answering",
                )
            });
        }
        if head[before..] == *b"\r\n" || head[before..] == *b"\n" {
            return Ok(head);
        }
    }
}

/// The status and headers of a response head.
fn parse_head(head: &[u8]) -> Result<(http::StatusCode, http::HeaderMap), TransportError> {
    let invalid = |what: String| {
        TransportError::new(
            TransportErrorKind::Io,
            format!("an invalid response head: {what}"),
        )
    };
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut slots);
    parsed.parse(head).map_err(|e| invalid(e.to_string()))?;
    let status =
        http::StatusCode::from_u16(parsed.code.unwrap_or(0)).map_err(|e| invalid(e.to_string()))?;
    let mut headers = http::HeaderMap::new();
    for h in parsed.headers.iter() {
        let name =
            http::HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let value = http::HeaderValue::from_bytes(h.value).map_err(|e| invalid(e.to_string()))?;
        headers.append(name, value);
    }
    Ok((status, headers))
}

/// Reports a read that outlived the socket's timeout as `TimedOut`, as the client expects.
fn timed_out(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock => {
            io::Error::new(io::ErrorKind::TimedOut, "no bytes within the idle limit")
        }
        _ => e,
    }
}

/// A reader whose timeouts say `TimedOut`.
struct TimedOut<R>(R);

impl<R: Read> Read for TimedOut<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(timed_out)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(Dialect::openai())?;
    let openai = OpenAi::new(emulator.api_key()).with_base_url(&emulator.base_url())?;
    let client = Client::new(openai, PlainHttp);
    let files = client.files();

    // The client's retries work over any transport: the first upload meets a 503.
    emulator.inject(
        Fault::status(
            503,
            serde_json::json!({"error": {"message": "busy", "type": "server_error"}}),
        )
        .with_header("retry-after-ms", "10")
        .on("POST", "/files"),
    );
    let content = "hello from a transport of my own\n".repeat(1000);
    let file = files.create(UploadRequest::from_bytes(
        content.clone(),
        "hello.txt",
        Purpose::ASSISTANTS,
    ))?;
    println!(
        "uploaded {} ({} bytes) after {} requests",
        file.id,
        file.bytes,
        emulator.requests().len()
    );

    let mut copy = Vec::new();
    files.download_to(&file.id, &mut copy)?;
    assert_eq!(
        copy,
        content.as_bytes(),
        "the download differs from the upload"
    );
    println!("downloaded {} bytes back, identical", copy.len());

    files.delete(&file.id)?;
    let gone = files.retrieve(&file.id).unwrap_err();
    println!("after delete: {gone}");
    Ok(())
}
