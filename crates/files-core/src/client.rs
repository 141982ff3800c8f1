//! [`Client`]: the blocking client, generic over a [`Provider`] and a [`Transport`].
//!
//! Each operation is the same three steps as in [`crate::AsyncClient`]: a pure builder makes
//! the request, the transport carries it, a pure decoder reads the answer. Only the carrying
//! differs between the two clients.

use std::io::{Read, Write};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::body::Body;
use crate::download::Download;
use crate::error::{Error, LocalFileError, LocalFileOp, Result, TransportError};
use crate::multipart::Boundary;
use crate::objects::{DeletedFile, FileList, FileObject};
use crate::provider::Provider;
use crate::request::{ListParams, build_content, build_delete, build_list, build_retrieve};
use crate::response::{MAX_ERROR_BODY, api_error, finish_json, json_read_limit};
use crate::transport::{ResponseBody, Transport};
use crate::upload::{PROBE_PREFIX_LEN, UploadRequest, build_upload};
use crate::{EXPECT_DELETED, EXPECT_FILE, EXPECT_LIST, pages};

/// Size of the buffer a download is copied through.
pub(crate) const COPY_BUFFER: usize = 64 * 1024;

/// A blocking Files API client.
///
/// ```
/// use files_core::{Client, ResponseBody, Body, ListParams};
/// # use files_core::{Provider, BaseUrl, Features, ValidationError};
/// # struct Local(BaseUrl);
/// # impl Provider for Local {
/// #     fn name(&self) -> &str { "local" }
/// #     fn base_url(&self) -> &BaseUrl { &self.0 }
/// #     fn authorize(&self, _: &mut http::HeaderMap) -> Result<(), ValidationError> { Ok(()) }
/// #     fn features(&self) -> Features { Features::new() }
/// # }
/// # let provider = Local(BaseUrl::parse("http://127.0.0.1:1/v1").unwrap());
/// // Any closure is a transport: here, a canned answer.
/// let transport = |_req: http::Request<Body>| {
///     Ok(http::Response::new(ResponseBody::from_bytes(r#"{"object":"list","data":[]}"#)))
/// };
/// let client = Client::new(provider, transport);
/// assert!(client.list(&ListParams::new()).unwrap().data.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Client<P, T> {
    provider: P,
    transport: T,
}

impl<P: Provider, T: Transport> Client<P, T> {
    /// A client for `provider` over `transport`.
    pub fn new(provider: P, transport: T) -> Self {
        Client {
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
    pub fn list(&self, params: &ListParams) -> Result<FileList> {
        self.json(build_list(&self.provider, params)?, EXPECT_LIST)
    }

    /// Every file, following the `after` cursor page by page where the provider paginates.
    pub fn list_all(&self, params: &ListParams) -> Result<Vec<FileObject>> {
        let mut walk = pages::PageWalk::new(params.clone());
        while let Some(params) = walk.next_params() {
            let page = self.list(&params)?;
            walk.take(page)?;
        }
        Ok(walk.into_files())
    }

    /// One file's metadata.
    pub fn retrieve(&self, id: &str) -> Result<FileObject> {
        self.json(build_retrieve(&self.provider, id)?, EXPECT_FILE)
    }

    /// Deletes a file.
    pub fn delete(&self, id: &str) -> Result<DeletedFile> {
        self.json(build_delete(&self.provider, id)?, EXPECT_DELETED)
    }

    /// Starts downloading a file's content; read it from the returned [`Download`].
    pub fn download(&self, id: &str) -> Result<Download> {
        let response = self.transport.send(build_content(&self.provider, id)?)?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = read_up_to(body, MAX_ERROR_BODY)?;
            return Err(api_error(&parts, &bytes).into());
        }
        Ok(Download::new(&parts, body))
    }

    /// Downloads a file's content into `writer`, in constant memory; returns the byte count.
    pub fn download_to<W: Write + ?Sized>(&self, id: &str, writer: &mut W) -> Result<u64> {
        let mut download = self.download(id)?;
        copy_download(&mut download, writer, Path::new("the destination writer"))
    }

    fn json<R: DeserializeOwned>(&self, request: http::Request<Body>, expected: &str) -> Result<R> {
        let (parts, body) = self.transport.send(request)?.into_parts();
        let bytes = read_up_to(body, json_read_limit(&parts))?;
        finish_json(&parts, &bytes, expected)
    }
    /// Uploads a file. A path is inspected (size and first bytes) and checked against the
    /// provider's rules before anything is sent; its content is streamed, never loaded whole.
    pub fn upload(&self, upload: UploadRequest) -> Result<FileObject> {
        let probe = match upload.local_path() {
            Some(path) => Some(self.transport.probe(path, PROBE_PREFIX_LEN)?),
            None => None,
        };
        let request = build_upload(&self.provider, &upload, probe.as_ref(), Boundary::random())?;
        self.json(request, EXPECT_FILE)
    }

    /// Downloads a file's content to `dest`. The bytes go to a temporary file beside it that
    /// replaces `dest` only once complete; on any failure nothing is left behind.
    pub fn download_to_path(&self, id: &str, dest: &Path) -> Result<u64> {
        let mut download = self.download(id)?;
        let mut file = self.transport.create(dest)?;
        let written = copy_download(&mut download, &mut file, dest)?;
        file.commit()?;
        Ok(written)
    }
}

/// Copies a download into `writer` through a fixed buffer.
fn copy_download<W: Write + ?Sized>(
    download: &mut Download,
    writer: &mut W,
    dest: &Path,
) -> Result<u64> {
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

/// Reads at most `limit` bytes of a response body.
fn read_up_to(body: ResponseBody, limit: usize) -> Result<Vec<u8>, TransportError> {
    let mut bytes = Vec::new();
    body.take(limit as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| TransportError::io("reading the response", e))?;
    Ok(bytes)
}
