//! What the two transports of `files-client` (`transport-ureq` and `transport-reqwest`) share
//! about TLS and the way to a server: which root certificates to trust ([`Roots`]: PEM bundles
//! added to the built-in roots, or the bundle `SSL_CERT_FILE` names instead), why the client
//! refused a server's certificate ([`certificate_refusal`]), so the error can say what to do
//! about it, and which proxy a request goes through ([`Proxies`]: one rule for both, from
//! `HTTPS_PROXY` and its kin or from the caller).
//!
//! ```
//! use transport_tls::{ResolvedRoots, Roots};
//!
//! let mut roots = Roots::default();
//! roots.honour_ssl_cert_file(false);
//! let err = roots.add_pem(b"not a certificate", "notes.txt").unwrap_err();
//! assert!(err.to_string().contains("notes.txt holds no certificate"));
//! assert!(matches!(
//!     roots.resolve()?,
//!     ResolvedRoots::BuiltIn(_) | ResolvedRoots::MozillaAnd(_)
//! ));
//! # Ok::<(), files_core::TransportError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod proxy;
mod refusal;
mod roots;

pub use proxy::{Proxies, ProxySetting, ProxyUrl};
pub use refusal::{Refusal, certificate_refusal};
pub use roots::{ResolvedRoots, Roots, SSL_CERT_FILE};
