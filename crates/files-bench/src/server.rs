//! The benchmark's loopback server, over plain TCP or TLS: a sink for uploads that checks
//! every body's length and multipart framing as it drains it, and a source that streams a
//! download of any size from memory. One thread per connection, blocking IO: nothing in the
//! way of the client being measured.

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use crate::http::{Connection, Head, write_head, write_json};
use crate::multipart::FormCheck;

/// The bytes a download repeats: 4 MiB that do not compress.
const PATTERN_LEN: usize = 4 << 20;

/// `files-bench cert DIR`.
pub fn write_certificate(args: &[String]) -> Result<(), String> {
    let [dir] = args else {
        return Err("usage: files-bench cert DIR".to_owned());
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(|e| format!("could not make a certificate: {e}"))?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("cert.pem", made.cert.pem())?;
    write("key.pem", made.signing_key.serialize_pem())
}

/// `files-bench serve [--tls DIR]`: prints the base URL, serves until stdin closes.
pub fn run(args: &[String]) -> Result<(), String> {
    let tls = match args {
        [] => None,
        [flag, dir] if flag == "--tls" => {
            let dir = Path::new(dir);
            let read = |name: &str| {
                let path = dir.join(name);
                std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
            };
            let identity =
                files_emulator::TlsIdentity::from_pem(&read("cert.pem")?, &read("key.pem")?)
                    .map_err(|e| e.to_string())?;
            Some(identity.server_config().map_err(|e| e.to_string())?)
        }
        _ => return Err("usage: files-bench serve [--tls DIR]".to_owned()),
    };
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("could not listen: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("{scheme}://{addr}/v1");
    io::stdout().flush().map_err(|e| e.to_string())?;
    let pattern: Arc<[u8]> = pattern().into();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_nodelay(true);
            let (tls, pattern) = (tls.clone(), pattern.clone());
            std::thread::spawn(move || {
                let result = match tls {
                    None => serve_connection(Connection::new(stream), &pattern),
                    Some(config) => match rustls::ServerConnection::new(config) {
                        Ok(session) => serve_connection(
                            Connection::new(rustls::StreamOwned::new(session, stream)),
                            &pattern,
                        ),
                        Err(e) => Err(io::Error::other(e)),
                    },
                };
                if let Err(e) = result
                    && !matches!(
                        e.kind(),
                        io::ErrorKind::BrokenPipe
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::UnexpectedEof
                    )
                {
                    eprintln!("files-bench serve: {e}");
                }
            });
        }
    });
    // Until the benchmark closes our stdin (or goes away).
    let _ = io::copy(&mut io::stdin(), &mut io::sink());
    Ok(())
}

/// 4 MiB from a xorshift generator: fixed, and not compressible.
fn pattern() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut bytes = Vec::with_capacity(PATTERN_LEN);
    while bytes.len() < PATTERN_LEN {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes
}

