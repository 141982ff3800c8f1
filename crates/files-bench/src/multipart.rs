//! A streaming check of a `multipart/form-data` body's framing: it finds every delimiter as
//! the bytes go by (whatever the chunking), keeps only the first bytes after each (the part's
//! headers, and a short field's value), and at the end says what parts there were and how
//! long each part's content was — without holding the body.

use memchr::memmem::Finder;

/// How many bytes after each delimiter are kept: room for the part's headers and a short
/// value.
const CAPTURE: usize = 1024;

/// One part of a checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its `name`.
    pub name: String,
    /// Its `filename`, if it has one.
    pub filename: Option<String>,
    /// The length of its content.
    pub len: u64,
    /// Its content, when short enough to have been kept whole.
    pub value: Option<String>,
}

/// The framing check of one body.
pub struct FormCheck {
    finder: Finder<'static>,
    delimiter_len: usize,
    /// The last `delimiter_len - 1` bytes seen, for a delimiter split between chunks.
    tail: Vec<u8>,
    /// Bytes seen so far (counting the `\r\n` the first delimiter lacks).
    offset: u64,
    /// Where each delimiter starts, and the bytes kept after it.
    delimiters: Vec<(u64, Vec<u8>)>,
}

impl FormCheck {
    /// A check for the form whose boundary is `boundary`.
    pub fn new(boundary: &str) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        let mut check = FormCheck {
            delimiter_len: delimiter.len(),
            finder: Finder::new(&delimiter).into_owned(),
            tail: Vec::new(),
            offset: 0,
            delimiters: Vec::new(),
        };
        // The body's first delimiter has no line break before it.
        check.feed(b"\r\n");
        check
    }

    /// The next bytes of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        let keep = self.delimiter_len - 1;
        // A delimiter that starts in the tail and ends in this chunk.
        if !self.tail.is_empty() {
            let mut joined = self.tail.clone();
            joined.extend_from_slice(&chunk[..chunk.len().min(keep)]);
            let base = self.offset - self.tail.len() as u64;
            for at in self.finder.find_iter(&joined) {
                if at < self.tail.len() {
                    self.delimiters.push((base + at as u64, Vec::new()));
                }
            }
        }
        for at in self.finder.find_iter(chunk) {
            self.delimiters.push((self.offset + at as u64, Vec::new()));
        }
        // Keep the first bytes after each delimiter whose window reaches into this chunk.
        let chunk_end = self.offset + chunk.len() as u64;
        for (at, kept) in self.delimiters.iter_mut().rev() {
            let from = *at + self.delimiter_len as u64 + kept.len() as u64;
            let to = (*at + (self.delimiter_len + CAPTURE) as u64).min(chunk_end);
            if kept.len() >= CAPTURE || to <= self.offset {
                break;
            }
            let from = from.max(self.offset);
            if from < to {
                kept.extend_from_slice(
                    &chunk[(from - self.offset) as usize..(to - self.offset) as usize],
                );
            }
        }
        if chunk.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            self.tail.extend_from_slice(chunk);
            let excess = self.tail.len().saturating_sub(keep);
            self.tail.drain(..excess);
        }
        self.offset = chunk_end;
    }

    /// The parts, once the whole body was fed; or what is wrong with its framing.
    pub fn finish(self) -> Result<Vec<Part>, String> {
        let end = self.offset;
        let Some(&(first, _)) = self.delimiters.first() else {
            return Err("the body has no boundary delimiter".to_owned());
        };
        if first != 0 {
            return Err(format!(
                "the body does not start with its boundary (found at byte {})",
                first.saturating_sub(2)
            ));
        }
        let (last_at, last_kept) = self.delimiters.last().expect("one at least");
        let after_last = end - last_at - self.delimiter_len as u64;
        if !(last_kept.starts_with(b"--")
            && (after_last == 2 || (after_last == 4 && last_kept.ends_with(b"\r\n"))))
        {
            return Err(
                "the body does not end with the closing delimiter (`--BOUNDARY--`)".to_owned(),
            );
        }
        let mut parts = Vec::new();
        for pair in self.delimiters.windows(2) {
            let ((at, kept), (next, _)) = (&pair[0], &pair[1]);
            if !kept.starts_with(b"\r\n") {
                return Err(format!(
                    "a delimiter at byte {} is not followed by a line break",
                    at.saturating_sub(2)
                ));
            }
            // `kept` starts with the line break after the delimiter; headers follow it.
            let Some(head_end) = memchr::memmem::find(&kept[2..], b"\r\n\r\n").map(|i| i + 2)
            else {
                return Err(format!(
                    "the part at byte {} has no end to its headers",
                    at.saturating_sub(2)
                ));
            };
            let headers = String::from_utf8_lossy(&kept[2..head_end]);
            let content_start = at + (self.delimiter_len + head_end + 4) as u64;
            let len = next
                .checked_sub(content_start)
                .ok_or("a part ends before its headers do")?;
            let disposition = headers
                .split("\r\n")
                .find(|line| {
                    line.to_ascii_lowercase()
                        .starts_with("content-disposition:")
                })
                .ok_or_else(|| {
                    format!(
                        "the part at byte {} has no Content-Disposition",
                        at.saturating_sub(2)
                    )
                })?;
            let name = quoted(disposition, "name")
                .ok_or_else(|| format!("the part at byte {} has no name", at.saturating_sub(2)))?;
            let value_start = head_end + 4;
            let value = (len < 256 && kept.len() >= value_start + len as usize).then(|| {
                String::from_utf8_lossy(&kept[value_start..value_start + len as usize]).into_owned()
            });
            parts.push(Part {
                name,
                filename: quoted(disposition, "filename"),
                len,
                value,
            });
        }
        Ok(parts)
    }
}

