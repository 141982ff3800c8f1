//! [`Purpose`] and [`FileStatus`]: open vocabularies shared by both providers.

use crate::open_string::open_string;

open_string! {
    /// What a file is for. The two providers' vocabularies do not overlap; both are here as
    /// constants, and any other value the server sends deserializes and round-trips.
    ///
    /// ```
    /// use files_core::Purpose;
    /// assert_eq!(Purpose::new("batch"), Purpose::BATCH);
    /// assert!(!Purpose::new("something-new").is_known());
    /// ```
    Purpose {
        /// OpenAI: files for assistants and file search.
        ASSISTANTS = "assistants",
        /// OpenAI: files written by assistants (responses only).
        ASSISTANTS_OUTPUT = "assistants_output",
        /// OpenAI: Batch API input (`.jsonl`, at most 200 MB).
        BATCH = "batch",
        /// OpenAI: Batch API output (responses only).
        BATCH_OUTPUT = "batch_output",
        /// OpenAI: fine-tuning data (`.jsonl`).
        FINE_TUNE = "fine-tune",
        /// OpenAI: fine-tuning results (responses only).
        FINE_TUNE_RESULTS = "fine-tune-results",
        /// OpenAI: images for vision fine-tuning.
        VISION = "vision",
        /// OpenAI: flexible user data.
        USER_DATA = "user_data",
        /// OpenAI: evaluation data sets.
        EVALS = "evals",
        /// StepFun: images, video and audio for understanding and voice cloning (128 MB).
        STORAGE = "storage",
        /// StepFun: documents whose text is extracted (64 MB).
        FILE_EXTRACT = "file-extract",
        /// StepFun: documents for a text knowledge base (64 MB).
        RETRIEVAL_TEXT = "retrieval-text",
        /// StepFun: images for an image knowledge base (64 MB).
        RETRIEVAL_IMAGE = "retrieval-image",
        /// StepFun: the deprecated predecessor of `retrieval-text`, seen in old listings.
        RETRIEVAL = "retrieval",
    }
}

open_string! {
    /// A file's processing status. Optional and deprecated on OpenAI; StepFun sends
    /// `processed` or `success`, or nothing.
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