/// Serves one connection's requests until the client closes it.
fn serve_connection<S: Read + Write>(mut conn: Connection<S>, pattern: &[u8]) -> io::Result<()> {
    while let Some(head) = conn.read_head()? {
        match (head.method.as_str(), file_size(&head.path)) {
            ("POST", _) if head.path.ends_with("/files") => {
                if !upload(&mut conn, &head)? {
                    // Refused before its body was read: the connection cannot go on.
                    return Ok(());
                }
            }
            ("GET", Some((size, true))) => {
                write_head(conn.writer(), "200 OK", "application/octet-stream", size)?;
                let mut left = size;
                while left > 0 {
                    let n = left.min(pattern.len() as u64) as usize;
                    conn.writer().write_all(&pattern[..n])?;
                    left -= n as u64;
                }
                conn.writer().flush()?;
            }
            ("GET", Some((size, false))) => {
                write_json(
                    conn.writer(),
                    "200 OK",
                    &file_object(size, "bench.bin", "assistants"),
                )?;
            }
            ("DELETE", Some((size, false))) => {
                let body = format!(r#"{{"id":"bytes-{size}","object":"file","deleted":true}}"#);
                write_json(conn.writer(), "200 OK", &body)?;
            }
            _ => {
                let body = error(&format!("no route for {} {}", head.method, head.path));
                write_json(conn.writer(), "404 Not Found", &body)?;
                // The body, if any, was not read: the connection cannot go on.
                return Ok(());
            }
        }
    }
    Ok(())
}

/// `…/files/bytes-N` → (N, false); `…/files/bytes-N/content` → (N, true).
fn file_size(path: &str) -> Option<(u64, bool)> {
    let (_, rest) = path.split_once("/files/bytes-")?;
    match rest.split_once('/') {
        None => Some((rest.parse().ok()?, false)),
        Some((n, "content")) => Some((n.parse().ok()?, true)),
        Some(_) => None,
    }
}

/// Drains an upload, checking its length and framing; answers with the file part's size.
/// False when it was refused before its body was read: the connection must close.
fn upload<S: Read + Write>(conn: &mut Connection<S>, head: &Head) -> io::Result<bool> {
    let refuse = |conn: &mut Connection<S>, status: &str, message: &str| {
        eprintln!("files-bench serve: refused an upload: {message}");
        write_json(conn.writer(), status, &error(message))
    };
    let unread = if head.chunked {
        Some((
            "411 Length Required",
            "a chunked upload: send a Content-Length",
        ))
    } else if head.content_length.is_none() {
        Some(("411 Length Required", "no Content-Length"))
    } else {
        None
    };
    let boundary = head.content_type.as_deref().and_then(boundary);
    let (len, boundary) = match (unread, head.content_length, boundary) {
        (Some((status, message)), ..) => return refuse(conn, status, message).map(|()| false),
        (None, Some(len), Some(boundary)) => (len, boundary),
        _ => {
            let message = "not multipart/form-data with a boundary";
            return refuse(conn, "400 Bad Request", message).map(|()| false);
        }
    };
    if head.expects_continue {
        conn.writer().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        conn.writer().flush()?;
    }
    let mut check = FormCheck::new(&boundary);
    conn.read_body(len, |chunk| check.feed(chunk))?;
    // The body is read: after a refusal from here on, the connection can go on.
    let parts = match check.finish() {
        Ok(parts) => parts,
        Err(message) => return refuse(conn, "400 Bad Request", &message).map(|()| true),
    };
    let Some(file) = parts
        .iter()
        .find(|p| p.name == "file" && p.filename.is_some())
    else {
        let message = "no `file` part with a filename";
        return refuse(conn, "400 Bad Request", message).map(|()| true);
    };
    let purpose = parts
        .iter()
        .find(|p| p.name == "purpose")
        .and_then(|p| p.value.clone())
        .unwrap_or_default();
    let name = file.filename.clone().unwrap_or_default();
    let object = file_object(file.len, &name, &purpose);
    write_json(conn.writer(), "200 OK", &object).map(|()| true)
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn file_object(bytes: u64, filename: &str, purpose: &str) -> String {
    serde_json::json!({
        "id": format!("bytes-{bytes}"),
        "object": "file",
        "bytes": bytes,
        "created_at": 1_767_225_600,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    })
    .to_string()
}

fn error(message: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": "invalid_request_error"}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_sizes() {
        assert_eq!(file_size("/v1/files/bytes-42/content"), Some((42, true)));
        assert_eq!(file_size("/v1/files/bytes-42"), Some((42, false)));
        assert_eq!(file_size("/v1/files/other"), None);
        assert_eq!(file_size("/v1/files/bytes-x/content"), None);
    }

    #[test]
    fn boundaries_are_read_quoted_or_not() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn an_upload_is_drained_and_measured_over_a_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            serve_connection(Connection::new(stream), &pattern()).unwrap();
        });
        let file = vec![7u8; 300_000];
        let mut body =
            b"--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--B\r\n\
                         Content-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n"
                .to_vec();
        body.extend_from_slice(&file);
        body.extend_from_slice(b"\r\n--B--\r\n");
        let mut client = std::net::TcpStream::connect(&addr).unwrap();
        let head = format!(
            "POST /v1/files HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        client.write_all(head.as_bytes()).unwrap();
        client.write_all(&body).unwrap();
        client
            .write_all(b"GET /v1/files/bytes-10000000/content HTTP/1.1\r\n\r\n")
            .unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).unwrap();
        server.join().unwrap();
        let text = String::from_utf8_lossy(&answer[..400]);
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(text.contains(r#""bytes":300000"#), "{text}");
        assert!(text.contains(r#""purpose":"batch""#), "{text}");
        let download_head =
            memchr::memmem::find(&answer, b"Content-Length: 10000000\r\n\r\n").unwrap();
        let body_len = answer.len() - download_head - b"Content-Length: 10000000\r\n\r\n".len();
        assert_eq!(body_len, 10_000_000);
    }
}
