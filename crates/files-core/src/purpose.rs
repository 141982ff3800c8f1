//! [`Purpose`] and [`FileStatus`]: open vocabularies shared by both providers. The purposes
//! are generated from `spec/` (`known.rs`).

use crate::open_string::open_string;

#[rustfmt::skip]
mod known;

pub use known::Purpose;

open_string! {
    /// A file's processing status. Optional and deprecated on OpenAI; StepFun sends
    /// `processed` or `success`, or nothing; Moonshot `ok`.
    FileStatus {
        /// Uploaded, not yet processed (OpenAI).
        UPLOADED = "uploaded",
        /// Processed and ready.
        PROCESSED = "processed",
        /// Processing failed; see `status_details` (OpenAI).
        ERROR = "error",
        /// Ready (StepFun).
        SUCCESS = "success",
        /// Deleted while it was being processed (Azure OpenAI).
        DELETED = "deleted",
        /// Ready (Moonshot).
        OK = "ok",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values_map_to_their_constants() {
        for p in Purpose::KNOWN {
            assert_eq!(&Purpose::new(p.as_str()), p);
        }
        assert_eq!(Purpose::FINE_TUNE.as_str(), "fine-tune");
    }

    proptest! {
        #[test]
        fn any_purpose_round_trips_through_json(s in "\\PC{0,40}") {
            let p = Purpose::new(s.clone());
            let json = serde_json::to_string(&p).unwrap();
            let back: Purpose = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.as_str(), s.as_str());
        }
    }
}
