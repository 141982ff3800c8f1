//! A blocking transport for `files-client` over [ureq] 3, HTTP/1.1 with rustls.
//!
//! A client takes it with a provider — `Client::new(OpenAi::from_env()?, UreqTransport::new()?)`
//! with `files-client` and `provider-openai`; their pages and the `llm-files` facade's
//! examples show the calls. On its own it carries one HTTP exchange ([`Transport`]):
//!
//! ```no_run
//! use files_core::Timeouts;
//! use files_io::{RequestBody, Transport};
//! use transport_ureq::UreqTransport;
//!
//! let transport = UreqTransport::new()?;
//! let request = http::Request::get("https://api.openai.com/v1/files")
//!     .header("authorization", "Bearer sk-...")
//!     .body(RequestBody::empty())?;
//! let response = transport.send(request, &Timeouts::default())?;
//! println!("{}", response.status()); // any status comes back as a response
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`UreqTransport`] holds one reused `ureq::Agent` (connections are pooled), sends each
//! request body with the exact `Content-Length` the core computed, hands back responses of
//! any status for the core to judge, and streams response bodies without ureq's 10 MiB read
//! cap. Redirects are off: they would carry the API key to another host. Each request's
//! [`Timeouts`] become ureq's: the wait for the response head, and a limit on every socket
//! read and write (the idle limit).
//!
//! It trusts Mozilla's root certificates (webpki); when `SSL_CERT_FILE` names a PEM
//! bundle, the certificates in it instead, as curl does. The builder adds roots of your own (a private CA, a test server's
//! self-signed certificate). A certificate the client refuses is a
//! [`TransportErrorKind::Certificate`], which is not retried.
//!
//! Proxies follow `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case) by the
//! rule `transport-reqwest` follows too ([`Proxies`]); the builder sets one proxy for every
//! request ([`UreqTransportBuilder::proxy`]) or none ([`UreqTransportBuilder::no_proxy`]).
//! ureq reaches an `http://` target through a proxy with `CONNECT`, as it does an `https://`
//! one. A proxy's password never appears in an error.
//!
//! [ureq]: https://docs.rs/ureq/3
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Read};
use std::time::Duration;

use files_core::Timeouts;
use files_core::{TransportError, TransportErrorKind};
use files_io::transport::{RequestBody, ResponseBody, Transport};
use ureq::SendBody;

pub use transport_tls::{Proxies, ProxyUrl, SSL_CERT_FILE};
use transport_tls::{Refusal, ResolvedRoots};

/// How long to wait for a connection, as the official SDKs do.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The ureq transport. Clone it freely: clones share their connection pools (one for direct
/// connections, one for each proxy).
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agents: Vec<(Option<ProxyUrl>, ureq::Agent)>,
    proxies: Proxies,
}

impl UreqTransport {
    /// A transport with a 5 s connect timeout that trusts Mozilla's root certificates, or,
    /// when `SSL_CERT_FILE` names a PEM bundle, the certificates in it instead.
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` is set but its file cannot be read or holds no certificate.
    pub fn new() -> Result<Self, TransportError> {
        UreqTransport::builder().build()
    }

    /// A transport with the given connect timeout (and the roots of [`UreqTransport::new`]).
    /// The other limits come with each request.
    ///
    /// # Errors
    ///
    /// As for [`UreqTransport::new`].
    pub fn with_connect_timeout(connect: Duration) -> Result<Self, TransportError> {
        UreqTransport::builder().connect_timeout(connect).build()
    }

    /// A builder for a transport with extra root certificates or other settings.
    ///
    /// ```no_run
    /// let pem = std::fs::read("company-ca.pem")?;
    /// let transport = transport_ureq::UreqTransport::builder()
    ///     .add_root_certificates_pem(&pem, "company-ca.pem")?
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            roots: transport_tls::Roots::default(),
            proxies: transport_tls::ProxySetting::FromEnv,
        }
    }
}

/// Settings for a [`UreqTransport`]; from [`UreqTransport::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct UreqTransportBuilder {
    connect_timeout: Duration,
    roots: transport_tls::Roots,
    proxies: transport_tls::ProxySetting,
}

impl UreqTransportBuilder {
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

    /// Whether `SSL_CERT_FILE`, when set, replaces the built-in roots (yes by default).
    pub fn honour_ssl_cert_file(mut self, honour: bool) -> Self {
        self.roots.honour_ssl_cert_file(honour);
        self
    }

