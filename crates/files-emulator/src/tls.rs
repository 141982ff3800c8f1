//! HTTPS for the emulator: a server identity (a certificate chain and its key), from PEM or
//! made up on the spot, and the listener that does each TLS handshake off the accept loop.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::conn::{Connection, with_handle};
use crate::error::EmulatorError;

/// How long a client may take over its TLS handshake before its connection is dropped.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// A server certificate chain and its private key, for serving HTTPS.
///
/// ```
/// use files_emulator::TlsIdentity;
///
/// let identity = TlsIdentity::self_signed(&["localhost", "127.0.0.1"])?;
/// assert!(identity.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// # Ok::<(), files_emulator::EmulatorError>(())
/// ```
#[derive(Clone)]
pub struct TlsIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    certificate_pem: String,
}

impl TlsIdentity {
    /// An identity from a PEM certificate chain (the server's certificate first) and a PEM
    /// private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`EmulatorError::Tls`] when either holds nothing usable, or the key does not suit
    /// the certificate.
    pub fn from_pem(certificate_chain: &[u8], key: &[u8]) -> Result<Self, EmulatorError> {
        let chain = CertificateDer::pem_slice_iter(certificate_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EmulatorError::Tls(format!("the certificate is not valid PEM: {e}")))?;
        if chain.is_empty() {
            return Err(EmulatorError::Tls(
                "the certificate file holds no \"-----BEGIN CERTIFICATE-----\" block".to_owned(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            EmulatorError::Tls(format!(
                "the key file holds no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"
            ))
        })?;
        let identity = TlsIdentity {
            chain,
            key: Arc::new(key),
            certificate_pem: certificate_blocks(certificate_chain),
        };
        identity.server_config()?;
        Ok(identity)
    }

    /// A new self-signed certificate for `names` (host names or IP addresses), with a fresh
    /// key: what clients trust by adding [`certificate_pem`](Self::certificate_pem) to their
    /// roots.
    ///
    /// # Errors
    ///
    /// [`EmulatorError::Tls`] when a name is not a valid DNS name or address.
    pub fn self_signed(names: &[&str]) -> Result<Self, EmulatorError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let made = rcgen::generate_simple_self_signed(names)
            .map_err(|e| EmulatorError::Tls(format!("could not make a certificate: {e}")))?;
        let certificate_pem = made.cert.pem();
        let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
            .map_err(|e| EmulatorError::Tls(format!("could not use the new key: {e}")))?;
        Ok(TlsIdentity {
            chain: vec![made.cert.der().clone()],
            key: Arc::new(key),
            certificate_pem,
        })
    }

    /// The certificate chain as PEM: for a self-signed identity, the root clients trust.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// A rustls server configuration serving this identity over HTTP/1.1.
    ///
    /// # Errors
    ///
    /// [`EmulatorError::Tls`] when the key does not suit the certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EmulatorError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| {
                EmulatorError::Tls(format!("the key does not suit the certificate: {e}"))
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The `CERTIFICATE` blocks of a PEM file, and nothing else (a key kept in the same file
/// stays out).
fn certificate_blocks(pem: &[u8]) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut blocks = String::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        blocks.push_str(&rest[start..start + len + END.len()]);
        blocks.push('\n');
        rest = &rest[start + len + END.len()..];
    }
    blocks
}

impl PartialEq for TlsIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.chain == other.chain && self.key.secret_der() == other.key.secret_der()
    }
}

impl Eq for TlsIdentity {}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"***")
            .finish()
    }
}

/// A listener that hands axum connections whose TLS handshake is done. Handshakes run on
/// tasks of their own, so a slow client holds up no one else; when axum drops the listener
/// (at shutdown), accepting stops.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, Connection)>,
}

impl TlsListener {
    /// Accepts on `listener` from a task of its own, serving `config`.
    pub(crate) fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        let (sender, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = sender.closed() => return,
                };
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: wait a little, as axum does.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok((stream, handle)) = with_handle(stream) else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        let _ = sender.send((stream, Connection::of(handle))).await;
                    }
                });
            }
        });
        TlsListener { ready }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accepting task is gone only if the runtime is shutting down.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Connection::listener())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_bad_input_is_named() {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let identity = TlsIdentity::from_pem(
            made.cert.pem().as_bytes(),
            made.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap();
        assert!(identity.certificate_pem().contains("BEGIN CERTIFICATE"));
        // A certificate and its key in one file: only the certificate is handed out.
        let both = format!("{}{}", made.signing_key.serialize_pem(), made.cert.pem());
        let identity = TlsIdentity::from_pem(both.as_bytes(), both.as_bytes()).unwrap();
        assert_eq!(identity.certificate_pem().trim(), made.cert.pem().trim());
        assert!(!format!("{identity:?}").contains("PRIVATE"));
        let err = TlsIdentity::from_pem(b"nothing", b"nothing")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no \"-----BEGIN CERTIFICATE-----\""), "{err}");
        let err = TlsIdentity::from_pem(made.cert.pem().as_bytes(), b"nothing")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no usable private key"), "{err}");
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let err = TlsIdentity::from_pem(
            made.cert.pem().as_bytes(),
            other.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not suit"), "{err}");
    }
}
