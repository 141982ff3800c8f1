//! [`AsyncClient`]: the async client, generic over a [`Provider`] and an [`AsyncTransport`].
//!
//! The builders and decoders are the ones [`crate::Client`] uses; only the carrying is async.

use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures_util::{AsyncWrite, AsyncWriteExt, StreamExt};
use serde::de::DeserializeOwned;

use crate::body::Body;
use crate::download::AsyncDownload;
use crate::error::{Error, LocalFileError, LocalFileOp, Result, TransportError};
use crate::multipart::Boundary;
use crate::objects::{DeletedFile, FileList, FileObject};
use crate::provider::Provider;
use crate::request::{ListParams, build_content, build_delete, build_list, build_retrieve};
use crate::response::{MAX_ERROR_BODY, api_error, finish_json, json_read_limit};
use crate::transport::{AsyncResponseBody, AsyncTransport};
use crate::upload::{PROBE_PREFIX_LEN, UploadRequest, build_upload};
use crate::{EXPECT_DELETED, EXPECT_FILE, EXPECT_LIST, pages};

/// An async Files API client.
///
/// ```
/// use files_core::{AsyncClient, AsyncResponseBody, Body};
/// # use files_core::{Provider, BaseUrl, Features, ValidationError};
/// # struct Local(BaseUrl);
/// # impl Provider for Local {
/// #     fn name(&self) -> &str { "local" }
/// #     fn base_url(&self) -> &BaseUrl { &self.0 }
/// #     fn authorize(&self, _: &mut http::HeaderMap) -> Result<(), ValidationError> { Ok(()) }
/// #     fn features(&self) -> Features { Features::new() }
/// # }
/// # let provider = Local(BaseUrl::parse("http://127.0.0.1:1/v1").unwrap());
/// let transport = |_req: http::Request<Body>| async {
///     let body = r#"{"id":"file-1","object":"file","deleted":true}"#;
///     Ok(http::Response::new(AsyncResponseBody::from_bytes(body)))
/// };
/// let client = AsyncClient::new(provider, transport);
/// # futures_util::FutureExt::now_or_never(async {
/// assert!(client.delete("file-1").await.unwrap().deleted);
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct AsyncClient<P, T> {
    provider: P,
    transport: T,
}

impl<P: Provider, T: AsyncTransport> AsyncClient<P, T> {
    /// A client for `provider` over `transport`.
    pub fn new(provider: P, transport: T) -> Self {
        AsyncClient {
            provider,
            transport,
        }
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// One page of the file listing.
    pub async fn list(&self, params: &ListParams) -> Result<FileList> {
        self.json(build_list(&self.provider, params)?, EXPECT_LIST)
            .await
    }

    /// Every file, following the `after` cursor page by page where the provider paginates.
    pub async fn list_all(&self, params: &ListParams) -> Result<Vec<FileObject>> {
        let mut walk = pages::PageWalk::new(params.clone());
        while let Some(params) = walk.next_params() {
            let page = self.list(&params).await?;
            walk.take(page)?;
        }
        Ok(walk.into_files())
    }

    /// One file's metadata.
    pub async fn retrieve(&self, id: &str) -> Result<FileObject> {
        self.json(build_retrieve(&self.provider, id)?, EXPECT_FILE)
            .await
    }

    /// Deletes a file.
    pub async fn delete(&self, id: &str) -> Result<DeletedFile> {
        self.json(build_delete(&self.provider, id)?, EXPECT_DELETED)
            .await
    }

    /// Starts downloading a file's content; take the chunks from the returned stream.
    pub async fn download(&self, id: &str) -> Result<AsyncDownload> {
        let response = self
            .transport
            .send(build_content(&self.provider, id)?)
            .await?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = read_up_to(body, MAX_ERROR_BODY).await?;
            return Err(api_error(&parts, &bytes).into());
        }
        Ok(AsyncDownload::new(&parts, body))
    }

    /// Downloads a file's content into an async writer (`futures-io`'s `AsyncWrite`; wrap a
    /// tokio writer with `tokio_util::compat`), chunk by chunk; returns the byte count.
    pub async fn download_to<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        id: &str,
        writer: &mut W,
    ) -> Result<u64> {
        let mut download = self.download(id).await?;
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

    async fn json<R: DeserializeOwned>(
        &self,
        request: http::Request<Body>,
        expected: &str,
    ) -> Result<R> {
        let (parts, body) = self.transport.send(request).await?.into_parts();
        let bytes = read_up_to(body, json_read_limit(&parts)).await?;
        finish_json(&parts, &bytes, expected)
    }
    /// Uploads a file. A path is inspected (size and first bytes) and checked against the
    /// provider's rules before anything is sent; its content is streamed, never loaded whole.
    pub async fn upload(&self, upload: UploadRequest) -> Result<FileObject> {
        let probe = match upload.local_path() {
            Some(path) => Some(self.transport.probe(path, PROBE_PREFIX_LEN).await?),
            None => None,
        };
        let request = build_upload(&self.provider, &upload, probe.as_ref(), Boundary::random())?;
        self.json(request, EXPECT_FILE).await
    }

    /// Downloads a file's content to `dest`. The bytes go to a temporary file beside it that
    /// replaces `dest` only once complete; on any failure nothing is left behind.
    pub async fn download_to_path(&self, id: &str, dest: &Path) -> Result<u64> {
        let mut download = self.download(id).await?;
        let mut file = self.transport.create(dest).await?;
        while let Some(chunk) = download.next().await {
            file.write_chunk(chunk?).await?;
        }
        file.commit().await?;
        Ok(download.received())
    }
}

/// Reads at most `limit` bytes of a response body.
async fn read_up_to(mut body: AsyncResponseBody, limit: usize) -> Result<Bytes, TransportError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = limit - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= limit {
            break;
        }
    }
    Ok(bytes.freeze())
}
