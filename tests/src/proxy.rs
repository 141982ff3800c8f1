//! A forward proxy on loopback for the proxy tests: a request in absolute form
//! (`GET http://host:port/path`) is sent on to its host in origin form, a `CONNECT host:port`
//! gets a tunnel, and each is recorded with its `Proxy-Authorization` header. With
//! credentials set, a request without them (or with others) is answered 407.
//!
//! It uses only the standard library, so the CLI's tests can include this file too.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxiedRequest {
    /// `CONNECT`, `GET`, `POST`…
    pub method: String,
    /// The request target: `host:port` for `CONNECT`, the absolute URL otherwise.
    pub target: String,
    /// The `Proxy-Authorization` header, if one came.
    pub authorization: Option<String>,
}

/// A running forward proxy; it stops accepting when dropped.
pub struct ForwardProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<ProxiedRequest>>>,
    stopping: Arc<AtomicBool>,
}

impl ForwardProxy {
    /// A proxy that asks for no credentials.
    pub fn start() -> ForwardProxy {
        ForwardProxy::start_with(None)
    }

    /// A proxy that answers 407 unless `Proxy-Authorization` is `Basic` with `credentials`
    /// (`user:password`, base64-encoded on the wire).
    pub fn start_with(credentials: Option<&str>) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the test proxy");
        let addr = listener.local_addr().expect("the test proxy's address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let expected = credentials.map(|c| format!("Basic {}", base64(c.as_bytes())));
        let log = Arc::clone(&seen);
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let log = Arc::clone(&log);
                let expected = expected.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &log, expected.as_deref());
                });
            }
        });
        ForwardProxy {
            addr,
            seen,
            stopping,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`.
    pub fn url_with(&self, credentials: &str) -> String {
        format!("http://{credentials}@{}", self.addr)
    }

    /// What it has seen so far.
    pub fn seen(&self) -> Vec<ProxiedRequest> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        // Wakes the accepting thread, which then sees the flag and ends.
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// One client connection: one request (forwarded with `Connection: close`, so the client
/// opens a new connection for the next), or one tunnel.
fn serve(
    client: TcpStream,
    log: &Mutex<Vec<ProxiedRequest>>,
    expected: Option<&str>,
) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(());
    };
    let (method, target, version) = (method.to_owned(), target.to_owned(), version.to_owned());
    let mut headers = Vec::new();
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header.as_str(), ""));
        let lower = name.trim().to_ascii_lowercase();
        match lower.as_str() {
            "proxy-authorization" => authorization = Some(value.trim().to_owned()),
            "proxy-connection" | "connection" => {}
            _ => headers.push(header),
        }
    }
    log.lock().unwrap().push(ProxiedRequest {
        method: method.clone(),
        target: target.clone(),
        authorization: authorization.clone(),
    });
    let mut client_write = client;
    if expected.is_some() && authorization.as_deref() != expected {
        client_write.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"test\"\r\n\
              Content-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    if method.eq_ignore_ascii_case("CONNECT") {
        let Ok(upstream) = TcpStream::connect(&target) else {
            client_write.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        };
        client_write.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        return pipe(reader, client_write, upstream);
    }
    let Some(rest) = target.strip_prefix("http://") else {
        client_write.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let Ok(mut upstream) = TcpStream::connect(authority) else {
        client_write.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let mut head = format!("{method} {path} {version}\r\n");
    for header in &headers {
        head.push_str(header);
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    pipe(reader, client_write, upstream)
}

/// Copies both ways until each side is done: what is left of the client's bytes (`from`,
/// with what it has buffered) to `upstream`, and `upstream`'s answer to `to`.
fn pipe(mut from: BufReader<TcpStream>, mut to: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let mut up_write = upstream.try_clone()?;
    let mut up_read = upstream;
    let uploading = thread::spawn(move || {
        let _ = io::copy(&mut from, &mut up_write);
        let _ = up_write.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut up_read, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = uploading.join();
    Ok(())
}

/// Standard base64 with padding, for the expected `Proxy-Authorization`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_is_the_standard_one() {
        assert_eq!(super::base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
    }
}
