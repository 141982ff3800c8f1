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
    /// Text: UTF-8 without NUL bytes, or UTF-16 with a byte-order mark.
    Text,
    /// Text in another encoding (GBK, Latin-1, …): no NUL and no stray control bytes.
    OtherText,
    /// No bytes at all.
    Empty,
    /// Anything else.
    Binary,
}

impl Sniffed {
    /// How a message names what the bytes say, e.g. `PNG image`.
    pub fn describe(&self) -> String {
        match self {
            Sniffed::Formats(formats) => {
                let labels: Vec<&str> = formats.iter().map(|f| f.label).collect();
                labels.join(" or ")
            }
            Sniffed::Html => "HTML page".to_owned(),
            Sniffed::Text => "plain text".to_owned(),
            Sniffed::OtherText => "text that is not UTF-8".to_owned(),
            Sniffed::Empty => "nothing (the file is empty)".to_owned(),
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
    match text_kind(prefix, complete) {
        // A text that happens to start like a signature made of letters (`ID3`, `%PDF`) is
        // still text to the text rules; here the signature names it.
        _ if !formats.is_empty() => Sniffed::Formats(formats),
        TextKind::Utf8 if looks_like_html(prefix) => Sniffed::Html,
        TextKind::Utf8 | TextKind::Utf16 => Sniffed::Text,
        TextKind::OtherEncoding => Sniffed::OtherText,
        TextKind::Binary => Sniffed::Binary,
    }
}

/// Whether leading bytes are text, and in which encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// UTF-8 without NUL bytes (a character cut by the prefix's end allowed).
    Utf8,
    /// UTF-16 with a byte-order mark.
    Utf16,
    /// No NUL and no control bytes but whitespace, yet not UTF-8: another encoding.
    OtherEncoding,
    /// Not text.
    Binary,
}

/// What kind of text `prefix` is, if any; `complete` as for [`sniff`].
pub(crate) fn text_kind(prefix: &[u8], complete: bool) -> TextKind {
    if prefix.starts_with(b"\xff\xfe") || prefix.starts_with(b"\xfe\xff") {
        return TextKind::Utf16;
    }
    let control = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c);
    if prefix.contains(&0) {
        return TextKind::Binary;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => TextKind::Utf8,
        // A character cut by the end of the prefix, when more of the file follows.
        Err(e) if e.error_len().is_none() && !complete => TextKind::Utf8,
        Err(_) if prefix.iter().any(control) => TextKind::Binary,
        Err(_) => TextKind::OtherEncoding,
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
        assert_eq!(sniff(b"\xc3\xa9t\xc3", true), Sniffed::OtherText);
        assert_eq!(sniff(b"caf\xe9,1\r\n", true), Sniffed::OtherText, "Latin-1");
        assert_eq!(sniff(b"\xff\xfeh\0i\0", true), Sniffed::Text, "UTF-16");
        assert_eq!(sniff(b"\x01\x02\xfe", true), Sniffed::Binary);
        assert_eq!(sniff(b"", true), Sniffed::Empty);
    }
}
