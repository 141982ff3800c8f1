//! OpenAI's Uploads API, for files too large for `POST /files` (up to 8 GB): an [`Upload`] is
//! created with the file's size, takes parts of at most 64 MB (in parallel, in any order), and
//! becomes a [`FileObject`](crate::FileObject) when completed with its part ids in file
//! order (and, optionally, the file's MD5).
//!
//! The whole flow is one machine, [`UploadInParts`](crate::ops::UploadInParts): it plans the
//! parts, keeps a number of them in flight, reads the file once more for its
//! MD5 alongside them, retries each part on its own, cancels the Upload when a part fails for
//! good, and resumes an Upload that an earlier run left open ([`ResumeFrom`]). The four
//! requests are also exchanges of their own, for callers who drive the steps.
//!
//! ```
//! use files_core::uploads::PartOptions;
//! // 4 MiB parts, where the provider allows up to 64 MiB; 65 MiB is too large.
//! let part_size = PartOptions::new().part_size(4 << 20).resolve_part_size(64 << 20)?;
//! assert_eq!(part_size, 4 << 20);
//! assert!(PartOptions::new().part_size(65 << 20).resolve_part_size(64 << 20).is_err());
//! # Ok::<(), files_core::ValidationError>(())
//! ```

pub(crate) mod part_range;
mod plan;
mod upload_objects;

pub use crate::error::{UploadAfterFailure, UploadFailure, UploadStep};
pub use part_range::PartRange;

pub(crate) use plan::PartPlan;
pub use plan::{
    DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT, MAX_PARTS_IN_FLIGHT, PartOptions, ResumeFrom,
    SentPart,
};
pub use upload_objects::{Upload, UploadPart, UploadStatus};

use crate::error::ValidationError;
use crate::purpose::Purpose;

/// What creating an Upload declares: the file's name, purpose, exact size and MIME type, and
/// an optional expiry of the file it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewUpload {
    /// The file's name.
    pub filename: String,
    /// What the file is for.
    pub purpose: Purpose,
    /// Its exact size in bytes: the parts must add up to it.
    pub bytes: u64,
    /// Its MIME type, e.g. `application/jsonl`.
    pub mime_type: String,
    /// Seconds after creation at which the file expires.
    pub expires_after: Option<u64>,
}

impl NewUpload {
    /// An Upload of `bytes` bytes named `filename`.
    pub fn new(
        filename: impl Into<String>,
        purpose: Purpose,
        bytes: u64,
        mime_type: impl Into<String>,
    ) -> Self {
        NewUpload {
            filename: filename.into(),
            purpose,
            bytes,
            mime_type: mime_type.into(),
            expires_after: None,
        }
    }

    /// Sets the expiry of the file the Upload becomes.
    pub fn with_expires_after(mut self, seconds: Option<u64>) -> Self {
        self.expires_after = seconds;
        self
    }

    /// Checks what no rule table covers: a name and a MIME type that can be sent.
    pub fn check(&self) -> Result<(), ValidationError> {
        if self.filename.trim().is_empty() {
            return Err(ValidationError::new(
                "file name",
                "\"\"",
                "must not be empty",
            ));
        }
        if self.mime_type.is_empty() || self.mime_type.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "content type",
                format!("{:?}", self.mime_type),
                "must be a MIME type such as application/jsonl, without line breaks",
            ));
        }
        Ok(())
    }
}

/// What an [`Observer`](crate::Observer) hears when an upload in parts has its Upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadStarted {
    /// The Upload's id.
    pub upload_id: String,
    /// When it expires, in Unix seconds, if known.
    pub expires_at: Option<u64>,
    /// The file's size.
    pub len: u64,
    /// The size of every part but the last.
    pub part_size: u64,
    /// Whether it was resumed rather than created.
    pub resumed: bool,
}

impl UploadStarted {
    /// An Upload `upload_id` for a file of `len` bytes in parts of `part_size`, created (not
    /// resumed), with no known expiry.
    pub fn new(upload_id: impl Into<String>, len: u64, part_size: u64) -> Self {
        UploadStarted {
            upload_id: upload_id.into(),
            expires_at: None,
            len,
            part_size,
            resumed: false,
        }
    }
}

/// The progress of one part, as an [`Observer`](crate::Observer) hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartProgress {
    /// Its place in the file, from 1.
    pub number: usize,
    /// How many parts the file has.
    pub count: usize,
    /// Its bytes.
    pub range: PartRange,
    /// How many of them went out in the current attempt.
    pub sent: u64,
}

impl PartProgress {
    /// Part `number` of `count`, holding `range`, with nothing sent yet.
    pub fn new(number: usize, count: usize, range: PartRange) -> Self {
        PartProgress {
            number,
            count,
            range,
            sent: 0,
        }
    }
}
