//! `multipart/form-data` bodies (RFC 7578) built as a [`Body`] description.
//!
//! Text fields and part headers become byte segments; a file part's content stays whatever
//! [`Segment`] the caller gave (a path range, bytes, a reader or a stream), so the body's exact
//! length is known without reading the file.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use bytes::{Bytes, BytesMut};

use crate::body::{Body, Segment};
use crate::error::ValidationError;

/// A multipart boundary: 1 to 70 characters from RFC 2046's safe set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary(String);

impl Boundary {
    /// A boundary made of 128 random bits the caller drew (the core draws no randomness), so
    /// it cannot plausibly occur in the content.
    pub fn from_random(random: u128) -> Self {
        Boundary(format!("llm-files-{random:032x}"))
    }

    /// A fixed boundary (for reproducible tests).
    pub fn new(text: impl Into<String>) -> Result<Self, ValidationError> {
        let text = text.into();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c);
        if text.is_empty() || text.len() > 70 || !text.chars().all(ok_char) {
            return Err(ValidationError::new(
                "multipart boundary",
                text,
                "must be 1 to 70 characters of letters, digits and '()+_,-./:=?",
            ));
        }
        Ok(Boundary(text))
    }

    /// The boundary's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Escapes a field name or filename for a quoted `Content-Disposition` parameter the way
/// browsers do (WHATWG HTML): `"` becomes `%22` and control characters (CR and LF among
/// them) become `%XX`; and `\` becomes `%5C`, so the quoted string holds no escape character
/// at all and every parser reads it alike (with `\\`, a name ending in a backslash is lost by
/// parsers that only know `\"`, such as `multer`). Other characters, UTF-8 included, pass
/// through.
pub fn escape_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\\' => out.push_str("%5C"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The name a file part gets from a path: its base name, never the directories before it.
pub fn file_name_of(path: &Path) -> Option<String> {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !name.is_empty())
}

/// The Content-Type a file part gets from its name's extension: the format catalogue's (from
/// `spec/formats.toml`) when it knows the extension, else `mime_guess`'s, else
/// `application/octet-stream`.
pub fn guess_content_type(filename: &str) -> String {
    if let Some(format) = crate::rules::FormatRule::of_file_name(filename) {
        return format.mime_types[0].to_owned();
    }
    mime_guess::from_path(filename)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

/// A `multipart/form-data` body under construction.
#[derive(Debug)]
pub struct MultipartBody {
    boundary: Boundary,
    segments: Vec<Segment>,
    pending: BytesMut,
    /// The byte offsets of the (last) file part's content: the body's payload.
    payload: Option<Range<u64>>,
}

impl MultipartBody {
    /// An empty form with the given boundary.
    pub fn new(boundary: Boundary) -> Self {
        MultipartBody {
            boundary,
            segments: Vec::new(),
            pending: BytesMut::new(),
            payload: None,
        }
    }

    /// The request's `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary.as_str())
    }

    /// Adds a text field.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.part_head(name, None);
        self.pending.extend_from_slice(value.as_bytes());
        self.pending.extend_from_slice(b"\r\n");
        self
    }

    /// Adds a file part whose content is `content` (sent as it is, never copied here). Its
    /// bytes are the body's payload, what progress counts.
    pub fn file(
        &mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        content: Segment,
    ) -> &mut Self {
        self.part_head(name, Some((filename, content_type)));
        self.flush();
        let start: u64 = self.segments.iter().map(Segment::len).sum();
        self.payload = Some(start..start + content.len());
        if !content.is_empty() {
            self.segments.push(content);
        }
        self.pending.extend_from_slice(b"\r\n");
        self
    }

    fn part_head(&mut self, name: &str, file: Option<(&str, &str)>) {
        let mut head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
            self.boundary.as_str(),
            escape_quoted(name)
        );
        if let Some((filename, content_type)) = file {
            let content_type = sanitize_header_value(content_type);
            let _ = write!(
                head,
                "; filename=\"{}\"\r\nContent-Type: {content_type}",
                escape_quoted(filename)
            );
        }
        head.push_str("\r\n\r\n");
        self.pending.extend_from_slice(head.as_bytes());
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let bytes: Bytes = self.pending.split().freeze();
            self.segments.push(Segment::Bytes(bytes));
        }
    }

    /// Closes the form and gives its body.
    pub fn finish(mut self) -> Body {
        let close = format!("--{}--\r\n", self.boundary.as_str());
        self.pending.extend_from_slice(close.as_bytes());
        self.flush();
        let body = Body::from_segments(self.segments);
        match self.payload {
            Some(payload) => body.with_payload(payload),
            None => body,
        }
    }
}

