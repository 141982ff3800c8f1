//! An async transport for `files-client` over [reqwest] 0.13, HTTP/1.1 with rustls.
//!
//! A client takes it with a provider — `AsyncClient::new(OpenAi::from_env()?,
//! ReqwestTransport::new()?)` with `files-client` (feature `async`) and `provider-openai`;
//! their pages and the `llm-files` facade's examples show the calls. On its own it carries one
//! HTTP exchange ([`AsyncTransport`]):
//!
//! ```no_run
//! use files_core::Timeouts;
//! use files_io::{AsyncRequestBody, AsyncTransport};
//! use transport_reqwest::ReqwestTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = ReqwestTransport::new()?;
//! let request = http::Request::get("https://api.openai.com/v1/files")
//!     .header("authorization", "Bearer sk-...")
//!     .body(AsyncRequestBody::empty())?;
//! let response = transport.send(request, &Timeouts::default()).await?;
//! println!("{}", response.status()); // any status comes back as a response
//! # Ok(()) }
//! ```
//!
//! [`ReqwestTransport`] holds one reused `reqwest::Client`. Each request body is streamed
//! with an exact size, so reqwest sends the core's `Content-Length` and never switches to
//! chunked. Responses of every status come back with their body as a stream; downloads are
//! never buffered. Redirects are off: they would carry the API key to another host. Each
//! request's [`Timeouts`] are kept here: a watchdog ends a request whose body the server
//! stopped reading (time spent connecting, or waiting on the body's own source, does not
//! count), or whose response head is late, and every chunk of the response body must come
//! within the idle limit.
//!
//! It trusts the platform's root certificates; when `SSL_CERT_FILE` names a PEM bundle, the certificates in it
//! instead, as curl does. The builder adds roots of your own (a private CA, a test server's
//! self-signed certificate). A certificate the client refuses is a
//! [`TransportErrorKind::Certificate`], which is not retried.
//!
//! Proxies follow `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case) by the
//! rule `transport-ureq` follows too ([`Proxies`]), not reqwest's own reading of them; the
//! builder sets one proxy for every request ([`ReqwestTransportBuilder::proxy`]) or none
//! ([`ReqwestTransportBuilder::no_proxy`]). An `http://` target goes through a proxy as a
//! request in absolute form, an `https://` one through a `CONNECT` tunnel. A proxy's password
//! never appears in an error.
//!
//! [reqwest]: https://docs.rs/reqwest/0.13
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
use transport_tls::ResolvedRoots;
pub use transport_tls::{Proxies, ProxyUrl, SSL_CERT_FILE};

use std::time::Duration;

use bytes::Bytes;
use files_core::Timeouts;
use files_core::{TransportError, TransportErrorKind};
use files_io::transport::{AsyncRequestBody, AsyncResponseBody, AsyncTransport};
use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use tokio::sync::watch;

use body::{ActivityBody, Sending};

/// How long to wait for a connection, as the official SDKs do.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The reqwest transport. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    /// The rules the client was built with, to scrub errors and name the proxy in them.
    proxies: Proxies,
}

impl ReqwestTransport {
    /// A transport with a 5 s connect timeout, no redirects, and rustls with the `ring`
    /// provider (installed as the process's default unless one is installed already). It
    /// trusts the platform's root certificates, or, when `SSL_CERT_FILE` names a PEM bundle,
    /// the certificates in it instead. The other limits come with each request.
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` is set but its file cannot be read or holds no certificate,
    /// or when the HTTP client cannot be built.
    pub fn new() -> Result<Self, TransportError> {
        ReqwestTransport::builder().build()
    }

    /// A builder for a transport with extra root certificates or other settings.
    ///
    /// ```no_run
    /// let pem = std::fs::read("company-ca.pem")?;
    /// let transport = transport_reqwest::ReqwestTransport::builder()
    ///     .add_root_certificates_pem(&pem, "company-ca.pem")?
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            roots: transport_tls::Roots::default(),
            proxies: transport_tls::ProxySetting::FromEnv,
        }
    }

    /// A transport from a reqwest client builder of the caller's (proxies, client
    /// certificates, its own roots); redirects are turned off. `SSL_CERT_FILE` and the proxy
    /// variables are then the builder's business: reqwest reads them by its own rules.
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
            proxies: Proxies::none(),
        }
    }
}

