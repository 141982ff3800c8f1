//! [`Client`]: the blocking client, and [`Files`], its Files API.

mod bulk;
mod download;
mod driver;
mod uploads;

pub use download::Download;
pub use uploads::Uploads;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use files_core::extend::ops::{
    CreateFile, Exchange, FetchContent, ListAll, Operation, WaitForProcessing,
};
use files_core::extend::provider::Provider;
use files_core::{
    DeletedFile, Error, FileList, FileObject, ListParams, LocalFileError, LocalFileOp, Polling,
    RequestOptions, Result, UploadRequest,
};
use files_io::local::LocalFiles;
use files_io::transport::Transport;

#[cfg(feature = "async")]
pub(crate) use driver::{Batch, abandoned, driver_bug, finished};
use driver::{Driver, Items};

use crate::env::{Environment, SystemEnvironment};
use crate::std_files::StdFiles;

/// The size of the buffer a download is copied through.
const COPY_BUFFER: usize = 256 * 1024;

/// A blocking Files API client: a provider, a transport, local files and an environment,
/// with options for every request. Cheap to clone (clones share everything), and holdable as
/// a plain field: no type parameters.
///
/// ```
/// use files_client::Client;
/// use files_io::transport::{transport_fn, ResponseBody};
/// # use files_core::extend::provider::{BaseUrl, Features, Provider};
/// # use files_core::ValidationError;
/// # struct Local(BaseUrl);
/// # impl Provider for Local {
/// #     fn name(&self) -> &str { "local" }
/// #     fn base_url(&self) -> &BaseUrl { &self.0 }
/// #     fn authorize(&self, _: &mut http::HeaderMap) -> Result<(), ValidationError> { Ok(()) }
/// #     fn features(&self) -> Features { Features::new() }
/// # }
/// # let provider = Local(BaseUrl::parse("http://127.0.0.1:1/v1").unwrap());
/// // Any closure is a transport through `transport_fn`: here, a canned answer.
/// let transport = transport_fn(|_request| {
///     let body = r#"{"id":"file-1","object":"file","deleted":true}"#;
///     Ok(http::Response::new(ResponseBody::from_bytes(body)))
/// });
/// let client = Client::new(provider, transport);
/// assert!(client.files().delete("file-1")?.deleted);
/// # Ok::<(), files_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    provider: Arc<dyn Provider>,
    driver: Driver,
    options: RequestOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.provider.name())
            .field("base_url", self.provider.base_url())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `provider` over `transport`, with the machine's files (`std::fs`), the
    /// system clock and the default options.
    pub fn new(provider: impl Provider + 'static, transport: impl Transport + 'static) -> Self {
        Client {
            provider: Arc::new(provider),
            driver: Driver {
                transport: Arc::new(transport),
                files: Arc::new(StdFiles),
                env: Arc::new(SystemEnvironment::new()),
                hold: Arc::default(),
            },
            options: RequestOptions::new(),
        }
    }

    /// Sets the options every request starts from (a call can override them).
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Uses other local files: a sandbox, an in-memory store, a test double.
    pub fn with_local_files(mut self, files: impl LocalFiles + 'static) -> Self {
        self.driver.files = Arc::new(files);
        self
    }

    /// Uses another clock, random source and sleep: a virtual clock makes tests of retries
    /// and polling deterministic and instant.
    pub fn with_environment(mut self, env: impl Environment + 'static) -> Self {
        self.driver.env = Arc::new(env);
        self
    }

    /// The provider.
    pub fn provider(&self) -> &dyn Provider {
        &*self.provider
    }

    /// The provider as a shared handle, for building the machines that hold one
    /// ([`CreateFile`](files_core::extend::ops::CreateFile), [`ListAll`](files_core::extend::ops::ListAll),
    /// [`UploadInParts`](files_core::extend::ops::UploadInParts),
    /// [`WaitForProcessing`](files_core::extend::ops::WaitForProcessing)) to hand to
    /// [`run`](Self::run).
    pub fn shared_provider(&self) -> Arc<dyn Provider> {
        self.provider.clone()
    }

    /// The options every request starts from.
    pub fn options(&self) -> &RequestOptions {
        &self.options
    }

    /// The Files API: create, list, retrieve, delete, content, wait for processing.
    pub fn files(&self) -> Files<'_> {
        Files {
            client: self,
            options: self.options.clone(),
        }
    }

    /// The Uploads API (OpenAI): large local files sent in parts, side by side.
    pub fn uploads(&self) -> Uploads<'_> {
        Uploads {
            client: self,
            options: self.options.clone(),
        }
    }

    /// Runs any operation machine to its end (a machine carries its own options): for
    /// machines of your own, or ones the Files API does not wrap.
    pub fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        self.driver.run(&mut op).map(|(output, _)| output)
    }
}

