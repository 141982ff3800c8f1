//! [`Api`]: one client, blocking or async, behind the operations the commands use. Each
//! method only dispatches: the operations themselves are the clients'.

use std::io::Write;
use std::path::Path;

use files_client::{
    AsyncClient, Client, DeletedFile, Error, FileList, FileObject, ListParams, NewUpload,
    PartOptions, Polling, Provider, RequestOptions, ResumeFrom, StdFiles, TokioFiles, Upload,
    UploadRequest,
};
use files_io::local::{AsyncLocalFiles, LocalFiles};
use futures_util::StreamExt;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

/// A provider chosen at run time.
pub type DynProvider = Box<dyn Provider>;

/// A Files API client over the transport the user picked.
pub enum Api {
    /// Blocking, over ureq.
    Blocking(Client),
    /// Async over reqwest, driven by a runtime of its own.
    Async(AsyncClient, tokio::runtime::Runtime),
}

impl Api {
    /// A blocking client over a [`UreqTransport`] with the default roots (and
    /// `SSL_CERT_FILE`).
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` names a file that cannot be used.
    pub fn blocking(
        provider: DynProvider,
        options: RequestOptions,
    ) -> Result<Self, files_client::TransportError> {
        let transport = UreqTransport::new()?;
        Ok(Api::blocking_with_files(
            provider, options, StdFiles, transport,
        ))
    }

    /// A blocking client over `transport` whose local files (an upload's source, a
    /// download's temporary file) go through `files`.
    pub fn blocking_with_files(
        provider: DynProvider,
        options: RequestOptions,
        files: impl LocalFiles + 'static,
        transport: UreqTransport,
    ) -> Self {
        let client = Client::new(provider, transport)
            .with_options(options)
            .with_local_files(files);
        Api::Blocking(client)
    }

    /// An async client over a [`ReqwestTransport`] with the default roots (and
    /// `SSL_CERT_FILE`), with a runtime to drive it.
    pub fn with_async(
        provider: DynProvider,
        options: RequestOptions,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let transport = ReqwestTransport::new()?;
        Api::async_with_files(provider, options, TokioFiles, transport)
    }

    /// An async client over `transport` with a runtime to drive it, whose local files go
    /// through `files`.
    pub fn async_with_files(
        provider: DynProvider,
        options: RequestOptions,
        files: impl AsyncLocalFiles + 'static,
        transport: ReqwestTransport,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let client = AsyncClient::new(provider, transport)
            .with_options(options)
            .with_local_files(files);
        Ok(Api::Async(client, runtime))
    }

    /// Which transport this is, for messages.
    pub fn transport_name(&self) -> &'static str {
        match self {
            Api::Blocking(_) => "ureq",
            Api::Async(..) => "reqwest",
        }
    }

    /// Uploads a file.
    pub fn create(&self, upload: UploadRequest) -> Result<FileObject, Error> {
        match self {
            Api::Blocking(c) => c.files().create(upload),
            Api::Async(c, rt) => rt.block_on(c.files().create(upload)),
        }
    }

    /// Sends a local file through the Uploads API in parts, or the rest of it to the Upload
    /// `resume` names.
    pub fn upload_in_parts(
        &self,
        upload: UploadRequest,
        parts: PartOptions,
        resume: Option<ResumeFrom>,
    ) -> Result<FileObject, Error> {
        match (self, resume) {
            (Api::Blocking(c), None) => c.uploads().upload(upload, parts),
            (Api::Blocking(c), Some(r)) => c.uploads().resume(upload, parts, r),
            (Api::Async(c, rt), None) => rt.block_on(c.uploads().upload(upload, parts)),
            (Api::Async(c, rt), Some(r)) => rt.block_on(c.uploads().resume(upload, parts, r)),
        }
    }

    /// Creates an Upload (the first step, for callers who drive the steps).
    pub fn create_upload(&self, upload: &NewUpload) -> Result<Upload, Error> {
        match self {
            Api::Blocking(c) => c.uploads().create(upload),
            Api::Async(c, rt) => rt.block_on(c.uploads().create(upload)),
        }
    }

    /// Cancels an Upload.
    pub fn cancel_upload(&self, id: &str) -> Result<Upload, Error> {
        match self {
            Api::Blocking(c) => c.uploads().cancel(id),
            Api::Async(c, rt) => rt.block_on(c.uploads().cancel(id)),
        }
    }

    /// One page of the listing.
    pub fn list(&self, params: &ListParams) -> Result<FileList, Error> {
        match self {
            Api::Blocking(c) => c.files().list(params),
            Api::Async(c, rt) => rt.block_on(c.files().list(params)),
        }
    }

    /// Every file of the listing, fetched page by page as the iterator is used.
    pub fn list_all(
        &self,
        params: &ListParams,
    ) -> Box<dyn Iterator<Item = Result<FileObject, Error>> + '_> {
        match self {
            Api::Blocking(c) => Box::new(c.files().list_all(params)),
            Api::Async(c, rt) => {
                let mut stream = c.files().list_all(params);
                Box::new(std::iter::from_fn(move || rt.block_on(stream.next())))
            }
        }
    }

    /// One file's metadata.
    pub fn retrieve(&self, id: &str) -> Result<FileObject, Error> {
        match self {
            Api::Blocking(c) => c.files().retrieve(id),
            Api::Async(c, rt) => rt.block_on(c.files().retrieve(id)),
        }
    }

    /// Deletes a file.
    pub fn delete(&self, id: &str) -> Result<DeletedFile, Error> {
        match self {
            Api::Blocking(c) => c.files().delete(id),
            Api::Async(c, rt) => rt.block_on(c.files().delete(id)),
        }
    }

    /// Polls a file until its processing is over.
    pub fn wait_for_processing(&self, id: &str, polling: Polling) -> Result<FileObject, Error> {
        match self {
            Api::Blocking(c) => c.files().wait_for_processing_with(id, polling),
            Api::Async(c, rt) => rt.block_on(c.files().wait_for_processing_with(id, polling)),
        }
    }

    /// Downloads a file's content to a path (complete or not at all).
    pub fn download_to_path(&self, id: &str, dest: &Path) -> Result<u64, Error> {
        match self {
            Api::Blocking(c) => c.files().download_to_path(id, dest),
            Api::Async(c, rt) => rt.block_on(c.files().download_to_path(id, dest)),
        }
    }

    /// Downloads a file's content into a writer, chunk by chunk.
    pub fn download_to_writer(&self, id: &str, writer: &mut dyn Write) -> Result<u64, Error> {
        match self {
            Api::Blocking(c) => c.files().download_to(id, writer),
            Api::Async(c, rt) => {
                // The runtime is the CLI's own, so a blocking write in it holds up nothing else.
                let mut writer = futures_util::io::AllowStdIo::new(writer);
                rt.block_on(c.files().download_to(id, &mut writer))
            }
        }
    }
}
