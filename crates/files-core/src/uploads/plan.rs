//! How a file is cut into parts: [`PartOptions`] (the caller's choices), [`PartPlan`] (the
//! parts still to send, in file order) and [`SentPart`] / [`ResumeFrom`] (what an earlier
//! run already sent).

use super::part_range::PartRange;
use crate::error::ValidationError;
use crate::rules::{RuleKind, size_label};

/// The part size used when the caller names none: 64 MiB, OpenAI's largest part.
pub const DEFAULT_PART_SIZE: u64 = 64 << 20;

/// How many parts are sent at once when the caller names no number.
pub const DEFAULT_PARTS_IN_FLIGHT: usize = 4;

/// The most parts in flight a caller may ask for.
pub const MAX_PARTS_IN_FLIGHT: usize = 64;

/// How an upload through the Uploads API is cut and sent.
///
/// ```
/// use files_core::uploads::PartOptions;
/// let options = PartOptions::new().part_size(8 << 20).in_flight(2).md5(false);
/// assert_eq!(options.part_size_value(), Some(8 << 20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartOptions {
    part_size: Option<u64>,
    in_flight: usize,
    md5: bool,
}

impl Default for PartOptions {
    fn default() -> Self {
        PartOptions::new()
    }
}

impl PartOptions {
    /// The defaults: the provider's largest part (64 MiB on OpenAI), 4 in flight, and the
    /// file's MD5 sent with the completion.
    pub const fn new() -> Self {
        PartOptions {
            part_size: None,
            in_flight: DEFAULT_PARTS_IN_FLIGHT,
            md5: true,
        }
    }

    /// Sets the size of every part but the last, in bytes.
    pub const fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = Some(bytes);
        self
    }

    /// Sets how many parts are sent at once (1 sends them one after another).
    pub const fn in_flight(mut self, parts: usize) -> Self {
        self.in_flight = parts;
        self
    }

    /// Sets whether the file's MD5 is computed (one more read of the file, alongside the
    /// parts) and sent with the completion, for the server to check.
    pub const fn md5(mut self, yes: bool) -> Self {
        self.md5 = yes;
        self
    }

    /// The part size asked for, if any.
    pub const fn part_size_value(&self) -> Option<u64> {
        self.part_size
    }

    /// How many parts are sent at once.
    pub const fn in_flight_value(&self) -> usize {
        self.in_flight
    }

    /// Whether the MD5 is sent.
    pub const fn md5_value(&self) -> bool {
        self.md5
    }

    /// The part size to use under a provider whose parts hold at most `max_part` bytes:
    /// the one asked for, checked, or `max_part` capped at [`DEFAULT_PART_SIZE`].
    pub fn resolve_part_size(&self, max_part: u64) -> Result<u64, ValidationError> {
        let Some(size) = self.part_size else {
            return Ok(max_part.min(DEFAULT_PART_SIZE));
        };
        if size == 0 {
            return Err(ValidationError::new(
                "part size",
                "0",
                "must be at least 1 byte; e.g. 8MiB",
            )
            .with_kind(RuleKind::Input));
        }
        if size > max_part {
            return Err(ValidationError::new(
                "part size",
                size_label(size),
                format!(
                    "a part holds at most {} ({max_part} bytes); choose a smaller part size",
                    size_label(max_part)
                ),
            )
            .with_limit(max_part.to_string())
            .with_kind(RuleKind::FileTooLarge));
        }
        Ok(size)
    }

    /// Checks the number in flight.
    pub fn check_in_flight(&self) -> Result<(), ValidationError> {
        if (1..=MAX_PARTS_IN_FLIGHT).contains(&self.in_flight) {
            return Ok(());
        }
        Err(ValidationError::new(
            "parts in flight",
            self.in_flight.to_string(),
            format!("must be between 1 and {MAX_PARTS_IN_FLIGHT}"),
        )
        .with_limit(format!("1..={MAX_PARTS_IN_FLIGHT}")))
    }
}

/// A part the server has taken: its id and its range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPart {
    /// The server's id for it (`part_…`).
    pub id: String,
    /// The bytes it holds.
    pub range: PartRange,
}

/// What an earlier run left: an Upload still open and the parts it already took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeFrom {
    /// The Upload's id (`upload_…`).
    pub upload_id: String,
    /// When it expires, in Unix seconds, if known: past it, nothing is sent and the error
    /// says the Upload expired.
    pub expires_at: Option<u64>,
    /// The parts it took, in any order.
    pub sent: Vec<SentPart>,
}

impl ResumeFrom {
    /// Resumes the Upload `upload_id`, which has taken `sent`.
    pub fn new(upload_id: impl Into<String>, sent: Vec<SentPart>) -> Self {
        ResumeFrom {
            upload_id: upload_id.into(),
            expires_at: None,
            sent,
        }
    }

    /// Sets when the Upload expires, in Unix seconds.
    pub fn with_expires_at(mut self, expires_at: Option<u64>) -> Self {
        self.expires_at = expires_at;
        self
    }
}

