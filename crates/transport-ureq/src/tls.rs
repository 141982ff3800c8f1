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

/// Whether `error`, or an error below it, is the client refusing the server's certificate.
pub(crate) fn is_certificate_refusal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        match error.downcast_ref::<ureq::Error>() {
            Some(ureq::Error::Rustls(tls)) => return is_certificate_refusal(tls),
            Some(ureq::Error::Io(io)) => {
                next = io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static));
                continue;
            }
            _ => {}
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
    false
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
        assert!(is_certificate_refusal(&ureq::Error::Io(io)));
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad record");
        assert!(!is_certificate_refusal(&ureq::Error::Io(other)));
    }
}