/// Drops CR, LF and other control characters from a header value so a content type cannot
/// inject header lines. The upload builder refuses such a value before it gets here; this is
/// the last line of defence for direct callers.
fn sanitize_header_value(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::PathRange;
    use crate::testing::MemoryFiles;
    use proptest::prelude::*;

    fn render(body: Body, file: &'static [u8]) -> Vec<u8> {
        MemoryFiles::new()
            .with("/tmp/data.jsonl", file)
            .render(body)
            .unwrap()
    }

    #[test]
    fn form_matches_rfc_7578_byte_for_byte() {
        let mut form = MultipartBody::new(Boundary::new("XyZ").unwrap());
        form.text("purpose", "batch");
        form.file(
            "file",
            "data.jsonl",
            "application/jsonl",
            Segment::Path(PathRange::whole("/tmp/data.jsonl", 3)),
        );
        let body = form.finish();
        let expected = "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.jsonl\"\r\n\
             Content-Type: application/jsonl\r\n\r\n{}\n\r\n--XyZ--\r\n";
        let start = expected.find("{}\n").unwrap() as u64;
        assert_eq!(
            body.payload(),
            Some(start..start + 3),
            "the payload is the file's content"
        );
        assert_eq!(body.len(), expected.len() as u64);
        assert_eq!(String::from_utf8(render(body, b"{}\n")).unwrap(), expected);
    }

    #[test]
    fn filenames_are_escaped() {
        assert_eq!(escape_quoted("a\"b"), "a%22b");
        assert_eq!(escape_quoted("a\\b"), "a%5Cb");
        assert_eq!(escape_quoted("a\r\nb"), "a%0D%0Ab");
        assert_eq!(escape_quoted("résumé.pdf"), "résumé.pdf");
    }

    #[test]
    fn a_path_becomes_its_base_name() {
        assert_eq!(
            file_name_of(Path::new("/home/me/secret/report.pdf")).as_deref(),
            Some("report.pdf")
        );
        assert_eq!(
            file_name_of(Path::new("report.pdf")).as_deref(),
            Some("report.pdf")
        );
        assert_eq!(file_name_of(Path::new("/")), None);
    }

    #[test]
    fn content_type_is_guessed_from_the_extension() {
        assert_eq!(guess_content_type("a.png"), "image/png");
        assert_eq!(guess_content_type("a.PDF"), "application/pdf");
        assert_eq!(
            guess_content_type("noextension"),
            "application/octet-stream"
        );
    }

    #[test]
    fn a_content_type_cannot_inject_headers() {
        let mut form = MultipartBody::new(Boundary::new("b").unwrap());
        form.file(
            "file",
            "a",
            "text/plain\r\nX-Evil: 1",
            Segment::Bytes(Bytes::new()),
        );
        let text = String::from_utf8(render(form.finish(), b"")).unwrap();
        assert!(!text.contains("\r\nX-Evil"));
    }

    #[test]
    fn random_boundaries_are_valid_and_differ() {
        let a = Boundary::from_random(1);
        let b = Boundary::from_random(u128::MAX);
        assert_ne!(a, b);
        assert_eq!(Boundary::new(a.as_str()).unwrap(), a);
        assert_eq!(Boundary::new(b.as_str()).unwrap(), b);
    }

    proptest! {
        #[test]
        fn escaped_names_never_break_the_header(name in "\\PC*|[\"\\\\\r\n]{0,8}") {
            let escaped = escape_quoted(&name);
            prop_assert!(!escaped.contains('"'));
            prop_assert!(!escaped.contains('\r') && !escaped.contains('\n'));
            // No escape character is left, so the quoted string never ends early.
            prop_assert!(!escaped.contains('\\'));
        }

        #[test]
        fn declared_length_equals_bytes_rendered(
            fields in proptest::collection::vec(("[a-z_\\[\\]]{1,12}", "\\PC{0,30}"), 0..5),
            filename in "\\PC{1,30}",
            content in proptest::collection::vec(any::<u8>(), 0..200),
            random in any::<u128>(),
        ) {
            let mut form = MultipartBody::new(Boundary::from_random(random));
            for (name, value) in &fields {
                form.text(name, value);
            }
            form.file("file", &filename, "application/octet-stream", Segment::Bytes(Bytes::from(content.clone())));
            let body = form.finish();
            let declared = body.len();
            let payload = body.payload().unwrap();
            let out = MemoryFiles::new().render(body).unwrap();
            prop_assert_eq!(declared, out.len() as u64);
            prop_assert_eq!(&out[payload.start as usize..payload.end as usize], &content[..]);
        }
    }
}