/// Settings for a [`ReqwestTransport`]; from [`ReqwestTransport::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ReqwestTransportBuilder {
    connect_timeout: Duration,
    roots: transport_tls::Roots,
    proxies: transport_tls::ProxySetting,
}

impl ReqwestTransportBuilder {
    /// How long to wait for a connection (5 s by default).
    pub fn connect_timeout(mut self, connect: Duration) -> Self {
        self.connect_timeout = connect;
        self
    }

    /// Trusts the certificates of a PEM bundle as well as the default roots: a private CA,
    /// or a local server's self-signed certificate. `name` says where the bundle came from
    /// (a path, say), for the error.
    ///
    /// # Errors
    ///
    /// Fails, naming `name`, when the bundle is not PEM or holds no certificate.
    pub fn add_root_certificates_pem(
        mut self,
        pem: &[u8],
        name: &str,
    ) -> Result<Self, TransportError> {
        self.roots.add_pem(pem, name)?;
        Ok(self)
    }

    /// Trusts the certificates of the PEM file at `path` as well as the default roots.
    ///
    /// # Errors
    ///
    /// Fails, naming the path, when it cannot be read, is not PEM or holds no certificate.
    pub fn add_root_certificates_file(
        mut self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, TransportError> {
        self.roots.add_file(path.as_ref())?;
        Ok(self)
    }

    /// Whether `SSL_CERT_FILE`, when set, replaces the built-in roots (yes by default).
    pub fn honour_ssl_cert_file(mut self, honour: bool) -> Self {
        self.roots.honour_ssl_cert_file(honour);
        self
    }

    /// Sends every request through `proxy`, except to the hosts `NO_PROXY` names, instead of
    /// the proxies the environment names.
    pub fn proxy(mut self, proxy: ProxyUrl) -> Self {
        self.proxies = transport_tls::ProxySetting::Through(proxy);
        self
    }

    /// Sends every request directly, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.proxies = transport_tls::ProxySetting::Direct;
        self
    }

