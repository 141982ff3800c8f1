//! [`AsyncUploads`]: the Uploads API of an [`AsyncClient`], for files up to 8 GB.

use files_core::extend::body::PathRange;
use files_core::extend::ops::{AddPart, Exchange, Operation, UploadInParts};
use files_core::uploads::{NewUpload, PartOptions, ResumeFrom, Upload, UploadPart};
use files_core::{FileObject, RequestOptions, Result, UploadRequest};

use super::AsyncClient;

/// The Uploads API of an [`AsyncClient`] (OpenAI): a large file (a local one, bytes, or a reader or stream of known length) sent in parts, side by side,
/// or the four steps one at a time. `client.files().create(..)` goes this way by itself for a
/// file over the provider's `POST /files` limit.
#[derive(Debug, Clone)]
pub struct AsyncUploads<'a> {
    pub(super) client: &'a AsyncClient,
    pub(super) options: RequestOptions,
}

impl AsyncUploads<'_> {
    /// The same API with `options` over the client's, for the calls made through it.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    async fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        self.client
            .driver
            .run(&mut op)
            .await
            .map(|(output, _)| output)
    }

    /// Sends a file in parts as `parts` says — `parts.in_flight` of them at once, each a task
    /// of its own on the runtime (aborted if this future is dropped), read straight from the
    /// file (bytes: slices of them; a reader or stream: cut into parts as it is read, each
    /// held until the server takes it) — and completes the Upload with the file's MD5;
    /// returns the file it became. A part that still fails after its retries
    /// cancels the Upload, and the error ([`Error::Upload`](files_core::Error::Upload)) names
    /// the part and the cause.
    ///
    /// Dropping the future (a timeout, a `select!`) stops at once: the parts under way are
    /// aborted, no further part is sent, and the Upload is left open — neither completed nor
    /// cancelled — so [`resume`](Self::resume) can finish it, or it expires.
    pub async fn upload(&self, upload: UploadRequest, parts: PartOptions) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(UploadInParts::new(
            provider,
            &upload,
            parts,
            self.options.clone(),
        ))
        .await
    }

    /// Sends the rest of a file to an Upload an earlier run left open (`resume` lists the
    /// parts it took), then completes it. An Upload that has expired is reported as such.
    pub async fn resume(
        &self,
        upload: UploadRequest,
        parts: PartOptions,
        resume: ResumeFrom,
    ) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(UploadInParts::new(provider, &upload, parts, self.options.clone()).resume(resume))
            .await
    }

    /// Creates an Upload.
    pub async fn create(&self, upload: &NewUpload) -> Result<Upload> {
        let provider = &*self.client.provider;
        self.run(Exchange::create_upload(provider, upload, &self.options))
            .await
    }

    /// Adds `range` of a local file to an Upload as one part, streamed from disk.
    pub async fn add_part(&self, upload_id: &str, range: PathRange) -> Result<UploadPart> {
        let provider = self.client.provider.clone();
        self.run(AddPart::new(
            provider,
            upload_id,
            range,
            self.options.clone(),
        ))
        .await
    }

    /// Completes an Upload with its part ids in file order and, optionally, the MD5 of the
    /// whole file (hex); the answer holds the file it became.
    pub async fn complete(
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
        .await
    }

    /// Cancels an Upload: it takes no more parts.
    pub async fn cancel(&self, upload_id: &str) -> Result<Upload> {
        let provider = &*self.client.provider;
        self.run(Exchange::cancel_upload(provider, upload_id, &self.options))
            .await
    }
}
