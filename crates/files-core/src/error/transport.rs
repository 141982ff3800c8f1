//! [`TransportError`]: a request that could not be carried to the server or back.

use std::fmt;

/// How carrying a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, refused, TLS handshake).
    Connect,
    /// The server's certificate is not trusted: not signed by a known root, expired, or for
    /// another name. Retrying does not help; trusting the right root does.
    Certificate,
    /// The proxy refused to carry the request: it wants credentials it was not given, or
    /// refused those it was (`407 Proxy Authentication Required`). Retrying does not help;
    /// the right user and password in the proxy URL do.
    Proxy,
    /// A time limit passed.
    Timeout,
    /// Reading or writing bytes failed mid-way, including reading an upload's source.
    Io,
    /// The request cannot be carried by this transport as described.
    Unsupported,
    /// Anything else the HTTP client reported.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Certificate => "the server's certificate was refused",
            TransportErrorKind::Proxy => "the proxy refused the request",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "connection failed while transferring",
            TransportErrorKind::Unsupported => "not supported by this transport",
            TransportErrorKind::Other => "HTTP client error",
        })
    }
}

/// A request that could not be carried to the server or back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub struct TransportError {
    /// Which stage failed.
    pub kind: TransportErrorKind,
    /// What happened, in words.
    pub message: String,
    /// The underlying error from the HTTP client or the OS.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// How many times the request was sent (1 when it was not retried).
    pub attempts: u32,
    /// The `x-request-id` of the last response an earlier attempt received, if any.
    pub request_id: Option<String>,
    /// Why the client did not retry a failure that is usually retried, when that is not
    /// the spent retry budget.
    pub not_retried: Option<String>,
    /// Whether the transport had taken the request's whole body when this failed (or an
    /// answer had begun): the server may have received the request and acted on it — stored
    /// an upload — though no answer was read. The driver sets it.
    pub body_sent: bool,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [last request id {id}]")?;
        }
        write_retry_facts(f, self.attempts, self.not_retried.as_deref())
    }
}

impl TransportError {
    /// A transport error of `kind` with a message and no source.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
            attempts: 1,
            request_id: None,
            not_retried: None,
            body_sent: false,
        }
    }

    /// Whether the official SDKs retry this kind of failure: connecting, a timeout, or a
    /// transfer cut mid-way.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }

    /// A transport error of `kind` caused by `source`; the message includes the text of the
    /// source and of each error below it, so the root cause (a refused connection, a missing
    /// file) is never hidden behind a generic one.
    pub fn with_source(
        kind: TransportErrorKind,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        let mut message = message.into();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(e) = cause {
            let text = e.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            cause = e.source();
        }
        TransportError {
            source: Some(source),
            ..TransportError::new(kind, message)
        }
    }

    /// An IO failure while moving bytes.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        let kind = match source.kind() {
            std::io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        };
        TransportError::with_source(kind, context, source)
    }
}

/// Appends how many attempts were made and why no more were, when there is something to say.
pub(super) fn write_retry_facts(
    f: &mut fmt::Formatter<'_>,
    attempts: u32,
    note: Option<&str>,
) -> fmt::Result {
    if attempts > 1 {
        write!(f, "; gave up after {attempts} attempts")?;
    }
    if let Some(note) = note {
        write!(f, "; not retried: {note}")?;
    }
    Ok(())
}
