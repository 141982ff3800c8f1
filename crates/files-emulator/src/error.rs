//! Errors from starting or configuring the emulator.

use std::io;

/// Why the emulator could not be started (or a dialect name not parsed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// Binding or configuring the listening socket failed.
    #[error("could not bind the emulator's listening socket: {0}")]
    Bind(#[source] io::Error),
    /// Building the emulator's tokio runtime or spawning its thread failed.
    #[error("could not start the emulator's runtime: {0}")]
    Runtime(#[source] io::Error),
    /// Creating the temporary directory that holds uploaded files failed.
    #[error("could not create the emulator's file storage: {0}")]
    Storage(#[source] io::Error),
    /// A site the dialect's provider does not have.
    #[error("{dialect} has no site {site:?}: expected one of {expected}")]
    UnknownSite {
        /// The dialect.
        dialect: String,
        /// The name given.
        site: String,
        /// The dialect's sites.
        expected: String,
    },
    /// A TLS identity that cannot be used: no certificate, no key, or a key that does not
    /// suit the certificate.
    #[error("TLS: {0}")]
    Tls(String),
    /// A dialect name other than `openai` or `stepfun`.
    #[error(
        "unknown provider {0:?}: expected one of openai, stepfun, azure, moonshot, dashscope, mistral, groq, zhipu, or a spec file"
    )]
    UnknownDialect(String),
}
