//! [`Failure`]: why a command failed, as the one line it prints and the exit status it ends
//! with. The statuses are a contract with scripts, listed once in [`EXIT_STATUSES`] for
//! `files --help` and the README alike.

use std::fmt;
use std::io;

use files_client::{ApiErrorKind, Error, TransportErrorKind};

use crate::output::escape_controls;

/// Every exit status the command can end with, and what it means.
pub const EXIT_STATUSES: &[(u8, &str)] = &[
    (0, "success"),
    (
        2,
        "usage or validation error: fix the command or the file; nothing was changed",
    ),
    (3, "the server refused the request (an HTTP 4xx API error)"),
    (
        4,
        "server or network failure after the retries (5xx, connect, timeout)",
    ),
    (5, "a local file could not be read or written"),
    (
        130,
        "interrupted (SIGINT, Ctrl-C); nothing partial is left behind",
    ),
    (
        141,
        "standard output was closed early (`files list | head`)",
    ),
    (143, "terminated (SIGTERM); nothing partial is left behind"),
];

/// The exit statuses as a block of text, for `files --help`.
pub fn exit_status_help() -> String {
    let mut text = String::from("Exit status:\n");
    for (code, meaning) in EXIT_STATUSES {
        text.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    text
}

/// What kind of failure ended a command, which decides its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A bad flag or a request that breaks a rule, refused before sending: 2.
    Usage,
    /// The server refused the request (4xx): 3.
    Refused,
    /// The server failed or could not be reached: 4.
    Unavailable,
    /// A local file could not be read or written: 5.
    LocalFile,
    /// Standard output was closed by its reader: 141, and nothing is printed.
    ClosedOutput,
}

impl FailureKind {
    /// The exit status.
    pub fn status(self) -> u8 {
        match self {
            FailureKind::Usage => 2,
            FailureKind::Refused => 3,
            FailureKind::Unavailable => 4,
            FailureKind::LocalFile => 5,
            FailureKind::ClosedOutput => 141,
        }
    }
}

/// A failed command: what to print, and how to exit.
#[derive(Debug)]
pub struct Failure {
    /// What kind of failure it is.
    pub kind: FailureKind,
    /// The message, safe for a terminal.
    pub message: String,
}

/// A command's result.
pub type CliResult<T = ()> = Result<T, Failure>;

impl Failure {
    /// A failure of `kind` with `message` (the command's own words: not escaped).
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// A bad flag or value, refused before anything was sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::Usage, message)
    }

    /// A server that answered wrongly or not at all.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::Unavailable, message)
    }

    /// A local file that could not be read or written.
    pub fn local(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::LocalFile, message)
    }

    /// Standard output closed by its reader.
    pub fn closed_output() -> Self {
        Failure::new(FailureKind::ClosedOutput, "")
    }

    /// Adds a line of advice (the command's own words) under the message.
    pub fn with_hint(mut self, hint: impl fmt::Display) -> Self {
        self.message = format!("{}\n{hint}", self.message);
        self
    }

    /// Puts `context` (the command's own words, e.g. the path it was about) before the
    /// message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kind of failure a library error is.
pub fn kind_of(error: &Error) -> FailureKind {
    match error {
        Error::Validation(_) => FailureKind::Usage,
        Error::Api(api) => match api.kind() {
            ApiErrorKind::ServerError | ApiErrorKind::Overloaded | ApiErrorKind::Timeout => {
                FailureKind::Unavailable
            }
            _ if api.status >= 500 => FailureKind::Unavailable,
            _ => FailureKind::Refused,
        },
        Error::Transport(t) if t.kind == TransportErrorKind::Unsupported => FailureKind::Usage,
        // As the 407 a proxy gives a request in absolute form is.
        Error::Transport(t) if t.kind == TransportErrorKind::Proxy => FailureKind::Refused,
        Error::LocalFile(e) if is_closed_output(e) => FailureKind::ClosedOutput,
        Error::LocalFile(_) => FailureKind::LocalFile,
        Error::Upload(failure) => kind_of(&failure.source),
        _ => FailureKind::Unavailable,
    }
}

/// Whether an error's cause is a reader that closed its end of a pipe.
fn is_closed_output(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        // The library's text quotes the server (messages, ids, names): escaped whole, so a
        // line break in it cannot fake a line of the command's own.
        Failure::new(kind_of(&error), escape_controls(&error.to_string()))
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Failure::closed_output()
        } else {
            Failure::local(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use files_client::{ApiError, LocalFileError, TransportError, ValidationError};

    #[test]
    fn each_kind_of_error_has_its_status() {
        let status = |e: Error| kind_of(&e).status();
        assert_eq!(status(ValidationError::new("purpose", "x", "no").into()), 2);
        assert_eq!(status(ApiError::new(404, "no such file").into()), 3);
        assert_eq!(status(ApiError::new(429, "slow down").into()), 3);
        assert_eq!(status(ApiError::new(503, "busy").into()), 4);
        assert_eq!(status(ApiError::new(500, "oops").into()), 4);
        assert_eq!(
            status(ApiError::new(408, "too slow").into()),
            4,
            "a timeout"
        );
        let refused = TransportError::new(TransportErrorKind::Connect, "connecting to h:1");
        assert_eq!(status(refused.into()), 4);
        let missing = LocalFileError::new(
            files_core::LocalFileOp::Inspect,
            std::path::Path::new("a"),
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(status(missing.into()), 5);
        let pipe = LocalFileError::new(
            files_core::LocalFileOp::Write,
            std::path::Path::new("-"),
            io::Error::from(io::ErrorKind::BrokenPipe),
        );
        assert_eq!(status(pipe.into()), 141);
    }

    #[test]
    fn server_text_cannot_fake_a_line() {
        let failure = Failure::from(Error::from(ApiError::new(400, "bad\nerror: fake")));
        assert!(!failure.message.contains('\n'), "{}", failure.message);
        let failure = failure.with_hint("try this");
        assert_eq!(failure.message.lines().count(), 2);
    }

    #[test]
    fn the_help_lists_every_status() {
        let help = exit_status_help();
        for (code, _) in EXIT_STATUSES {
            assert!(help.contains(&format!("{code:>3}  ")), "{help}");
        }
    }
}
