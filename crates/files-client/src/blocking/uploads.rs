//! [`Uploads`]: the Uploads API of a blocking [`Client`], for files up to 8 GB.

use files_core::extend::body::PathRange;
use files_core::extend::ops::{AddPart, Exchange, Operation, UploadInParts};
use files_core::uploads::{NewUpload, PartOptions, ResumeFrom, Upload, UploadPart};
use files_core::{FileObject, RequestOptions, Result, UploadRequest};

use super::Client;

/// The Uploads API of a [`Client`] (OpenAI): a large file (a local one, bytes, or a reader or stream of known length) sent in parts, side by side,
/// or the four steps one at a time. `client.files().create(..)` goes this way by itself for a
/// file over the provider's `POST /files` limit.
#[derive(Debug, Clone)]
pub struct Uploads<'a> {
    pub(super) client: &'a Client,
    pub(super) options: RequestOptions,
}

impl Uploads<'_> {
    /// The same API with `options` over the client's, for the calls made through it.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        self.client.driver.run(&mut op).map(|(output, _)| output)
    }

    /// Sends a file in parts as `parts` says — `parts.in_flight` of them at once, each on a
    /// thread of its own, read straight from the file (bytes: slices of them; a reader: cut
    /// into parts as it is read, each held until the server takes it) — and completes the
    /// Upload with the file's MD5; returns the file it became. A part that still fails after its retries
    /// cancels the Upload, and the error ([`Error::Upload`](files_core::Error::Upload)) names
    /// the part and the cause.
    pub fn upload(&self, upload: UploadRequest, parts: PartOptions) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(UploadInParts::new(
            provider,
            &upload,
            parts,
            self.options.clone(),
        ))
    }

    /// Sends the rest of a file to an Upload an earlier run left open (`resume` lists the
    /// parts it took), then completes it. An Upload that has expired is reported as such.
    pub fn resume(
        &self,
        upload: UploadRequest,
        parts: PartOptions,
        resume: ResumeFrom,
    ) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(UploadInParts::new(provider, &upload, parts, self.options.clone()).resume(resume))
    }

    /// Creates an Upload.
    pub fn create(&self, upload: &NewUpload) -> Result<Upload> {
        let provider = &*self.client.provider;
        self.run(Exchange::create_upload(provider, upload, &self.options))
    }

    /// Adds `range` of a local file to an Upload as one part, streamed from disk.
    pub fn add_part(&self, upload_id: &str, range: PathRange) -> Result<UploadPart> {
        let provider = self.client.provider.clone();
        self.run(AddPart::new(
            provider,
            upload_id,
            range,
            self.options.clone(),
        ))
    }

    /// Completes an Upload with its part ids in file order and, optionally, the MD5 of the
    /// whole file (hex); the answer holds the file it became.
    pub fn complete(
        &self,
        upload_id: &str,
        part_ids: &[String],
        md5: Option<&str>,
    ) -> Result<Upload> {
        let provider = &*self.client.provider;
        self.run(Exchange::complete_upload(
            provider,
            upload_id,
            part_ids,
            md5,
            &self.options,
        ))
    }

    /// Cancels an Upload: it takes no more parts.
    pub fn cancel(&self, upload_id: &str) -> Result<Upload> {
        let provider = &*self.client.provider;
        self.run(Exchange::cancel_upload(provider, upload_id, &self.options))
    }
}
