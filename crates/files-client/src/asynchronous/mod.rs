//! [`AsyncClient`]: the async client, and [`AsyncFiles`], its Files API.

mod async_bulk;
mod async_download;
mod async_driver;
mod async_uploads;

pub use async_download::AsyncDownload;
pub use async_uploads::AsyncUploads;

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
use files_io::local::AsyncLocalFiles;
use files_io::transport::AsyncTransport;
use futures_io::AsyncWrite;
use futures_util::stream::BoxStream;
use futures_util::{AsyncWriteExt, StreamExt};

use async_driver::AsyncDriver;

use crate::env::{AsyncEnvironment, SystemEnvironment};
use crate::tokio_files::TokioFiles;

/// An async Files API client on tokio: a provider, a transport, local files and an
/// environment, with options for every request. Cheap to clone (clones share everything),
/// holdable as a plain field, and its futures are `Send`.
///
/// ```
/// use files_client::AsyncClient;
/// use files_io::transport::{async_transport_fn, AsyncResponseBody};
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
/// let transport = async_transport_fn(|_request| async {
///     let body = r#"{"id":"file-1","object":"file","deleted":true}"#;
///     Ok(http::Response::new(AsyncResponseBody::from_bytes(body)))
/// });
/// let client = AsyncClient::new(provider, transport);
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// assert!(client.files().delete("file-1").await?.deleted);
/// # Ok::<(), files_core::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct AsyncClient {
    provider: Arc<dyn Provider>,
    driver: AsyncDriver,
    options: RequestOptions,
}

impl std::fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncClient")
            .field("provider", &self.provider.name())
            .field("base_url", self.provider.base_url())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl AsyncClient {
    /// A client for `provider` over `transport`, with the machine's files (through tokio),
    /// the system clock with tokio's timer, and the default options.
    pub fn new(
        provider: impl Provider + 'static,
        transport: impl AsyncTransport + 'static,
    ) -> Self {
        AsyncClient {
            provider: Arc::new(provider),
            driver: AsyncDriver {
                transport: Arc::new(transport),
                files: Arc::new(TokioFiles),
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
    pub fn with_local_files(mut self, files: impl AsyncLocalFiles + 'static) -> Self {
        self.driver.files = Arc::new(files);
        self
    }

    /// Uses another clock, random source and timer.
    pub fn with_environment(mut self, env: impl AsyncEnvironment + 'static) -> Self {
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
    pub fn files(&self) -> AsyncFiles<'_> {
        AsyncFiles {
            client: self,
            options: self.options.clone(),
        }
    }

    /// The Uploads API (OpenAI): large local files sent in parts, side by side.
    pub fn uploads(&self) -> AsyncUploads<'_> {
        AsyncUploads {
            client: self,
            options: self.options.clone(),
        }
    }

    /// Runs any operation machine to its end (a machine carries its own options).
    pub async fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        let (output, _) = self.driver.run(&mut op).await?;
        Ok(output)
    }
}

/// The Files API of an [`AsyncClient`], with the options its calls use.
#[derive(Debug, Clone)]
pub struct AsyncFiles<'a> {
    client: &'a AsyncClient,
    options: RequestOptions,
}

/// A lazy stream of every file of a listing; see [`AsyncFiles::list_all`].
pub type FileStream = BoxStream<'static, Result<FileObject, Error>>;

impl AsyncFiles<'_> {
    /// The same API with `options` over the client's, for the calls made through it.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    async fn run<O: Operation>(&self, mut op: O) -> Result<O::Output> {
        let (output, _) = self.client.driver.run(&mut op).await?;
        Ok(output)
    }

    /// Uploads a file. A path is inspected (size and first bytes) and checked against the
    /// provider's rules before anything is sent; its content is streamed, never loaded whole,
    /// and sent again from the start if the request is retried.
    pub async fn create(&self, upload: UploadRequest) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(CreateFile::new(provider, upload, self.options.clone()))
            .await
    }

    /// One page of the listing.
    pub async fn list(&self, params: &ListParams) -> Result<FileList> {
        let op = Exchange::list_page(&*self.client.provider, params, &self.options);
        self.run(op).await
    }

    /// Every file of the listing, fetched page by page as the stream is polled (following
    /// the `after` cursor where the provider paginates). After an error it ends.
    pub fn list_all(&self, params: &ListParams) -> FileStream {
        let op = ListAll::new(
            self.client.provider.clone(),
            params.clone(),
            self.options.clone(),
        );
        self.client.driver.clone().items(op)
    }

    /// One file's metadata.
    pub async fn retrieve(&self, id: &str) -> Result<FileObject> {
        let op = Exchange::retrieve(&*self.client.provider, id, &self.options);
        self.run(op).await
    }

    /// Deletes a file.
    pub async fn delete(&self, id: &str) -> Result<DeletedFile> {
        let op = Exchange::delete(&*self.client.provider, id, &self.options);
        self.run(op).await
    }

    /// Starts downloading a file's content; take the chunks from the returned stream, which
    /// checks the length the server announced and resumes after a cut.
    pub async fn content(&self, id: &str) -> Result<AsyncDownload> {
        let fetch = FetchContent::new(self.client.provider.clone(), id, self.options.clone());
        AsyncDownload::start(fetch, self.client.driver.clone()).await
    }

    /// Downloads a file's content into an async writer (`futures-io`'s `AsyncWrite`; wrap a
    /// tokio writer with `tokio_util::compat`), chunk by chunk; returns the byte count.
    pub async fn download_to<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        id: &str,
        writer: &mut W,
    ) -> Result<u64> {
        let mut download = self.content(id).await?;
        let write_err = |e| {
            Error::from(LocalFileError::new(
                LocalFileOp::Write,
                "the destination writer",
                e,
            ))
        };
        while let Some(chunk) = download.next().await {
            writer.write_all(&chunk?).await.map_err(write_err)?;
        }
        writer.flush().await.map_err(write_err)?;
        Ok(download.received())
    }

    /// Downloads a file's content to `dest`. The bytes go to a temporary file beside it that
    /// replaces `dest` only once complete; on any failure nothing is left behind.
    pub async fn download_to_path(&self, id: &str, dest: impl AsRef<Path>) -> Result<u64> {
        let dest = dest.as_ref();
        let mut download = self.content(id).await?;
        let mut file = self.client.driver.files.create(dest).await?;
        while let Some(chunk) = download.next().await {
            file.write_chunk(chunk?).await?;
        }
        file.commit().await?;
        Ok(download.received())
    }

    /// Polls a file every 5 s, for up to 30 minutes, until its processing is over; see
    /// [`AsyncFiles::wait_for_processing_with`].
    pub async fn wait_for_processing(&self, id: &str) -> Result<FileObject> {
        self.wait_for_processing_with(id, Polling::new()).await
    }

    /// Polls a file until its status is final (`processed`, `error`, `deleted`, StepFun's
    /// `success`, or none at all) and returns it; gives up with [`Error::ProcessingTimeout`]
    /// after `polling.max_wait`.
    pub async fn wait_for_processing_with(&self, id: &str, polling: Polling) -> Result<FileObject> {
        let provider = self.client.provider.clone();
        self.run(WaitForProcessing::new(
            provider,
            id,
            polling,
            self.options.clone(),
        ))
        .await
    }
}
