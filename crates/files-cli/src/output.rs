//! How files and listings are printed.

use files_client::FileObject;

/// One line describing a file.
pub fn file_line(file: &FileObject) -> String {
    let mut line = format!(
        "{}  {:>12} bytes  {:<14} {}",
        file.id,
        group_digits(file.bytes),
        file.purpose.as_str(),
        file.filename
    );
    if let Some(status) = &file.status {
        line.push_str(&format!("  [{status}]"));
    }
    if let Some(expires) = file.expires_at {
        line.push_str(&format!("  expires at {expires}"));
    }
    line
}

/// Every field of a file, one per line.
pub fn file_details(file: &FileObject) -> String {
    let mut out = format!(
        "id:          {}\nfilename:    {}\nbytes:       {}\npurpose:     {}\ncreated_at:  {}",
        file.id, file.filename, file.bytes, file.purpose, file.created_at
    );
    if let Some(status) = &file.status {
        out.push_str(&format!("\nstatus:      {status}"));
    }
    if let Some(expires) = file.expires_at {
        out.push_str(&format!("\nexpires_at:  {expires}"));
    }
    if let Some(details) = &file.status_details {
        out.push_str(&format!("\ndetails:     {details}"));
    }
    out
}

/// `text` with its control characters (an escape sequence, a line break) shown as escapes,
/// so text that came from a file name or a server cannot steer the terminal.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
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
}
