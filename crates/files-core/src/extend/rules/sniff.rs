//! What a file's leading bytes look like: a format of the catalogue, an HTML page, text, or
//! other binary data.

use super::{ContentRule, FORMATS, FormatRule, Signature};

/// What leading bytes were recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// The signature of one or more catalogue formats (the Office formats share theirs).
    Formats(Vec<&'static FormatRule>),
    /// UTF-8 text that starts like an HTML page (an error page saved under a file's name).
    Html,
    /// UTF-8 text.
    Text,
    /// UTF-16 text, after a byte-order mark.
    Utf16Text,
    /// Text in another encoding (GBK, Latin-1, …).
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
            Sniffed::Utf16Text => "UTF-16 text".to_owned(),
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
    let text = text_kind(prefix, complete);
    // UTF-8 text that starts like a signature made of letters (`ID3`, `%PDF`) is text.
    let letters_only = |s: &Signature| s.bytes.iter().flatten().all(|b| (0x20..0x7f).contains(b));
    let formats: Vec<&'static FormatRule> = FORMATS
        .iter()
        .filter(|f| match f.content {
            ContentRule::Signatures(signatures) => signatures
                .iter()
                .any(|s| s.matches(prefix) && !(text == TextKind::Utf8 && letters_only(s))),
            _ => false,
        })
        .collect();
    match text {
        _ if !formats.is_empty() => Sniffed::Formats(formats),
        TextKind::Utf8 if looks_like_html(prefix) => Sniffed::Html,
        TextKind::Utf8 => Sniffed::Text,
        TextKind::Utf16 => Sniffed::Utf16Text,
        TextKind::OtherEncoding => Sniffed::OtherText,
        TextKind::Binary => Sniffed::Binary,
    }
}

/// Whether leading bytes are text, and in which encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// UTF-8 (a character cut by the prefix's end allowed).
    Utf8,
    /// UTF-16 after a byte-order mark.
    Utf16,
    /// Another 8-bit encoding: GBK, Latin-1, …
    OtherEncoding,
    /// Not text: NUL bytes, many control bytes, or broken UTF-16.
    Binary,
}

/// Whether `byte` is a control byte that text does not hold: not a tab, a line or page
/// break, a DOS end-of-file mark or an escape (colour codes in a log).
fn stray_control(byte: u8) -> bool {
    byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1a | 0x1b)
}

/// What kind of text `prefix` is, if any; `complete` as for [`sniff`]. Text has no NUL, and
/// at most one stray control byte in a hundred, whatever its encoding.
pub(crate) fn text_kind(prefix: &[u8], complete: bool) -> TextKind {
    if let Some(units) = prefix
        .strip_prefix(b"\xff\xfe")
        .map(|rest| (rest, false))
        .or_else(|| prefix.strip_prefix(b"\xfe\xff").map(|rest| (rest, true)))
    {
        return utf16_kind(units.0, units.1, complete);
    }
    let strays = prefix.iter().filter(|b| stray_control(**b)).count();
    if prefix.contains(&0) || strays * 100 > prefix.len() {
        return TextKind::Binary;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => TextKind::Utf8,
        // A character cut by the end of the prefix, when more of the file follows.
        Err(e) if e.error_len().is_none() && !complete => TextKind::Utf8,
        Err(_) => TextKind::OtherEncoding,
    }
}

/// UTF-16 after its byte-order mark: every unit decodes (a pair or a byte cut by the end of
/// a prefix allowed), none is NUL — so UTF-32, whose mark starts the same, is not text.
fn utf16_kind(bytes: &[u8], big_endian: bool, complete: bool) -> TextKind {
    let whole = bytes.len() - bytes.len() % 2;
    if complete && whole != bytes.len() {
        return TextKind::Binary;
    }
    let units = bytes[..whole].chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let decoded: Vec<_> = char::decode_utf16(units).collect();
    let cut_at_end = |i: usize| !complete && i + 1 == decoded.len();
    for (i, unit) in decoded.iter().enumerate() {
        match unit {
            Ok('\0') => return TextKind::Binary,
            Ok(c) if (*c as u32) < 0x20 && stray_control(*c as u8) => return TextKind::Binary,
            Ok(_) => {}
            Err(_) if cut_at_end(i) => {}
            Err(_) => return TextKind::Binary,
        }
    }
    TextKind::Utf16
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
        assert_eq!(names(&sniff(b"GIF89a\x01\0\x01\0\x80", false)), ["gif"]);
        assert_eq!(names(&sniff(b"ID3\x03\0", false)), ["mp3"]);
        assert_eq!(
            names(&sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", false)),
            ["pdf"]
        );
        // Made of letters, and followed by text: text, whatever it starts with.
        assert_eq!(sniff(b"%PDF is a format", true), Sniffed::Text);
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
        assert_eq!(sniff(b"\xff\xfeh\0i\0", true), Sniffed::Utf16Text);
        assert_eq!(sniff(b"\xfe\xff\0h\0i", true), Sniffed::Utf16Text);
        assert_eq!(
            sniff(b"\xff\xfe\0\0h\0\0\0", true),
            Sniffed::Binary,
            "UTF-32"
        );
        assert_eq!(
            sniff(b"\xff\xfe\x00\xd8a\0", true),
            Sniffed::Binary,
            "a lone surrogate"
        );
        assert_eq!(
            sniff(b"\xff\xfeh\0i", false),
            Sniffed::Utf16Text,
            "a cut unit"
        );
        assert_eq!(sniff(b"\x01\x02\xfe", true), Sniffed::Binary);
        assert_eq!(
            sniff(b"\x01\x02abc", true),
            Sniffed::Binary,
            "control bytes in UTF-8"
        );
        let log = b"\x1b[31merror\x1b[0m: disk full\r\n\x1a";
        assert_eq!(
            sniff(log, true),
            Sniffed::Text,
            "colour codes and a DOS end mark"
        );
        assert_eq!(sniff(b"caf\xe9 \x1a", true), Sniffed::OtherText);
        assert_eq!(sniff(b"ID3 tags are text", true), Sniffed::Text);
        assert_eq!(names(&sniff(b"ID3\x04\0\0", true)), ["mp3"]);
        assert_eq!(sniff(b"", true), Sniffed::Empty);
    }
}
