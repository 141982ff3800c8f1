//! [`UploadFailure`]: an upload through the Uploads API that did not complete, with the step
//! that failed and what became of the Upload.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use super::Error;
use crate::uploads::part_range::PartRange;

/// The step of an upload in parts that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadStep {
    /// Creating the Upload.
    Create,
    /// Resuming an Upload an earlier run left open.
    Resume,
    /// Sending a part.
    Part {
        /// Its place in the file, from 1.
        number: usize,
        /// How many parts the file has.
        count: usize,
        /// Its bytes.
        range: PartRange,
    },
    /// Reading the file for its MD5.
    Digest,
    /// Completing the Upload.
    Complete,
}

/// What became of the Upload after the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadAfterFailure {
    /// It was cancelled: nothing is left open on the server.
    Cancelled,
    /// Cancelling it failed too (the message says why): it may stay open until it expires.
    CancelFailed(String),
    /// It had expired: nothing can be added to it; start again with a new Upload.
    Expired {
        /// When it expired, in Unix seconds.
        at: u64,
    },
    /// There was none yet (creating it failed).
    NotCreated,
    /// The server refused the cancel with the same answer as the failed step: it takes
    /// nothing more for this Upload (expired, cancelled or completed by its own clock or
    /// another client).
    NotOpen,
    /// The completion was sent more than once and the last answer refused it: an earlier
    /// one may have completed the Upload, so it was not cancelled; look for the file before
    /// uploading again.
    MaybeCompleted,
}

/// An upload in parts that failed: which step, which Upload, what became of it, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub struct UploadFailure {
    /// The Upload's id, once created.
    pub upload_id: Option<String>,
    /// The step that failed.
    pub step: UploadStep,
    /// What became of the Upload.
    pub after: UploadAfterFailure,
    /// Why the step failed.
    #[source]
    pub source: Error,
}

impl fmt::Display for UploadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let upload = self
            .upload_id
            .as_deref()
            .map_or_else(String::new, |id| format!(" of Upload {id}"));
        match &self.step {
            UploadStep::Create => write!(f, "could not create the Upload")?,
            UploadStep::Resume => write!(f, "could not resume the upload{upload}")?,
            UploadStep::Part {
                number,
                count,
                range,
            } => write!(
                f,
                "part {number} of {count} (bytes {}..{}){upload} failed",
                range.offset,
                range.end()
            )?,
            UploadStep::Digest => write!(f, "reading the file for its MD5{upload} failed")?,
            UploadStep::Complete => write!(f, "completing the upload{upload} failed")?,
        }
        write!(f, ": {}", self.source)?;
        match &self.after {
            UploadAfterFailure::Cancelled => write!(f, "; the Upload was cancelled"),
            UploadAfterFailure::CancelFailed(why) => {
                write!(f, "; cancelling the Upload failed too: {why}")
            }
            UploadAfterFailure::Expired { at } => write!(
                f,
                "; the Upload expired at {} (an Upload stays open for a limited time after it \
                 is created): upload the file again from the start",
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(*at))
            ),
            UploadAfterFailure::NotCreated => Ok(()),
            UploadAfterFailure::NotOpen => write!(
                f,
                "; the server refused to cancel it with the same answer, so it takes nothing \
                 more (it expired, was cancelled or was completed): upload the file again from \
                 the start"
            ),
            UploadAfterFailure::MaybeCompleted => write!(
                f,
                "; the completion was sent more than once, and an earlier one may have \
                 completed the Upload, so it was not cancelled: look for the file (list the \
                 files of this purpose) before uploading it again"
            ),
        }
    }
}

impl UploadFailure {
    /// Whether the Upload had expired.
    pub fn expired(&self) -> bool {
        matches!(self.after, UploadAfterFailure::Expired { .. })
    }

    /// Whether the Upload is over: nothing more can be added to it (cancelled, expired, or
    /// refusing everything), or it may have completed. Resuming it cannot help.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.after,
            UploadAfterFailure::CancelFailed(_) | UploadAfterFailure::NotCreated
        )
    }
}
