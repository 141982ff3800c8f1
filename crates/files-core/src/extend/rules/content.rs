//! The content rules: whether a file's first bytes are what its name says — a signature for
//! binary formats, text for text formats, JSON objects line by line for JSON Lines.

use super::sniff::{Sniffed, TextKind, sniff, text_kind};
use super::{
    ContentRule, FormatRule, ProviderRules, PurposeRule, RuleKind, UploadWarning, WarningKind,
};
use crate::error::ValidationError;

/// Checks that the leading bytes are what the extension says; text in another encoding than
/// UTF-8 is accepted with a warning.
pub(crate) fn check_content(
    rules: &ProviderRules,
    rule: &PurposeRule,
    format: &FormatRule,
    filename: &str,
    prefix: &[u8],
    complete: bool,
) -> Result<Vec<UploadWarning>, ValidationError> {
    let mismatch = |seen: Sniffed| {
        let fix = match &seen {
            Sniffed::Formats(found) if found.len() == 1 => format!(
                "give it the extension .{} if that is what it is, else export it again",
                found[0].extensions[0]
            ),
            Sniffed::Html => {
                "it is probably an error page saved in place of the file: download it again"
                    .to_owned()
            }
            _ if format.content == ContentRule::JsonLines => {
                "JSON Lines is UTF-8 text, one JSON object a line".to_owned()
            }
            _ if !matches!(format.content, ContentRule::Signatures(_)) => {
                "check that it is text, saved as UTF-8".to_owned()
            }
            _ => "check that it was exported in this format and saved whole".to_owned(),
        };
        ValidationError::new(
            "file",
            format!("`{filename}`"),
            format!(
                "its name says {} but its first bytes say {}: {fix}",
                format.describe(),
                seen.describe()
            ),
        )
        .with_kind(RuleKind::ContentMismatch)
    };
    let text = text_kind(prefix, complete);
    match format.content {
        ContentRule::Signatures(signatures) => {
            let shortest = signatures.iter().map(|s| s.end()).min().unwrap_or(0);
            if prefix.len() < shortest && !complete {
                return Ok(Vec::new()); // Too few bytes to decide.
            }
            if !signatures.iter().any(|s| s.matches(prefix)) {
                return Err(mismatch(sniff(prefix, complete)));
            }
        }
        ContentRule::Text => match text {
            TextKind::Utf8 => {}
            // Not UTF-8, and starting like a binary format: that format, not text.
            TextKind::OtherEncoding if matches!(sniff(prefix, complete), Sniffed::Formats(_)) => {
                return Err(mismatch(sniff(prefix, complete)));
            }
            TextKind::Utf16 | TextKind::OtherEncoding => {
                let encoding = match text {
                    TextKind::Utf16 => "UTF-16 text",
                    _ => "text in an encoding other than UTF-8 (GBK or Latin-1, say)",
                };
                return Ok(vec![UploadWarning {
                    kind: WarningKind::TextEncoding,
                    message: format!(
                        "`{filename}` is {encoding}; it is uploaded, but {} may misread its \
                         characters: save it as UTF-8 to be sure",
                        rules.provider
                    ),
                }]);
            }
            TextKind::Binary => return Err(mismatch(sniff(prefix, complete))),
        },
        ContentRule::JsonLines => match text {
            TextKind::Utf8 => check_json_lines(rule, filename, prefix, complete)?,
            _ => return Err(mismatch(sniff(prefix, complete))),
        },
    }
    Ok(Vec::new())
}

/// Checks that each complete line of `prefix` is a JSON object.
fn check_json_lines(
    rule: &PurposeRule,
    filename: &str,
    prefix: &[u8],
    complete: bool,
) -> Result<(), ValidationError> {
    let text = match std::str::from_utf8(prefix) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or_default(),
    };
    // A byte-order mark, as some editors write, is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if !complete {
        lines.pop(); // The last line may go on past the prefix.
    }
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let problem = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(_)) => continue,
            Ok(_) => "it is JSON, but not an object".to_owned(),
            Err(e) => e.to_string(),
        };
        let shown: String = line
            .chars()
            .take(40)
            .flat_map(char::escape_default)
            .collect();
        return Err(ValidationError::new(
            "file",
            format!("`{filename}`"),
            format!(
                "purpose `{}` needs JSON Lines, one JSON object per line, but line {} is not \
                 one ({problem}): `{shown}`; fix that line (a CSV or a pretty-printed JSON file \
                 must be converted)",
                rule.name,
                index + 1
            ),
        )
        .with_kind(RuleKind::NotJsonLines));
    }
    Ok(())
}
