//! An async transport for `files-core` over [reqwest] 0.13 (rustls).
//!
//! [`ReqwestTransport`] holds one reused `reqwest::Client`. Each request body is streamed from
//! its segments with an exact size, so reqwest sends the core's `Content-Length` and never
//! switches to chunked; files are read with tokio's file IO and blocking readers on tokio's
//! blocking pool, so the async runtime is never blocked. Responses of every status come back
//! with their body as a stream; downloads are never buffered. Redirects are off: they would
//! carry the API key to another host. Path uploads and downloads to a path use `tokio::fs`.
//!
//! ```no_run
//! use files_core::{AsyncClient, Purpose, UploadRequest};
//! use provider_openai::OpenAi;
//! use transport_reqwest::ReqwestTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = AsyncClient::new(OpenAi::from_env()?, ReqwestTransport::new()?);
//! let file = client.upload(UploadRequest::from_path("batch.jsonl", Purpose::BATCH)).await?;
//! client.download_to_path(&file.id, "copy.jsonl".as_ref()).await?;
//! # Ok(()) }
//! ```
//!
//! [reqwest]: https://docs.rs/reqwest/0.13
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod files;

use std::path::Path;
use std::time::Duration;

use files_core::{
    AsyncPartialFile, AsyncResponseBody, AsyncTransport, Body, FileProbe, LocalFileError,
    TransportError, TransportErrorKind,
};
use futures_util::TryStreamExt;

pub use files::TokioPartialFile;

/// How long to wait for a connection, as the official SDKs do.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a response's head once the request body is sent, as the official
/// SDKs do.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(600);

/// The reqwest transport. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    response_timeout: Duration,
}

impl ReqwestTransport {
    /// A transport with a 5 s connect timeout, a 600 s wait for the response once the body
    /// is sent, no redirects, and rustls with the `ring` provider (installed as the process's
    /// default unless one is installed already). There is no overall timeout: a large upload or
    /// download takes as long as it takes.
    pub fn new() -> Result<Self, TransportError> {
        ReqwestTransport::from_builder(
            reqwest::Client::builder().connect_timeout(DEFAULT_CONNECT_TIMEOUT),
        )
    }

    /// A transport from a reqwest client builder of the caller's; redirects are turned off.
    pub fn from_builder(builder: reqwest::ClientBuilder) -> Result<Self, TransportError> {
        install_crypto_provider();
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                TransportError::with_source(
                    TransportErrorKind::Other,
                    "building the HTTP client",
                    e,
                )
            })?;
        Ok(ReqwestTransport::from_client(client))
    }

    /// A transport over a ready-made client. It should not follow redirects.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }

    /// Sets how long to wait for the response's head once the request body is sent. The clock
    /// starts only after the last byte of the body, so a slow upload never trips it.
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }
}

/// Makes `ring` the process's rustls provider, unless one is installed already.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either way a provider is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[async_trait::async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError> {
        let (parts, body) = request.into_parts();
        // `sent` resolves when the body's last byte is handed over (or the body is dropped).
        let (sent_tx, sent) = tokio::sync::oneshot::channel::<()>();
        let body = if body.is_empty() {
            drop(sent_tx);
            reqwest::Body::from(bytes::Bytes::new())
        } else {
            reqwest::Body::wrap(body::SegmentBody::new(body, sent_tx))
        };
        let request =
            reqwest::Request::try_from(http::Request::from_parts(parts, body)).map_err(|e| {
                TransportError::with_source(TransportErrorKind::Other, "preparing the request", e)
            })?;
        let timeout = self.response_timeout;
        let deadline = async move {
            let _ = sent.await;
            tokio::time::sleep(timeout).await;
        };
        let response = tokio::select! {
            response = self.client.execute(request) => response.map_err(map_error)?,
            () = deadline => {
                return Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no response within {timeout:?} of sending the request"),
                ));
            }
        };
        let mut head = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        let stream = response.bytes_stream().map_err(map_error);
        head.body(AsyncResponseBody::new(stream)).map_err(|e| {
            TransportError::with_source(TransportErrorKind::Other, "reading the response head", e)
        })
    }

    async fn probe(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        files::probe_file(path, prefix_len).await
    }

    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError> {
        Ok(Box::new(TokioPartialFile::create(dest).await?))
    }
}

/// Maps a reqwest error onto the core's transport error, keeping its cause chain.
fn map_error(error: reqwest::Error) -> TransportError {
    let (kind, context) = if error.is_connect() {
        (TransportErrorKind::Connect, "connecting to the server")
    } else if error.is_timeout() {
        (TransportErrorKind::Timeout, "waiting for the server")
    } else if error.is_body() || error.is_request() || error.is_decode() {
        (
            TransportErrorKind::Io,
            "transferring the request or response",
        )
    } else {
        (TransportErrorKind::Other, "HTTP exchange")
    };
    TransportError::with_source(kind, context, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_silent_server_times_out_after_the_body_is_sent() {
        // The kernel accepts the connection into the backlog; nobody ever answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/files", silent.local_addr().unwrap());
        let transport = ReqwestTransport::new()
            .unwrap()
            .with_response_timeout(Duration::from_millis(200));
        let request = http::Request::post(url)
            .header("content-length", 3)
            .body(Body::from_bytes(&b"abc"[..]))
            .unwrap();
        let err = transport.send(request).await.unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        assert!(
            err.to_string().contains("no response within 200ms"),
            "{err}"
        );
    }
}
