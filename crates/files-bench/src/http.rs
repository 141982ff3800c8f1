//! Just enough HTTP/1.1 for the benchmark's server: request heads, bodies of a known length,
//! and responses, over any byte stream (a TCP socket or a TLS one).

use std::io::{self, Read, Write};

/// The most a request head may take.
const MAX_HEAD: usize = 64 << 10;

/// How much is read from the socket at a time.
pub const READ_CHUNK: usize = 256 << 10;

/// A request's head.
#[derive(Debug, Default)]
pub struct Head {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target.
    pub path: String,
    /// `Content-Length`, if sent.
    pub content_length: Option<u64>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// Whether the client waits for `100 Continue` before its body.
    pub expects_continue: bool,
    /// Whether the body is chunked (the benchmark refuses it: every client sends a length).
    pub chunked: bool,
}

/// One connection: the stream, and bytes read past the current head.
pub struct Connection<S> {
    stream: S,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl<S: Read + Write> Connection<S> {
    /// A connection over `stream`.
    pub fn new(stream: S) -> Self {
        Connection {
            stream,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The next request's head, or `None` when the client closed the connection between
    /// requests.
    pub fn read_head(&mut self) -> io::Result<Option<Head>> {
        loop {
            let pending = &self.buf[self.start..self.end];
            if let Some(at) = memchr::memmem::find(pending, b"\r\n\r\n") {
                let head = parse_head(&pending[..at])?;
                self.start += at + 4;
                return Ok(Some(head));
            }
            if pending.len() >= MAX_HEAD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "request head too long",
                ));
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = self.stream.read(&mut self.buf[self.end..])?;
            if n == 0 {
                return if self.end == 0 {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
            self.end += n;
        }
    }

    /// Hands exactly `len` body bytes to `each`, chunk by chunk; fails if the stream ends
    /// first.
    pub fn read_body(&mut self, len: u64, mut each: impl FnMut(&[u8])) -> io::Result<()> {
        let mut left = len;
        while left > 0 {
            if self.start == self.end {
                self.start = 0;
                self.end = self.stream.read(&mut self.buf)?;
                if self.end == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the body ended {left} bytes short of its Content-Length ({len})"),
                    ));
                }
            }
            let take = (self.end - self.start).min(usize::try_from(left).unwrap_or(usize::MAX));
            each(&self.buf[self.start..self.start + take]);
            self.start += take;
            left -= take as u64;
        }
        Ok(())
    }

    /// The stream, to write a response to.
    pub fn writer(&mut self) -> &mut S {
        &mut self.stream
    }
}

fn parse_head(bytes: &[u8]) -> io::Result<Head> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "request head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut words = request_line.split(' ');
    let mut head = Head {
        method: words.next().unwrap_or("").to_owned(),
        path: words.next().unwrap_or("").to_owned(),
        ..Head::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(value.parse().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "Content-Length is not a number")
            })?);
        } else if name.eq_ignore_ascii_case("content-type") {
            head.content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("expect") {
            head.expects_continue = value.eq_ignore_ascii_case("100-continue");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    Ok(head)
}

/// Writes a response head (and keeps the connection open).
pub fn write_head(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    len: u64,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n"
    );
    out.write_all(head.as_bytes())
}

/// Writes a JSON response.
pub fn write_json(out: &mut impl Write, status: &str, body: &str) -> io::Result<()> {
    write_head(out, status, "application/json", body.len() as u64)?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out its input a few bytes at a time.
    struct Trickle(Vec<u8>, usize, Vec<u8>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.2.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn heads_and_bodies_are_split_across_reads() {
        let input = b"POST /v1/files HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\
                      Content-Type: multipart/form-data; boundary=x\r\n\r\nhelloGET /a HTTP/1.1\r\n\r\n";
        let mut conn = Connection::new(Trickle(input.to_vec(), 0, Vec::new()));
        let head = conn.read_head().unwrap().unwrap();
        assert_eq!(
            (head.method.as_str(), head.path.as_str()),
            ("POST", "/v1/files")
        );
        assert_eq!(head.content_length, Some(5));
        assert!(head.expects_continue);
        let mut body = Vec::new();
        conn.read_body(5, |chunk| body.extend_from_slice(chunk))
            .unwrap();
        assert_eq!(body, b"hello");
        let next = conn.read_head().unwrap().unwrap();
        assert_eq!(next.path, "/a");
        assert!(conn.read_head().unwrap().is_none());
    }

    #[test]
    fn a_short_body_is_an_error() {
        let input = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        let mut conn = Connection::new(Trickle(input.to_vec(), 0, Vec::new()));
        conn.read_head().unwrap().unwrap();
        let err = conn.read_body(10, |_| {}).unwrap_err();
        assert!(err.to_string().contains("7 bytes short"), "{err}");
    }
}
