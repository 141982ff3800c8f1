//! Which root certificates the transport trusts, and telling a certificate the client refused
//! from other connection failures.

use std::path::Path;

use files_core::{TransportError, TransportErrorKind};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The environment variable naming a PEM bundle to trust instead of the built-in roots, as
/// curl (with OpenSSL) and Python's HTTP stacks read it.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Every certificate in `pem`; `what` names where it came from, for the error. A bundle with no
/// certificate in it is an error: trusting nothing new is never what was meant.
pub(crate) fn certificates_from_pem(
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
pub(crate) fn certificates_from_file(
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
pub(crate) fn certificates_from_env() -> Result<Option<Vec<CertificateDer<'static>>>, TransportError>
{
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

/// Why the client refused the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not signed by a root the client trusts: a private CA, or self-signed.
    Untrusted,
    /// Issued for another name than the one connected to.
    WrongName,
    /// Expired, or not valid yet.
    OutOfDate,
    /// Anything else (revoked, a bad signature, an unsupported algorithm…).
    Other,
}

impl Refusal {
    /// What to say about it, for the server at `authority`.
    pub(crate) fn message(self, authority: &str) -> String {
        match self {
            Refusal::Untrusted => format!(
                "the certificate of {authority} is not trusted (a private CA or a self-signed \
                 certificate must be added to the roots, or be in the bundle {SSL_CERT_FILE} \
                 names)"
            ),
            Refusal::WrongName => format!(
                "the certificate of {authority} was issued for another name (connect by a name \
                 it covers)"
            ),
            Refusal::OutOfDate => format!(
                "the certificate of {authority} has expired or is not valid yet (check the \
                 server's certificate, and this machine's clock)"
            ),
            Refusal::Other => format!("the certificate of {authority} was refused"),
        }
    }
}

/// Whether `error`, or an error below it, is the client refusing the server's certificate,
/// and why.
pub(crate) fn certificate_refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            use rustls::CertificateError as E;
            return match tls {
                rustls::Error::InvalidCertificate(reason) => Some(match reason {
                    E::UnknownIssuer => Refusal::Untrusted,
                    E::NotValidForName | E::NotValidForNameContext { .. } => Refusal::WrongName,
                    E::Expired
                    | E::ExpiredContext { .. }
                    | E::NotValidYet
                    | E::NotValidYetContext { .. } => Refusal::OutOfDate,
                    _ => Refusal::Other,
                }),
                rustls::Error::NoCertificatesPresented => Some(Refusal::Other),
                _ => None,
            };
        }
        // An `io::Error` hides the error it wraps from `source()`.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            next = Some(inner);
            continue;
        }
        next = error.source();
    }
    None
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
        let err =
            certificates_from_file(Path::new("/no/such/ca.pem"), "/no/such/ca.pem").unwrap_err();
        assert!(
            err.to_string().contains("could not read /no/such/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn a_refused_certificate_is_found_through_io_errors() {
        let refusal = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refusal);
        let wrapped = TransportError::with_source(TransportErrorKind::Connect, "connecting", io);
        assert_eq!(certificate_refusal(&wrapped), Some(Refusal::Untrusted));
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad record");
        assert_eq!(certificate_refusal(&other), None);
        let name = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        assert_eq!(certificate_refusal(&name), Some(Refusal::WrongName));
    }
}
