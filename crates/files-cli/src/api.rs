//! [`Api`]: one client, blocking or async, behind the operations the commands use.

use std::io::Write;
use std::path::Path;

use files_core::{
    AsyncClient, Client, DeletedFile, Error, FileList, FileObject, ListParams, LocalFileError,
    LocalFileOp, Provider, UploadRequest,
};
use futures_util::StreamExt;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

/// A provider chosen at run time.
pub type DynProvider = Box<dyn Provider>;

/// A Files API client over the transport the user picked.
pub enum Api {
    /// Blocking, over ureq.
    Blocking(Client<DynProvider, UreqTransport>),
    /// Async over reqwest, driven by a runtime of its own.
    Async(
        AsyncClient<DynProvider, ReqwestTransport>,
        tokio::runtime::Runtime,
    ),
}

impl Api {
    /// A blocking client.
    pub fn blocking(provider: DynProvider) -> Self {
        Api::Blocking(Client::new(provider, UreqTransport::new()))
    }

    /// An async client with a runtime to drive it.
    pub fn with_async(provider: DynProvider) -> Result<Self, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let transport = ReqwestTransport::new()?;
        Ok(Api::Async(AsyncClient::new(provider, transport), runtime))
    }

    /// Which transport this is, for messages.
    pub fn transport_name(&self) -> &'static str {
        match self {
            Api::Blocking(_) => "ureq",
            Api::Async(..) => "reqwest",
        }
    }

    /// Uploads a file.
    pub fn upload(&self, upload: UploadRequest) -> Result<FileObject, Error> {
        match self {
            Api::Blocking(c) => c.upload(upload),
            Api::Async(c, rt) => rt.block_on(c.upload(upload)),
        }
    }

    /// One page of the listing.
    pub fn list(&self, params: &ListParams) -> Result<FileList, Error> {
        match self {
            Api::Blocking(c) => c.list(params),
            Api::Async(c, rt) => rt.block_on(c.list(params)),
        }
    }

    /// Every page of the listing.
    pub fn list_all(&self, params: &ListParams) -> Result<Vec<FileObject>, Error> {
        match self {
            Api::Blocking(c) => c.list_all(params),
            Api::Async(c, rt) => rt.block_on(c.list_all(params)),
        }
    }

    /// One file's metadata.
    pub fn retrieve(&self, id: &str) -> Result<FileObject, Error> {
        match self {
            Api::Blocking(c) => c.retrieve(id),
            Api::Async(c, rt) => rt.block_on(c.retrieve(id)),
        }
    }

    /// Deletes a file.
    pub fn delete(&self, id: &str) -> Result<DeletedFile, Error> {
        match self {
            Api::Blocking(c) => c.delete(id),
            Api::Async(c, rt) => rt.block_on(c.delete(id)),
        }
    }

    /// Downloads a file's content to a path (complete or not at all).
    pub fn download_to_path(&self, id: &str, dest: &Path) -> Result<u64, Error> {
        match self {
            Api::Blocking(c) => c.download_to_path(id, dest),
            Api::Async(c, rt) => rt.block_on(c.download_to_path(id, dest)),
        }
    }

    /// Downloads a file's content into a writer, chunk by chunk.
    pub fn download_to_writer(&self, id: &str, writer: &mut dyn Write) -> Result<u64, Error> {
        match self {
            Api::Blocking(c) => c.download_to(id, writer),
            Api::Async(c, rt) => rt.block_on(async {
                let mut download = c.download(id).await?;
                while let Some(chunk) = download.next().await {
                    writer.write_all(&chunk?).map_err(|e| {
                        LocalFileError::new(LocalFileOp::Write, "standard output", e)
                    })?;
                }
                writer
                    .flush()
                    .map_err(|e| LocalFileError::new(LocalFileOp::Write, "standard output", e))?;
                Ok(download.received())
            }),
        }
    }
}
