//! Which root certificates a transport trusts: its built-in ones, PEM bundles added to them,
//! or the bundle `SSL_CERT_FILE` names instead.

use std::path::Path;

use files_core::{TransportError, TransportErrorKind};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The environment variable naming a PEM bundle to trust instead of the built-in roots, as
/// curl (with OpenSSL) and Python's HTTP stacks read it.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Every certificate in `pem`; `what` names where it came from, for the error. A bundle with no
/// certificate in it is an error: trusting nothing new is never what was meant.
fn certificates_from_pem(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            TransportError::with_source(
                TransportErrorKind::Other,
                format!("{what} is not a valid PEM bundle"),
                e,
            )
        })?;
    if certificates.is_empty() {
        return Err(TransportError::new(
            TransportErrorKind::Other,
            format!(
                "{what} holds no certificate: expected PEM blocks that begin with \
                 \"-----BEGIN CERTIFICATE-----\""
            ),
        ));
    }
    Ok(certificates)
}

/// Every certificate in the PEM file at `path`; `what` names it for the error.
fn certificates_from_file(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let pem = std::fs::read(path).map_err(|e| {
        TransportError::with_source(
            TransportErrorKind::Other,
            format!("could not read {what}"),
            e,
        )
    })?;
    certificates_from_pem(&pem, what)
}

/// The certificates of the bundle `SSL_CERT_FILE` names, if it is set and not empty.
fn certificates_from_env() -> Result<Option<Vec<CertificateDer<'static>>>, TransportError> {
    match std::env::var_os(SSL_CERT_FILE) {
        Some(path) if !path.is_empty() => {
            let path = Path::new(&path);
            let what = format!(
                "{}, which {SSL_CERT_FILE} names (fix the variable or unset it)",
                path.display()
            );
            certificates_from_file(path, &what).map(Some)
        }
        _ => Ok(None),
    }
}

/// The roots a transport is to trust, as set on its builder: PEM bundles added to the
/// built-in roots, and whether `SSL_CERT_FILE` replaces those.
#[derive(Debug, Clone)]
pub struct Roots {
    added: Vec<CertificateDer<'static>>,
    honour_ssl_cert_file: bool,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            added: Vec::new(),
            honour_ssl_cert_file: true,
        }
    }
}

/// What a transport is to trust, once [`Roots::resolve`] has read the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedRoots {
    /// Its built-in roots, and these added to them (maybe none).
    BuiltIn(Vec<CertificateDer<'static>>),
    /// These and no others: the bundle `SSL_CERT_FILE` names, and those added.
    Only(Vec<CertificateDer<'static>>),
    /// Mozilla's roots and these: `SSL_CERT_FILE` is set but not to be used (or empty), so a
    /// transport whose built-in roots would read it anyway must not use them.
    MozillaAnd(Vec<CertificateDer<'static>>),
}

impl Roots {
    /// Trusts the certificates of a PEM bundle as well; `name` says where it came from.
    ///
    /// # Errors
    ///
    /// Fails, naming `name`, when the bundle is not PEM or holds no certificate.
    pub fn add_pem(&mut self, pem: &[u8], name: &str) -> Result<(), TransportError> {
        self.added.extend(certificates_from_pem(pem, name)?);
        Ok(())
    }

    /// Trusts the certificates of the PEM file at `path` as well.
    ///
    /// # Errors
    ///
    /// Fails, naming the path, when it cannot be read, is not PEM or holds no certificate.
    pub fn add_file(&mut self, path: &Path) -> Result<(), TransportError> {
        self.added
            .extend(certificates_from_file(path, &path.display().to_string())?);
        Ok(())
    }

    /// Whether `SSL_CERT_FILE`, when set, replaces the built-in roots (yes by default).
    pub fn honour_ssl_cert_file(&mut self, honour: bool) {
        self.honour_ssl_cert_file = honour;
    }

    /// What to trust, reading `SSL_CERT_FILE` now.
    ///
    /// # Errors
    ///
    /// Fails when `SSL_CERT_FILE` is honoured and set, but its file cannot be read or holds
    /// no certificate.
    pub fn resolve(&self) -> Result<ResolvedRoots, TransportError> {
        let set = std::env::var_os(SSL_CERT_FILE).is_some();
        let from_env = if self.honour_ssl_cert_file {
            certificates_from_env()?
        } else {
            None
        };
        let added = self.added.clone();
        Ok(match from_env {
            Some(mut bundle) => {
                bundle.extend(added);
                ResolvedRoots::Only(bundle)
            }
            None if set => ResolvedRoots::MozillaAnd(added),
            None => ResolvedRoots::BuiltIn(added),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_refused_by_name() {
        let err = certificates_from_pem(b"just text\n", "ca.pem").unwrap_err();
        assert!(
            err.to_string().contains("ca.pem holds no certificate"),
            "{err}"
        );
        let err = certificates_from_pem(
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
            "ca.pem",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("ca.pem is not a valid PEM"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Roots::default()
            .add_file(Path::new("/no/such/ca.pem"))
            .unwrap_err();
        assert!(
            err.to_string().contains("could not read /no/such/ca.pem"),
            "{err}"
        );
    }
}