/// The parts of a file of `len` bytes still to send: the gaps the parts already sent leave,
/// each cut into pieces of at most `part_size` bytes, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPlan {
    len: u64,
    to_send: Vec<PartRange>,
}

impl PartPlan {
    /// Plans a file of `len` bytes around the parts in `sent`, which must lie within the file
    /// and not overlap.
    pub fn new(len: u64, part_size: u64, sent: &[SentPart]) -> Result<Self, ValidationError> {
        let part_size = part_size.max(1);
        let mut taken: Vec<PartRange> = sent.iter().map(|p| p.range).collect();
        taken.sort_by_key(|r| r.offset);
        let mut to_send = Vec::new();
        let mut at = 0;
        for range in taken.iter().chain(std::iter::once(&PartRange {
            offset: len,
            len: 0,
        })) {
            if range.offset < at || range.end() > len || (range.len == 0 && range.offset != len) {
                return Err(ValidationError::new(
                    "parts already sent",
                    format!("bytes {}..{}", range.offset, range.end()),
                    format!(
                        "do not fit a file of {len} bytes without overlapping: the file changed \
                         or the record of the parts is wrong; start the upload again"
                    ),
                ));
            }
            while at < range.offset {
                let piece = (range.offset - at).min(part_size);
                to_send.push(PartRange {
                    offset: at,
                    len: piece,
                });
                at += piece;
            }
            at = range.end();
        }
        Ok(PartPlan { len, to_send })
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The parts still to send, in file order.
    pub fn to_send(&self) -> &[PartRange] {
        &self.to_send
    }

    /// The bytes the parts already sent hold.
    pub fn already_sent(&self) -> u64 {
        self.len - self.to_send.iter().map(|r| r.len).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sent(offset: u64, len: u64) -> SentPart {
        SentPart {
            id: format!("part_{offset}"),
            range: PartRange { offset, len },
        }
    }

    #[test]
    fn a_file_is_cut_into_equal_parts_and_a_shorter_last() {
        let plan = PartPlan::new(10, 4, &[]).unwrap();
        let lens: Vec<_> = plan.to_send().iter().map(|r| (r.offset, r.len)).collect();
        assert_eq!(lens, [(0, 4), (4, 4), (8, 2)]);
    }

    #[test]
    fn parts_already_sent_leave_gaps_to_fill() {
        let plan = PartPlan::new(12, 4, &[sent(4, 4)]).unwrap();
        let lens: Vec<_> = plan.to_send().iter().map(|r| (r.offset, r.len)).collect();
        assert_eq!(lens, [(0, 4), (8, 4)]);
        assert_eq!(plan.already_sent(), 4);
    }

    #[test]
    fn overlapping_or_outlying_parts_are_refused() {
        assert!(PartPlan::new(12, 4, &[sent(0, 4), sent(2, 4)]).is_err());
        let err = PartPlan::new(6, 4, &[sent(4, 4)]).unwrap_err();
        assert!(err.to_string().contains("the file changed"), "{err}");
    }

    #[test]
    fn a_part_size_over_the_limit_is_refused_and_the_default_is_the_limit() {
        assert_eq!(
            PartOptions::new().resolve_part_size(64 << 20).unwrap(),
            64 << 20
        );
        assert_eq!(
            PartOptions::new().resolve_part_size(1 << 20).unwrap(),
            1 << 20
        );
        let err = PartOptions::new()
            .part_size(65 << 20)
            .resolve_part_size(64 << 20)
            .unwrap_err();
        assert_eq!(err.kind, RuleKind::FileTooLarge);
        assert!(err.to_string().contains("at most 64 MB"), "{err}");
        assert!(
            PartOptions::new()
                .part_size(0)
                .resolve_part_size(10)
                .is_err()
        );
        assert!(PartOptions::new().in_flight(0).check_in_flight().is_err());
    }

    proptest! {
        #[test]
        fn the_plan_and_the_sent_parts_cover_the_file_once(
            len in 1u64..10_000,
            part_size in 1u64..3_000,
            cuts in proptest::collection::vec(0u64..10_000, 0..8),
        ) {
            // Sent parts: every other gap between sorted cut points.
            let mut points: Vec<u64> = cuts.into_iter().map(|c| c % len).collect();
            points.push(0);
            points.push(len);
            points.sort();
            points.dedup();
            let sent_parts: Vec<_> = points
                .windows(2)
                .step_by(2)
                .map(|w| sent(w[0], w[1] - w[0]))
                .collect();
            let plan = PartPlan::new(len, part_size, &sent_parts).unwrap();
            let mut all: Vec<PartRange> = plan.to_send().to_vec();
            prop_assert!(all.iter().all(|r| r.len >= 1 && r.len <= part_size));
            all.extend(sent_parts.iter().map(|p| p.range));
            all.sort_by_key(|r| r.offset);
            let mut at = 0;
            for r in &all {
                prop_assert_eq!(r.offset, at);
                at = r.end();
            }
            prop_assert_eq!(at, len);
        }
    }
}