    /// Uses these proxy rules instead of the environment's.
    pub fn proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = transport_tls::ProxySetting::Rules(proxies);
        self
    }

    /// The transport.
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` is honoured and set, but its file cannot be read or holds
    /// no certificate, when a proxy variable holds no proxy URL, or when the HTTP client
    /// cannot be built.
    pub fn build(self) -> Result<ReqwestTransport, TransportError> {
        let proxies = self.proxies.resolve()?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .no_proxy();
        if !proxies.distinct().is_empty() {
            let rules = proxies.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| {
                rules
                    .for_target(url.scheme(), url.host_str().unwrap_or(""), url.port())
                    .map(|proxy| proxy.as_url().to_owned())
            }));
        }
        builder = match self.roots.resolve()? {
            ResolvedRoots::BuiltIn(added) if added.is_empty() => builder,
            ResolvedRoots::BuiltIn(added) => builder.tls_certs_merge(certificates(&added)?),
            ResolvedRoots::Only(roots) => builder.tls_certs_only(certificates(&roots)?),
            // reqwest's platform verifier reads SSL_CERT_FILE itself (on Linux), even when it
            // is not to be honoured or is empty: then Mozilla's roots are used, as ureq does.
            ResolvedRoots::MozillaAnd(added) => {
                let mut roots = certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS)?;
                roots.extend(certificates(&added)?);
                builder.tls_certs_only(roots)
            }
        };
        let mut transport = ReqwestTransport::from_builder(builder)?;
        transport.proxies = proxies;
        Ok(transport)
    }
}

/// reqwest's certificates from DER ones.
fn certificates(
    der: &[rustls::pki_types::CertificateDer<'static>],
) -> Result<Vec<reqwest::Certificate>, TransportError> {
    der.iter()
        .map(|c| {
            reqwest::Certificate::from_der(c.as_ref()).map_err(|e| {
                TransportError::with_source(
                    TransportErrorKind::Other,
                    "reading a root certificate",
                    e,
                )
            })
        })
        .collect()
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
        request: http::Request<AsyncRequestBody>,
        timeouts: &Timeouts,
    ) -> Result<http::Response<AsyncResponseBody>, TransportError> {
        let (parts, body) = request.into_parts();
        let via = self.proxies.for_uri(&parts.uri);
        let scrub = |error: TransportError| self.proxies.scrub_error(error, via);
        let (progress, watched) = watch::channel(Sending::default());
        let body = if body.is_empty() {
            progress.send_modify(|s| s.done = true);
            reqwest::Body::from(Bytes::new())
        } else {
            reqwest::Body::wrap(ActivityBody::new(body, progress))
        };
        let request =
            reqwest::Request::try_from(http::Request::from_parts(parts, body)).map_err(|e| {
                TransportError::with_source(TransportErrorKind::Other, "preparing the request", e)
            })?;
        let response = tokio::select! {
            response = self.client.execute(request) => response.map_err(|e| scrub(map_error(e)))?,
            error = watchdog(watched, *timeouts) => return Err(error),
        };
        let mut head = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        let proxies = self.proxies.clone();
        let chunks = response
            .bytes_stream()
            .map_err(move |e| proxies.scrub_error(map_error(e), None));
        let chunks = idle_limited(chunks, timeouts.idle);
        head.body(AsyncResponseBody::new(chunks)).map_err(|e| {
            TransportError::with_source(TransportErrorKind::Other, "reading the response head", e)
        })
    }
}

/// Resolves with a timeout error when the request stalls: while the body is being sent,
/// when no chunk goes out for the idle limit though the body has one ready (the server
/// stopped reading); once it is sent, when no response head arrives within the request limit
/// (or the idle one, if smaller). Connecting is the client's connect timeout's business, and
/// a body waiting on its own source is not the server's fault: neither counts as idle.
async fn watchdog(mut sending: watch::Receiver<Sending>, timeouts: Timeouts) -> TransportError {
    let mut sent = false;
    loop {
        let state = *sending.borrow_and_update();
        sent |= state.done;
        if sent {
            let Some(limit) = timeouts.response_head() else {
                return std::future::pending().await;
            };
            tokio::time::sleep(limit).await;
            return TransportError::new(
                TransportErrorKind::Timeout,
                format!("no response within {limit:?} of sending the request"),
            );
        }
        let idle = timeouts
            .idle
            .filter(|_| state.started && !state.awaiting_source);
        let changed = match idle {
            Some(idle) => match tokio::time::timeout(idle, sending.changed()).await {
                Ok(changed) => changed,
                Err(_) => {
                    return TransportError::new(
                        TransportErrorKind::Timeout,
                        format!("the server stopped reading the request body for {idle:?}"),
                    );
                }
            },
            None => sending.changed().await,
        };
        // A closed channel means the body is gone: sent, or dropped because the server
        // answered early.
        sent |= changed.is_err();
    }
}

/// The response body, failing with a timeout when a chunk takes longer than `idle`.
fn idle_limited(
    chunks: impl Stream<Item = Result<Bytes, TransportError>> + Send + Unpin + 'static,
    idle: Option<Duration>,
) -> impl Stream<Item = Result<Bytes, TransportError>> + Send + 'static {
    stream::unfold(Some(chunks), move |state| async move {
        let mut chunks = state?;
        let next = match idle {
            Some(idle) => match tokio::time::timeout(idle, chunks.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let error = TransportError::new(
                        TransportErrorKind::Timeout,
                        format!(
                            "the server sent nothing for {idle:?} in the middle of the response"
                        ),
                    );
                    return Some((Err(error), None));
                }
            },
            None => chunks.next().await,
        };
        match next? {
            Ok(chunk) => Some((Ok(chunk), Some(chunks))),
            Err(error) => Some((Err(error), None)),
        }
    })
}

/// Maps a reqwest error onto the core's transport error, keeping its cause chain and naming
/// the `host:port` it was for.
fn map_error(error: reqwest::Error) -> TransportError {
    let authority = error
        .url()
        .map(|url| {
            let host = url.host_str().unwrap_or("?");
            match url.port_or_known_default() {
                Some(port) => format!(" {host}:{port}"),
                None => format!(" {host}"),
            }
        })
        .unwrap_or_default();
    let (kind, context) = if let Some(refusal) = transport_tls::certificate_refusal(&error) {
        let authority = match authority.trim_start() {
            "" => "the server",
            known => known,
        };
        (TransportErrorKind::Certificate, refusal.message(authority))
    } else if error.is_connect() {
        (
            TransportErrorKind::Connect,
            format!("connecting to{authority}"),
        )
    } else if error.is_timeout() {
        (
            TransportErrorKind::Timeout,
            format!("waiting for{authority}"),
        )
    } else if error.is_body() || error.is_request() || error.is_decode() {
        (
            TransportErrorKind::Io,
            format!(
                "transferring the request or response{}",
                with_to(&authority)
            ),
        )
    } else {
        (
            TransportErrorKind::Other,
            format!("HTTP exchange{}", with_to(&authority)),
        )
    };
    TransportError::with_source(kind, context, error)
}

/// ` with host:port` when the host is known.
fn with_to(authority: &str) -> String {
    if authority.is_empty() {
        String::new()
    } else {
        format!(" with{authority}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_proxy_password_stays_out_of_debug() {
        let proxy = ProxyUrl::parse("http://alice:pw-in-debug@127.0.0.1:3128", "test").unwrap();
        let transport = ReqwestTransport::builder().proxy(proxy).build().unwrap();
        let shown = format!("{transport:?}");
        assert!(!shown.contains("pw-in-debug"), "{shown}");
        assert!(shown.contains("alice:***@127.0.0.1:3128"), "{shown}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out_after_the_body_is_sent() {
        // The kernel accepts the connection into the backlog; nobody ever answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/files", silent.local_addr().unwrap());
        let request = http::Request::post(url)
            .header("content-length", 3)
            .body(AsyncRequestBody::from_bytes(&b"abc"[..]))
            .unwrap();
        let timeouts = Timeouts::new(Duration::from_millis(200), Duration::from_secs(5));
        let err = ReqwestTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        assert!(
            err.to_string().contains("no response within 200ms"),
            "{err}"
        );
    }

    /// A server for one connection, which `behaviour` handles on a thread of its own.
    fn serve_once(
        behaviour: impl FnOnce(std::net::TcpStream) + Send + 'static,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let thread = std::thread::spawn(move || behaviour(server.accept().unwrap().0));
        (addr, thread)
    }

    #[tokio::test]
    async fn a_server_that_stops_reading_the_body_trips_the_idle_limit() {
        static CHUNK: [u8; 64 * 1024] = [0; 64 * 1024];
        // The server reads the head and a little of the body, then stops reading; it lets the
        // client (whose writes have stalled) go only once it has given up.
        let (addr, thread) = serve_once(|mut stream| {
            let _ = stream.read(&mut [0u8; 64 * 1024]);
            std::thread::sleep(Duration::from_secs(1));
            let _ = stream.shutdown(std::net::Shutdown::Both);
        });
        let url = format!("http://{addr}/v1/files");
        let chunks = (0..1024).map(|_| Ok(Bytes::from_static(&CHUNK)));
        let body = AsyncRequestBody::new(stream::iter(chunks), 64 * 1024 * 1024);
        let request = http::Request::post(url)
            .header("content-length", body.len())
            .body(body)
            .unwrap();
        let timeouts = Timeouts::new(Duration::from_secs(30), Duration::from_millis(300));
        let err = ReqwestTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        assert!(
            err.to_string().contains("stopped reading the request body"),
            "{err}"
        );
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_body_that_stops_trips_the_idle_limit_as_a_timeout() {
        let (addr, thread) = serve_once(|mut stream| {
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                .unwrap();
            // Stall until the client gives up and closes the connection.
            let _ = stream.read(&mut head);
        });
        let url = format!("http://{addr}/v1/files/f/content");
        let request = http::Request::get(url)
            .body(AsyncRequestBody::empty())
            .unwrap();
        let timeouts = Timeouts::new(Duration::from_secs(5), Duration::from_millis(200));
        let response = ReqwestTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .await
            .unwrap();
        let mut body = response.into_body();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"0123456789");
        let err = body.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        assert!(body.next().await.is_none());
        drop(body);
        // Joined off the runtime, which must stay free to close the connection.
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
    }
}
