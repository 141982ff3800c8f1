//! How results are printed: for people (times in RFC 3339, sizes readable, server text with
//! its control characters escaped), as JSON lines for scripts, or as bare ids; and where logs
//! go (`-v`, `RUST_LOG`).

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use files_client::{DeletedFile, FileObject};
use indicatif::HumanBytes;
use serde::Serialize;

use crate::args::OutputArgs;
use crate::failure::{CliResult, Failure};

/// How the command prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Lines for people.
    Human,
    /// One JSON document per result, one per line.
    Json,
    /// Ids only.
    Quiet,
}

impl Mode {
    /// The mode the flags ask for.
    pub fn of(args: &OutputArgs) -> Mode {
        if args.json {
            Mode::Json
        } else if args.quiet {
            Mode::Quiet
        } else {
            Mode::Human
        }
    }
}

/// Writes `bytes` to standard output; a reader that went away is a quiet end, not a panic.
pub fn write_stdout(bytes: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Failure::from)
}

/// Prints one line to standard output.
pub fn line(text: &str) -> CliResult {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    write_stdout(&bytes)
}

/// Prints `value` as one line of JSON. serde_json escapes the C0 controls; DEL, the C1
/// controls and the bidirectional overrides are escaped here too (as `\u....`, which JSON
/// reads back as the same character), so no string in it can steer a terminal.
pub fn json(value: &impl Serialize) -> CliResult {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::local(format!("could not write JSON: {e}")))?;
    line(&json_safe(&text))
}

/// JSON text with DEL, the C1 controls and the bidirectional overrides written as `\u....`
/// (they can only occur inside its strings, where the escape means the same character).
fn json_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        if steers_terminal(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    safe
}

/// Writes a line to stderr; a closed stderr is ignored (there is nowhere left to say it).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Whether a character can move the cursor, retitle or clear a terminal, or reorder the text
/// around it: the control characters and the bidirectional embeddings, overrides and isolates.
pub fn steers_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Prints a file in the mode asked for: a line, a JSON document, or its id.
pub fn file(mode: Mode, file: &FileObject) -> CliResult {
    match mode {
        Mode::Human => line(&file_line(file)),
        Mode::Json => json(file),
        Mode::Quiet => line(&escape_controls(&file.id)),
    }
}

/// Prints a deleted file in the mode asked for.
pub fn deleted(mode: Mode, deleted: &DeletedFile) -> CliResult {
    match mode {
        Mode::Human => line(&format!(
            "{} {}",
            escape_controls(&deleted.id),
            if deleted.deleted {
                "deleted"
            } else {
                "NOT deleted (the server said deleted: false)"
            }
        )),
        Mode::Json => json(deleted),
        Mode::Quiet => line(&escape_controls(&deleted.id)),
    }
}

/// The first second RFC 3339 cannot write (year 10000).
const YEAR_10000: u64 = 253_402_300_800;

/// A time in Unix seconds as RFC 3339 in UTC, e.g. `2026-11-22T16:29:01Z`; a time past the
/// year 9999 (a server that sends milliseconds, say) as `@` and the number.
pub fn time(unix_seconds: u64) -> String {
    match UNIX_EPOCH.checked_add(Duration::from_secs(unix_seconds)) {
        Some(at) if unix_seconds < YEAR_10000 => humantime::format_rfc3339_seconds(at).to_string(),
        _ => format!("@{unix_seconds}"),
    }
}

/// A byte count for people: `512 B`, `1.50 MiB`.
pub fn size(bytes: u64) -> String {
    HumanBytes(bytes).to_string()
}

/// One line describing a file, every server string escaped.
pub fn file_line(file: &FileObject) -> String {
    let mut line = format!(
        "{}  {:>10}  {}  {:<14} {}",
        escape_controls(&file.id),
        size(file.bytes),
        time(file.created_at),
        escape_controls(file.purpose.as_str()),
        escape_controls(&file.filename)
    );
    if let Some(status) = &file.status {
        line.push_str(&format!("  [{}]", escape_controls(&status.to_string())));
    }
    if let Some(expires) = file.expires_at {
        line.push_str(&format!("  expires {}", time(expires)));
    }
    line
}

/// Every field of a file, one per line, every server string escaped.
pub fn file_details(file: &FileObject) -> String {
    let mut out = format!(
        "id:          {}\nfilename:    {}\nbytes:       {} ({})\npurpose:     {}\n\
         created_at:  {}",
        escape_controls(&file.id),
        escape_controls(&file.filename),
        group_digits(file.bytes),
        size(file.bytes),
        escape_controls(file.purpose.as_str()),
        time(file.created_at)
    );
    if let Some(status) = &file.status {
        out.push_str(&format!(
            "\nstatus:      {}",
            escape_controls(&status.to_string())
        ));
    }
    if let Some(expires) = file.expires_at {
        out.push_str(&format!("\nexpires_at:  {}", time(expires)));
    }
    if let Some(details) = &file.status_details {
        out.push_str(&format!("\ndetails:     {}", escape_controls(details)));
    }
    out
}

/// `text` with its control characters (an escape sequence, a line break) and bidirectional
/// overrides shown as escapes, so text that came from a file name or a server cannot steer
/// the terminal.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if steers_terminal(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `1234567` as `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Sends the library's tracing to stderr: `RUST_LOG` when set, else `-v` (debug) or `-vv`
/// (trace) for the client's crates, else nothing.
pub fn init_tracing(verbose: u8) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let crates = [
        "files_client",
        "files_core",
        "transport_ureq",
        "transport_reqwest",
        "files_emulator",
    ];
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => match spec.parse::<Targets>() {
            Ok(filter) => filter,
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: RUST_LOG={} is not understood ({e}); logging is off",
                    escape_controls(&spec)
                );
                return;
            }
        },
        _ => {
            let level = match verbose {
                0 => return,
                1 => tracing::Level::DEBUG,
                _ => tracing::Level::TRACE,
            };
            crates.iter().fold(Targets::new(), |targets, name| {
                targets.with_target(*name, level)
            })
        }
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(|| EscapedStderr)
                .with_ansi(false)
                .with_filter(filter),
        )
        .init();
}

/// Stderr for log lines: each event arrives as one write ending in a line break; any other
/// control character in it (a server's message with a line break, say) is escaped, so a log
/// line cannot be faked.
struct EscapedStderr;

impl Write for EscapedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (&*text, ""),
        };
        let _ = write!(std::io::stderr(), "{}{end}", escape_controls(body));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_048_576), "1,048,576");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\x1b]0;x\x07\nb é"),
            "a\\u{1b}]0;x\\u{7}\\nb é"
        );
    }

    #[test]
    fn terminal_steering_characters_are_escaped_in_json_too() {
        assert_eq!(escape_controls("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\u{9b}c");
        let value = serde_json::json!({"name": "x\u{7f}\u{9b}2J\u{202e}"});
        let text = serde_json::to_string(&value).unwrap();
        assert!(
            text.contains('\u{9b}'),
            "serde_json leaves C1 alone: {text}"
        );
        let safe = json_safe(&text);
        assert!(!safe.chars().any(steers_terminal), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value, "the JSON still reads back as sent");
    }

    #[test]
    fn times_are_rfc_3339_in_utc_and_sizes_readable() {
        assert_eq!(time(1_795_364_941_000), "@1795364941000", "milliseconds");
        assert_eq!(time(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(time(u64::MAX), format!("@{}", u64::MAX));
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_795_364_941), "2026-11-22T16:29:01Z");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(3 << 19), "1.50 MiB");
    }
}
