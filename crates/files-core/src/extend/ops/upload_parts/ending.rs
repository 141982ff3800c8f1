//! How an upload in parts ends: the Upload cancelled after a failure (unless it expired, or a
//! lost completion may have completed it), or the file a completed Upload became.

use std::time::UNIX_EPOCH;

use super::{State, UploadInParts};
use crate::error::{DecodeError, Error};
use crate::file_objects::FileObject;
use crate::ops::Now;
use crate::ops::exchange::Exchange;
use crate::uploads::{Upload, UploadAfterFailure, UploadFailure, UploadStatus, UploadStep};
use crate::wire::{build_cancel_upload, finish_json};

impl UploadInParts {
    /// Whether the Upload has expired at `now`.
    pub(super) fn expired(&self, now: Now) -> Option<u64> {
        let at = self.expires_at?;
        let wall = now.wall.duration_since(UNIX_EPOCH).ok()?.as_secs();
        (wall >= at).then_some(at)
    }

    /// Ends with `error` at `step`: cancels the Upload unless it expired (or never was).
    pub(super) fn failed(
        &mut self,
        upload_id: Option<String>,
        step: UploadStep,
        error: Error,
        now: Now,
    ) {
        let mut failure = UploadFailure {
            upload_id: upload_id.clone(),
            step,
            after: UploadAfterFailure::NotCreated,
            source: error,
        };
        let Some(upload_id) = upload_id else {
            self.state = State::Failed(failure.into());
            return;
        };
        if let Some(at) = self.expired(now) {
            failure.after = UploadAfterFailure::Expired { at };
            self.state = State::Failed(failure.into());
            return;
        }
        // A completion retried after an attempt with no answer, then refused: the first may
        // have completed the Upload. Cancelling would be refused, or worse, be wrong.
        if failure.step == UploadStep::Complete
            && failure.source.attempts().is_some_and(|n| n > 1)
            && failure
                .source
                .status()
                .is_some_and(|s| (400..500).contains(&s))
        {
            failure.after = UploadAfterFailure::MaybeCompleted;
            self.state = State::Failed(failure.into());
            return;
        }
        let exchange = Exchange::json(
            "uploads.cancel",
            self.provider.dialect(),
            build_cancel_upload(&*self.provider, &upload_id),
            decode_upload,
            &self.options,
        );
        self.state = State::Cancelling {
            failure: Box::new(failure),
            exchange: Box::new(exchange),
        };
    }
}

/// Decodes an Upload object.
pub(crate) fn decode_upload(
    _: &crate::dialect::Dialect,
    head: &http::response::Parts,
    body: &[u8],
) -> Result<Upload, Error> {
    finish_json(head, body, "an Upload object")
}

/// Whether two failures are the server's same refusal (an Upload it will take nothing for).
pub(super) fn same_refusal(a: &Error, b: &Error) -> bool {
    match (a, b) {
        (Error::Api(a), Error::Api(b)) => a.status == b.status && a.message == b.message,
        _ => false,
    }
}

/// The file a completed Upload became.
pub(super) fn completed_file(upload: Upload) -> Result<FileObject, Error> {
    match (upload.status == UploadStatus::COMPLETED, upload.file) {
        (true, Some(file)) => Ok(file),
        (_, file) => Err(DecodeError {
            expected: "a completed Upload holding its file".to_owned(),
            problem: format!(
                "says the status is `{}` and {} file",
                upload.status.as_str(),
                if file.is_some() { "has a" } else { "has no" }
            ),
            snippet: String::new(),
            status: 200,
            request_id: None,
        }
        .into()),
    }
}
