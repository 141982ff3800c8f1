//! Telling a certificate the client refused from other connection failures, and saying why.

use crate::roots::SSL_CERT_FILE;

/// Why the client refused the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
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
    pub fn message(self, authority: &str) -> String {
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
pub fn certificate_refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
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
    use files_core::{TransportError, TransportErrorKind};

    #[test]
    fn a_refusal_is_found_through_io_errors_and_named() {
        let refusal = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refusal);
        let wrapped = TransportError::with_source(TransportErrorKind::Connect, "connecting", io);
        assert_eq!(certificate_refusal(&wrapped), Some(Refusal::Untrusted));
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad record");
        assert_eq!(certificate_refusal(&other), None);
        let name = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        assert_eq!(certificate_refusal(&name), Some(Refusal::WrongName));
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        assert_eq!(certificate_refusal(&expired), Some(Refusal::OutOfDate));
        assert!(
            Refusal::Untrusted
                .message("h:1")
                .contains("h:1 is not trusted")
        );
    }
}
