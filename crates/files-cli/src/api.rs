//! [`Api`]: one client, blocking or async, behind the operations the commands use. Each
//! operation is a files-core machine ([`files_core::extend::ops`]), built here as the clients'
//! convenience methods build it and run through [`Api::run`], the one place that picks the
//! flavour. Only listing every page and downloading, which are more than one run of one
//! machine, are left to the clients' own methods, each in one place.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use files_client::{
    AsyncClient, Client, DeletedFile, Error, FileList, FileObject, ListParams, NewUpload,
    PartOptions, Polling, Provider, RequestOptions, ResumeFrom, StdFiles, TokioFiles, Upload,
    UploadRequest,
};
use files_core::extend::ops::{CreateFile, Exchange, Operation, UploadInParts, WaitForProcessing};
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

    /// Runs any operation machine to its end on this client, blocking until it is over: the
    /// one place an operation meets the flavour.
    ///
    /// # Errors
    ///
    /// The machine's own error.
    pub fn run<O: Operation>(&self, op: O) -> Result<O::Output, Error> {
        match self {
            Api::Blocking(c) => c.run(op),
            Api::Async(c, rt) => rt.block_on(c.run(op)),
        }
    }

    /// The client's provider, shared, for the machines that hold one.
    pub fn provider(&self) -> Arc<dyn Provider> {
        match self {
            Api::Blocking(c) => c.shared_provider(),
            Api::Async(c, _) => c.shared_provider(),
        }
    }

    /// The options every request starts from (the machines built here carry them).
    pub fn options(&self) -> &RequestOptions {
        match self {
            Api::Blocking(c) => c.options(),
            Api::Async(c, _) => c.options(),
        }
    }

    /// Uploads a file ([`CreateFile`]; through the Uploads API when the provider's rules or
    /// the request say so).
    pub fn create(&self, upload: UploadRequest) -> Result<FileObject, Error> {
        self.run(CreateFile::new(
            self.provider(),
            upload,
            self.options().clone(),
        ))
    }

    /// Sends a local file through the Uploads API in parts, or the rest of it to the Upload
    /// `resume` names ([`UploadInParts`]; the driver sends the parts side by side).
    pub fn upload_in_parts(
        &self,
        upload: UploadRequest,
        parts: PartOptions,
        resume: Option<ResumeFrom>,
    ) -> Result<FileObject, Error> {
        let op = UploadInParts::new(self.provider(), &upload, parts, self.options().clone());
        self.run(match resume {
            Some(resume) => op.resume(resume),
            None => op,
        })
    }

    /// Creates an Upload (the first step, for callers who drive the steps).
    pub fn create_upload(&self, upload: &NewUpload) -> Result<Upload, Error> {
        self.run(Exchange::create_upload(
            &*self.provider(),
            upload,
            self.options(),
        ))
    }

    /// Cancels an Upload.
    pub fn cancel_upload(&self, id: &str) -> Result<Upload, Error> {
        self.run(Exchange::cancel_upload(
            &*self.provider(),
            id,
            self.options(),
        ))
    }

    /// One page of the listing.
    pub fn list(&self, params: &ListParams) -> Result<FileList, Error> {
        self.run(Exchange::list_page(
            &*self.provider(),
            params,
            self.options(),
        ))
    }

    /// Every file of the listing, fetched page by page as the iterator is used.
    pub fn list_all(
        &self,
        params: &ListParams,
    ) -> Box<dyn Iterator<Item = Result<FileObject, Error>> + '_> {
        // Flavour-specific: `ListAll` gives one page per run, and the clients' iterator and
        // stream run the same machine again for each page, lazily, under one tracing span for
        // the whole listing. `run` takes a machine by value and opens a span per run, so the
        // walk over the pages stays the clients'.
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
        self.run(Exchange::retrieve(&*self.provider(), id, self.options()))
    }

    /// Deletes a file.
    pub fn delete(&self, id: &str) -> Result<DeletedFile, Error> {
        self.run(Exchange::delete(&*self.provider(), id, self.options()))
    }

    /// Polls a file until its processing is over ([`WaitForProcessing`]).
    pub fn wait_for_processing(&self, id: &str, polling: Polling) -> Result<FileObject, Error> {
        self.run(WaitForProcessing::new(
            self.provider(),
            id,
            polling,
            self.options().clone(),
        ))
    }

    /// Uploads each of `uploads`, up to `jobs` at once: the results in the input's order,
    /// each its own; a rate limit one meets holds them all.
    pub fn upload_many(
        &self,
        uploads: Vec<UploadRequest>,
        jobs: usize,
    ) -> Vec<Result<FileObject, Error>> {
        match self {
            Api::Blocking(c) => c.files().upload_many(uploads, jobs),
            Api::Async(c, rt) => rt.block_on(c.files().upload_many(uploads, jobs)),
        }
    }

    /// Downloads each file (an id and a path, each complete or not at all), up to `jobs` at
    /// once: the byte counts in the input's order.
    pub fn download_many(
        &self,
        downloads: Vec<(String, std::path::PathBuf)>,
        jobs: usize,
    ) -> Vec<Result<u64, Error>> {
        match self {
            Api::Blocking(c) => c.files().download_many(downloads, jobs),
            Api::Async(c, rt) => rt.block_on(c.files().download_many(downloads, jobs)),
        }
    }

    /// Retrieves each file's metadata, up to `jobs` at once: the results in the input's order.
    pub fn retrieve_many(&self, ids: Vec<String>, jobs: usize) -> Vec<Result<FileObject, Error>> {
        match self {
            Api::Blocking(c) => c.files().retrieve_many(ids, jobs),
            Api::Async(c, rt) => rt.block_on(c.files().retrieve_many(ids, jobs)),
        }
    }

    /// Deletes each file, up to `jobs` at once: the results in the input's order.
    pub fn delete_many(&self, ids: Vec<String>, jobs: usize) -> Vec<Result<DeletedFile, Error>> {
        match self {
            Api::Blocking(c) => c.files().delete_many(ids, jobs),
            Api::Async(c, rt) => rt.block_on(c.files().delete_many(ids, jobs)),
        }
    }

    /// Downloads a file's content to a path (complete or not at all).
    pub fn download_to_path(&self, id: &str, dest: &Path) -> Result<u64, Error> {
        self.download(id, Sink::Path(dest))
    }

    /// Downloads a file's content into a writer, chunk by chunk.
    pub fn download_to_writer(&self, id: &str, writer: &mut dyn Write) -> Result<u64, Error> {
        self.download(id, Sink::Writer(writer))
    }

    /// Downloads a file's content into `sink`; returns the byte count.
    fn download(&self, id: &str, sink: Sink<'_>) -> Result<u64, Error> {
        // Flavour-specific: a download is more than one machine's run. The content exchange
        // leaves the body with the driver, which `run` does not return; the clients' download
        // reads it chunk by chunk, checks its length, resumes after a cut (more exchanges, run
        // by the driver) and writes to a temporary file of the client's local files that
        // replaces the path once complete, or to the writer.
        match self {
            Api::Blocking(c) => match sink {
                Sink::Path(dest) => c.files().download_to_path(id, dest),
                Sink::Writer(writer) => c.files().download_to(id, writer),
            },
            Api::Async(c, rt) => rt.block_on(async {
                match sink {
                    Sink::Path(dest) => c.files().download_to_path(id, dest).await,
                    Sink::Writer(writer) => {
                        // The runtime is the CLI's own, so a blocking write in it holds up
                        // nothing else.
                        let mut writer = futures_util::io::AllowStdIo::new(writer);
                        c.files().download_to(id, &mut writer).await
                    }
                }
            }),
        }
    }
}

/// Where a download goes.
enum Sink<'a> {
    /// A path, replaced only once the content is complete.
    Path(&'a Path),
    /// A writer, written chunk by chunk.
    Writer(&'a mut dyn Write),
}
