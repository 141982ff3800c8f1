//! `Range` requests on content: which bytes to send, as RFC 9110 §14 says.
//!
//! One range only (`bytes=N-`, `bytes=N-M`, `bytes=-S`); a multi-range or malformed header
//! is ignored and the whole content sent, as the RFC allows. An `If-Range` that does not
//! match the current validator also gets the whole content.

/// What to send for a content request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// `200` with everything.
    Full,
    /// `206` with bytes `start..=end`.
    Partial {
        /// The first byte.
        start: u64,
        /// The last byte (inclusive).
        end: u64,
    },
    /// `416`: the range starts at or past the end.
    Unsatisfiable,
}

/// The answer to `range` (the `Range` header's value, if any) for content of `len` bytes
/// whose validators are `etag` and `last_modified`, given the request's `if_range`.
pub(crate) fn answer(
    range: Option<&str>,
    if_range: Option<&str>,
    len: u64,
    etag: &str,
    last_modified: &str,
) -> RangeAnswer {
    let Some(range) = range else {
        return RangeAnswer::Full;
    };
    if let Some(validator) = if_range.map(str::trim)
        && validator != etag
        && validator != last_modified
    {
        return RangeAnswer::Full;
    }
    // Range units are case-insensitive (RFC 9110 §14.1).
    let range = range.trim();
    let Some(spec) = range
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| &range[6..])
    else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // `bytes=-S`: the last S bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(suffix) if len > 0 => RangeAnswer::Partial {
                start: len.saturating_sub(suffix),
                end: len - 1,
            },
            Some(_) => RangeAnswer::Unsatisfiable,
            None => RangeAnswer::Full,
        },
        // `bytes=N-` or `bytes=N-M`.
        (false, open) => {
            let Some(start) = number(first) else {
                return RangeAnswer::Full;
            };
            let end = if open { Some(u64::MAX) } else { number(last) };
            match end {
                None => RangeAnswer::Full,
                Some(end) if end < start => RangeAnswer::Full,
                Some(_) if start >= len => RangeAnswer::Unsatisfiable,
                Some(end) => RangeAnswer::Partial {
                    start,
                    end: end.min(len - 1),
                },
            }
        }
        (true, true) => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(range: &str) -> RangeAnswer {
        answer(Some(range), None, 10, "\"e\"", "d")
    }

    #[test]
    fn single_ranges_are_served() {
        assert_eq!(of("bytes=3-"), RangeAnswer::Partial { start: 3, end: 9 });
        assert_eq!(of("bytes=3-5"), RangeAnswer::Partial { start: 3, end: 5 });
        assert_eq!(of("bytes=3-50"), RangeAnswer::Partial { start: 3, end: 9 });
        assert_eq!(of("bytes=-4"), RangeAnswer::Partial { start: 6, end: 9 });
        assert_eq!(of("bytes=-40"), RangeAnswer::Partial { start: 0, end: 9 });
        assert_eq!(of("bytes=9-"), RangeAnswer::Partial { start: 9, end: 9 });
        assert_eq!(of("Bytes=3-5"), RangeAnswer::Partial { start: 3, end: 5 });
    }

    #[test]
    fn past_the_end_is_unsatisfiable() {
        assert_eq!(of("bytes=10-"), RangeAnswer::Unsatisfiable);
        assert_eq!(of("bytes=-0"), RangeAnswer::Unsatisfiable);
        assert_eq!(
            answer(Some("bytes=0-"), None, 0, "e", "d"),
            RangeAnswer::Unsatisfiable
        );
    }

    #[test]
    fn anything_else_gets_everything() {
        for header in [
            "bytes=1-2,4-5",
            "items=1-2",
            "bytes=5-3",
            "bytes=a-",
            "bytes=-",
        ] {
            assert_eq!(of(header), RangeAnswer::Full, "{header}");
        }
        assert_eq!(answer(None, None, 10, "e", "d"), RangeAnswer::Full);
    }

    #[test]
    fn if_range_must_match_a_validator() {
        let range = Some("bytes=3-");
        let partial = RangeAnswer::Partial { start: 3, end: 9 };
        assert_eq!(answer(range, Some("\"e\""), 10, "\"e\"", "d"), partial);
        assert_eq!(answer(range, Some("d"), 10, "\"e\"", "d"), partial);
        assert_eq!(
            answer(range, Some("\"other\""), 10, "\"e\"", "d"),
            RangeAnswer::Full
        );
    }
}