    /// The transport.
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` is honoured and set, but its file cannot be read or holds
    /// no certificate, or when a proxy variable holds no proxy URL (or `NO_PROXY` an entry
    /// that is no host).
    pub fn build(self) -> Result<UreqTransport, TransportError> {
        let proxies = self.proxies.resolve()?;
        let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        // ureq's built-in roots are Mozilla's, so SSL_CERT_FILE left unused changes nothing.
        let roots = match self.roots.resolve()? {
            ResolvedRoots::BuiltIn(added) | ResolvedRoots::MozillaAnd(added)
                if added.is_empty() =>
            {
                ureq::tls::RootCerts::WebPki
            }
            ResolvedRoots::BuiltIn(added) | ResolvedRoots::MozillaAnd(added) => {
                certificates(mozilla.iter().chain(&added))
            }
            ResolvedRoots::Only(roots) => certificates(roots.iter()),
        };
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let agent = |proxy: Option<&ProxyUrl>| -> Result<ureq::Agent, TransportError> {
            let proxy = match proxy {
                Some(proxy) => Some(ureq::Proxy::new(proxy.as_url()).map_err(|e| {
                    let what = format!(
                        "the proxy {proxy} cannot be used: {}",
                        proxies.scrub(&e.to_string())
                    );
                    TransportError::new(TransportErrorKind::Other, what)
                })?),
                None => None,
            };
            Ok(ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_connect(Some(self.connect_timeout))
                .tls_config(tls.clone())
                .proxy(proxy)
                .build()
                .into())
        };
        let mut agents = vec![(None, agent(None)?)];
        for proxy in proxies.distinct() {
            agents.push((Some(proxy.clone()), agent(Some(proxy))?));
        }
        Ok(UreqTransport { agents, proxies })
    }
}

/// ureq's roots from DER certificates.
fn certificates<'a>(
    der: impl Iterator<Item = &'a rustls::pki_types::CertificateDer<'a>>,
) -> ureq::tls::RootCerts {
    der.map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect::<Vec<_>>()
        .into()
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<RequestBody>,
        timeouts: &Timeouts,
    ) -> Result<http::Response<ResponseBody>, TransportError> {
        let (parts, body) = request.into_parts();
        let authority = authority(&parts.uri);
        let via = self.proxies.for_uri(&parts.uri);
        let agent = self
            .agents
            .iter()
            .find(|(proxy, _)| proxy.as_ref() == via)
            .map_or(&self.agents[0].1, |(_, agent)| agent);
        let body = if body.is_empty() {
            SendBody::none()
        } else {
            SendBody::from_owned_reader(body)
        };
        let request = agent
            .configure_request(http::Request::from_parts(parts, body))
            .timeout_recv_response(timeouts.response_head())
            .timeout_per_read(timeouts.idle)
            .timeout_per_write(timeouts.idle)
            .build();
        let response = agent
            .run(request)
            .map_err(|e| self.proxies.scrub_error(map_error(e, &authority), via))?;
        let (parts, body) = response.into_parts();
        let reader = body.into_with_config().limit(u64::MAX).reader();
        Ok(http::Response::from_parts(
            parts,
            ResponseBody::new(BodyReader(reader)),
        ))
    }
}

/// A response body whose errors keep their kind: a ureq timeout becomes
/// `io::ErrorKind::TimedOut`, so it is reported (and retried) as a timeout.
struct BodyReader<R>(R);

impl<R: Read> Read for BodyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let is_timeout = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)));
            if is_timeout {
                io::Error::new(io::ErrorKind::TimedOut, e.to_string())
            } else {
                e
            }
        })
    }
}

/// The `host:port` a request goes to, for messages.
fn authority(uri: &http::Uri) -> String {
    let host = uri.host().unwrap_or("?");
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    format!("{host}:{port}")
}

/// Whether an IO error is a failed name lookup. The standard library reports one as an
/// uncategorised error whose text it fixes ("failed to lookup address information: …"), so
/// the text is all there is to go by.
fn is_lookup_failure(error: &io::Error) -> bool {
    error
        .to_string()
        .starts_with("failed to lookup address information")
}

/// Why the client refused the server's certificate, if it did: ureq's own error is opened
/// first (it keeps an IO error's cause out of `source()`).
fn certificate_refusal(error: &ureq::Error) -> Option<Refusal> {
    match error {
        ureq::Error::Rustls(tls) => transport_tls::certificate_refusal(tls),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| transport_tls::certificate_refusal(inner)),
        other => transport_tls::certificate_refusal(other),
    }
}

/// Maps a ureq error onto the core's transport error, naming the `host:port` it was for.
fn map_error(error: ureq::Error, authority: &str) -> TransportError {
    let refusal = certificate_refusal(&error);
    let kind = match &error {
        _ if refusal.is_some() => TransportErrorKind::Certificate,
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        // A proxy that could not open the tunnel: as reqwest reports it (a 407 becomes a
        // proxy refusal when the proxy's rules see it).
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => TransportErrorKind::Connect,
        ureq::Error::Io(e) if is_lookup_failure(e) => TransportErrorKind::Connect,
        ureq::Error::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NotFound
            | io::ErrorKind::AddrNotAvailable => TransportErrorKind::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => TransportErrorKind::Connect,
        _ => TransportErrorKind::Other,
    };
    let context = match (kind, &error) {
        (TransportErrorKind::Connect, ureq::Error::HostNotFound) => {
            format!("looking up {authority}")
        }
        (TransportErrorKind::Connect, ureq::Error::Io(e)) if is_lookup_failure(e) => {
            format!("looking up {authority}")
        }
        (TransportErrorKind::Connect, _) => format!("connecting to {authority}"),
        (TransportErrorKind::Certificate, _) => {
            refusal.unwrap_or(Refusal::Other).message(authority)
        }
        (TransportErrorKind::Timeout, _) => format!("waiting for {authority}"),
        _ => format!("sending the request to {authority}"),
    };
    TransportError::with_source(kind, context, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_proxy_password_stays_out_of_debug() {
        let proxy = ProxyUrl::parse("http://alice:pw-in-debug@127.0.0.1:3128", "test").unwrap();
        let transport = UreqTransport::builder().proxy(proxy).build().unwrap();
        let shown = format!("{transport:?}");
        assert!(!shown.contains("pw-in-debug"), "{shown}");
        assert!(shown.contains("alice:***@127.0.0.1:3128"), "{shown}");
    }

    #[test]
    fn a_refused_certificate_is_found_inside_ureq_errors() {
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, untrusted);
        let error = map_error(ureq::Error::Io(io), "h:443");
        assert_eq!(error.kind, TransportErrorKind::Certificate);
        assert!(error.message.contains("h:443 is not trusted"), "{error}");
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let error = map_error(ureq::Error::Rustls(expired), "h:443");
        assert_eq!(error.kind, TransportErrorKind::Certificate);
        assert!(error.message.contains("has expired"), "{error}");
        let other = io::Error::new(io::ErrorKind::InvalidData, "bad record");
        assert_eq!(certificate_refusal(&ureq::Error::Io(other)), None);
    }

    #[test]
    fn a_silent_server_times_out() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/files", silent.local_addr().unwrap());
        let request = http::Request::get(url).body(RequestBody::empty()).unwrap();
        let timeouts = Timeouts::new(Duration::from_millis(200), Duration::from_secs(5));
        let err = UreqTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
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

    #[test]
    fn a_server_that_stops_reading_the_body_trips_the_idle_limit() {
        // The server reads the head and a little of the body, then stops reading; it lets the
        // client (whose writes have stalled) go only once it has given up.
        let (addr, thread) = serve_once(|mut stream| {
            let _ = stream.read(&mut [0u8; 64 * 1024]);
            std::thread::sleep(Duration::from_secs(1));
            let _ = stream.shutdown(std::net::Shutdown::Both);
        });
        let url = format!("http://{addr}/v1/files");
        let len = 64 * 1024 * 1024;
        let body = RequestBody::new(io::repeat(0).take(len), len);
        let request = http::Request::post(url)
            .header("content-length", len)
            .body(body)
            .unwrap();
        let timeouts = Timeouts::new(Duration::from_secs(30), Duration::from_millis(300));
        let err = UreqTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        thread.join().unwrap();
    }

    #[test]
    fn a_body_that_stops_trips_the_idle_limit_as_a_timeout() {
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
        let request = http::Request::get(url).body(RequestBody::empty()).unwrap();
        let timeouts = Timeouts::new(Duration::from_secs(5), Duration::from_millis(200));
        let response = UreqTransport::new()
            .unwrap()
            .send(request, &timeouts)
            .unwrap();
        let mut body = response.into_body();
        let mut buf = [0u8; 100];
        let mut got = 0;
        let err = loop {
            match body.read(&mut buf[got..]) {
                Ok(n) => got += n,
                Err(e) => break e,
            }
        };
        assert_eq!(got, 10);
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        drop(body);
        thread.join().unwrap();
    }
}
