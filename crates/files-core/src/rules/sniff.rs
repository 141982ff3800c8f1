//! What a file's leading bytes look like: a format of the catalogue, an HTML page, text, or
//! other binary data.

use super::{ContentRule, FORMATS, FormatRule};

/// What leading bytes were recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// The signature of one or more catalogue formats (the Office formats share theirs).
    Formats(Vec<&'static FormatRule>),
    /// UTF-8 text that starts like an HTML page (an error page saved under a file's name).
    Html,
    /// UTF-8 text without NUL bytes.
    Text,
    /// No bytes at all.
    Empty,
    /// Anything else.
    Binary,
}

impl Sniffed {
    /// How a message names what the bytes are, e.g. `a PNG image`.
    pub fn describe(&self) -> String {
        match self {
            Sniffed::Formats(formats) => {
                let labels: Vec<&str> = formats.iter().map(|f| f.label).collect();
                format!("those of a {}", labels.join(" or "))
            }
            Sniffed::Html => "an HTML page".to_owned(),
            Sniffed::Text => "plain text".to_owned(),
            Sniffed::Empty => "empty".to_owned(),
            Sniffed::Binary => "binary data of no format the client knows".to_owned(),
        }
    }
}

/// Recognises `prefix`, the first bytes of a file; `complete` says whether it is the whole
/// file (else a multi-byte character cut at its end is still text).
pub fn sniff(prefix: &[u8], complete: bool) -> Sniffed {
    if prefix.is_empty() {
        return Sniffed::Empty;
    }
    let formats: Vec<&'static FormatRule> = FORMATS
        .iter()
        .filter(|f| match f.content {
            ContentRule::Signatures(signatures) => signatures.iter().any(|s| s.matches(prefix)),
            _ => false,
        })
        .collect();
    if !formats.is_empty() {
        return Sniffed::Formats(formats);
    }
    match text_problem(prefix, complete) {
        None if looks_like_html(prefix) => Sniffed::Html,
        None => Sniffed::Text,
        Some(_) => Sniffed::Binary,
    }
}

/// Why `prefix` is not UTF-8 text without NUL bytes, if it is not.
pub(crate) fn text_problem(prefix: &[u8], complete: bool) -> Option<String> {
    if let Some(at) = prefix.iter().position(|b| *b == 0) {
        return Some(format!("a NUL byte at offset {at}"));
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => None,
        // A character cut by the end of the prefix, when more of the file follows.
        Err(e) if e.error_len().is_none() && !complete => None,
        Err(e) => Some(format!(
            "bytes that are not UTF-8 at offset {}",
            e.valid_up_to()
        )),
    }
}

fn looks_like_html(prefix: &[u8]) -> bool {
    let start: Vec<u8> = prefix
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Sniffed) -> Vec<&str> {
        match s {
            Sniffed::Formats(f) => f.iter().map(|f| f.name).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn signatures_are_recognised() {
        assert_eq!(names(&sniff(b"\x89PNG\r\n\x1a\n....", false)), ["png"]);
        assert_eq!(names(&sniff(b"\xff\xd8\xff\xe0", false)), ["jpeg"]);
        assert_eq!(names(&sniff(b"RIFF\0\0\0\0WEBPVP8 ", false)), ["webp"]);
        assert_eq!(names(&sniff(b"RIFF\0\0\0\0WAVEfmt ", false)), ["wav"]);
        assert_eq!(names(&sniff(b"\0\0\0\x18ftypmp42", false)), ["mp4"]);
        assert_eq!(names(&sniff(b"GIF89a", false)), ["gif"]);
        assert_eq!(names(&sniff(b"ID3\x03", false)), ["mp3"]);
        assert_eq!(names(&sniff(b"%PDF-1.7", false)), ["pdf"]);
        assert_eq!(
            names(&sniff(b"PK\x03\x04\x14\0", false)),
            ["docx", "xlsx", "pptx"]
        );
    }

    #[test]
    fn text_html_and_binary() {
        assert_eq!(sniff(b"hello, world", true), Sniffed::Text);
        assert_eq!(
            sniff(b"  <!DOCTYPE html><html><body>502", true),
            Sniffed::Html
        );
        assert_eq!(sniff(b"a\0b", true), Sniffed::Binary);
        assert_eq!(
            sniff(b"\xc3\xa9t\xc3", false),
            Sniffed::Text,
            "a cut character"
        );
        assert_eq!(sniff(b"\xc3\xa9t\xc3", true), Sniffed::Binary);
        assert_eq!(sniff(b"", true), Sniffed::Empty);
    }
}
