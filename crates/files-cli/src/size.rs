//! Byte sizes as people type them: `1MiB`, `64MiB`, `8MB`, `512k`, `1048576`.

/// Parses a size: digits, optionally followed by a unit — `B`, `KiB`/`K`, `MiB`/`M`,
/// `GiB`/`G` (powers of 1024), or `KB`, `MB`, `GB` (powers of 1000); case does not matter.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let bad = || {
        format!(
            "`{text}` is not a size: write bytes (1048576) or a number with a unit, such as \
             512KiB, 8MiB, 64MiB, 1GiB or 100MB"
        )
    };
    let number: u64 = digits.parse().map_err(|_| bad())?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(bad()),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large a size"))
}

/// Parses `files demo --size`: a size of 1 byte or more. The most the demo takes is what the
/// provider accepts for the sample's purpose, checked by the demo before it writes anything.
pub fn parse_demo_size(text: &str) -> Result<u64, String> {
    match parse_size(text)? {
        0 => Err(
            "the demo uploads a sample file, which cannot be empty: give 1 byte or \
                  more, e.g. 1MiB"
                .to_owned(),
        ),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_as_people_write_them() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("64mib"), Ok(64 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("8MB"), Ok(8_000_000));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert!(parse_size("MiB").unwrap_err().contains("not a size"));
        assert!(parse_size("1.5MiB").is_err());
        assert!(
            parse_size("99999999999999GiB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn the_demo_size_is_bounded() {
        assert_eq!(parse_demo_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_demo_size("4GiB"), Ok(4 << 30));
        assert!(
            parse_demo_size("0")
                .unwrap_err()
                .contains("cannot be empty")
        );
        assert!(
            parse_demo_size("18446744073709551616")
                .unwrap_err()
                .contains("not a size")
        );
    }
}