/// The Files API of a [`Client`], with the options its calls use.
#[derive(Debug, Clone)]
pub struct Files<'a> {
    client: &'a Client,
    options: RequestOptions,
}

/// A lazy iterator over every file of a listing; see [`Files::list_all`].
#[derive(Debug)]
pub struct FileIter(Items<ListAll>);

impl Iterator for FileIter {
    type Item = Result<FileObject>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

impl Files<'_> {
    /// The same API with `options` over the client's, for the calls made through it.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        self.client.driver.run(&mut op).map(|(output, _)| output)
    }

    /// Uploads a file. A path is inspected (size and first bytes) and checked against the
    /// provider's rules before anything is sent; its content is streamed, never loaded whole,
    /// and sent again from the start if the request is retried.
    pub fn create(&self, upload: UploadRequest) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(CreateFile::new(provider, upload, self.options.clone()))
    }

    /// One page of the listing.
    pub fn list(&self, params: &ListParams) -> Result<FileList> {
        let provider = &*self.client.provider;
        self.run(Exchange::list_page(provider, params, &self.options))
    }

    /// Every file of the listing, fetched page by page as the iterator is used (following the
    /// `after` cursor where the provider paginates). After an error it ends.
    pub fn list_all(&self, params: &ListParams) -> FileIter {
        let op = ListAll::new(
            self.client.provider.clone(),
            params.clone(),
            self.options.clone(),
        );
        FileIter(Items::new(self.client.driver.clone(), op))
    }

    /// One file's metadata.
    pub fn retrieve(&self, id: &str) -> Result<FileObject> {
        let provider = &*self.client.provider;
        self.run(Exchange::retrieve(provider, id, &self.options))
    }

    /// Deletes a file.
    pub fn delete(&self, id: &str) -> Result<DeletedFile> {
        let provider = &*self.client.provider;
        self.run(Exchange::delete(provider, id, &self.options))
    }

    /// Starts downloading a file's content; read it from the returned [`Download`], which
    /// checks the length the server announced and resumes after a cut.
    pub fn content(&self, id: &str) -> Result<Download> {
        let fetch = FetchContent::new(self.client.provider.clone(), id, self.options.clone());
        Download::start(fetch, self.client.driver.clone())
    }

    /// Downloads a file's content into `writer`, in constant memory; returns the byte count.
    pub fn download_to<W: Write + ?Sized>(&self, id: &str, writer: &mut W) -> Result<u64> {
        let mut download = self.content(id)?;
        copy(&mut download, writer, Path::new("the destination writer"))
    }

    /// Downloads a file's content to `dest`. The bytes go to a temporary file beside it that
    /// replaces `dest` only once complete; on any failure nothing is left behind.
    pub fn download_to_path(&self, id: &str, dest: impl AsRef<Path>) -> Result<u64> {
        let dest = dest.as_ref();
        let mut download = self.content(id)?;
        let mut file = self.client.driver.files.create(dest)?;
        let written = copy(&mut download, &mut file, dest)?;
        file.commit()?;
        Ok(written)
    }

    /// Polls a file every 5 s, for up to 30 minutes, until its processing is over; see
    /// [`Files::wait_for_processing_with`].
    pub fn wait_for_processing(&self, id: &str) -> Result<FileObject> {
        self.wait_for_processing_with(id, Polling::new())
    }

    /// Polls a file until its status is final (`processed`, `error`, `deleted`, StepFun's
    /// `success`, or none at all) and returns it; a file whose processing failed comes back
    /// like any other, its status saying so. Gives up with [`Error::ProcessingTimeout`]
    /// after `polling.max_wait`.
    pub fn wait_for_processing_with(&self, id: &str, polling: Polling) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(WaitForProcessing::new(
            provider,
            id,
            polling,
            self.options.clone(),
        ))
    }
}

/// Copies a download into `writer` through a fixed buffer.
fn copy<W: Write + ?Sized>(download: &mut Download, writer: &mut W, dest: &Path) -> Result<u64> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let write_err = |e| Error::from(LocalFileError::new(LocalFileOp::Write, dest, e));
    loop {
        let n = download.read_chunk(&mut buf)?;
        if n == 0 {
            writer.flush().map_err(write_err)?;
            return Ok(download.received());
        }
        writer.write_all(&buf[..n]).map_err(write_err)?;
    }
}