/// The quoted value of parameter `key` in a header line (`name="file"`).
fn quoted(line: &str, key: &str) -> Option<String> {
    let pattern = format!("{key}=\"");
    let mut search = line;
    while let Some(at) = search.find(&pattern) {
        // `name=` must not match the end of `filename=`.
        let before = search[..at].chars().next_back();
        let rest = &search[at + pattern.len()..];
        if matches!(before, None | Some(' ' | ';')) {
            return rest.split('"').next().map(str::to_owned);
        }
        search = rest;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(boundary: &str, file: &[u8]) -> Vec<u8> {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    }

    fn check(body: &[u8], boundary: &str, chunk: usize) -> Result<Vec<Part>, String> {
        let mut check = FormCheck::new(boundary);
        for piece in body.chunks(chunk) {
            check.feed(piece);
        }
        check.finish()
    }

    #[test]
    fn parts_are_found_however_the_body_is_cut() {
        let file: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let body = form("XyZ-123", &file);
        for chunk in [1, 2, 3, 7, 16, 100, 4096, body.len()] {
            let parts = check(&body, "XyZ-123", chunk).unwrap();
            assert_eq!(parts.len(), 2, "chunk {chunk}");
            assert_eq!(parts[0].name, "purpose");
            assert_eq!(parts[0].value.as_deref(), Some("assistants"));
            assert_eq!(parts[1].name, "file");
            assert_eq!(parts[1].filename.as_deref(), Some("a.bin"));
            assert_eq!(parts[1].len, 5000, "chunk {chunk}");
        }
    }

    #[test]
    fn broken_framing_is_named() {
        let body = form("b", b"data");
        let err = check(&body[..body.len() - 4], "b", 5).unwrap_err();
        assert!(err.contains("closing delimiter"), "{err}");
        let mut late = b"xx".to_vec();
        late.extend_from_slice(&body);
        let err = check(&late, "b", 5).unwrap_err();
        assert!(err.contains("does not start"), "{err}");
        let err = check(b"nothing here", "b", 5).unwrap_err();
        assert!(err.contains("no boundary"), "{err}");
        let err = check(&body, "other", 5).unwrap_err();
        assert!(err.contains("no boundary"), "{err}");
    }

    #[test]
    fn a_bad_first_part_is_an_error_not_a_panic() {
        // A first part with no headers at all, and one with no Content-Disposition.
        let err = check(b"--b\r\n\r\nvalue\r\n--b--\r\n", "b", 3).unwrap_err();
        assert!(err.contains("byte 0"), "{err}");
        let err = check(b"--b\r\nX: y\r\n\r\nvalue\r\n--b--\r\n", "b", 3).unwrap_err();
        assert!(err.contains("no Content-Disposition"), "{err}");
        let err = check(b"--bX\r\n--b--\r\n", "b", 3).unwrap_err();
        assert!(err.contains("not followed by a line break"), "{err}");
    }

    #[test]
    fn name_is_not_read_from_filename() {
        let line = "Content-Disposition: form-data; filename=\"x.bin\"; name=\"file\"";
        assert_eq!(quoted(line, "name").as_deref(), Some("file"));
        assert_eq!(quoted(line, "filename").as_deref(), Some("x.bin"));
    }
}
