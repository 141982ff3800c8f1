//! The rules both faces of the pump share, so the blocking reader and the async stream cannot
//! drift apart: how a segment's length is held, what its failures say, where a local failure
//! is recorded, and how payload progress is counted.

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use files_core::{LocalFileError, LocalFileOp, Observer};

/// What a segment's source is, for messages and for how strictly its length is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A range of a file: a window, so bytes past its end are simply not sent.
    Path(PathBuf),
    /// The caller's reader: it must yield exactly its declared length.
    Reader,
    /// The caller's stream: it must yield exactly its declared length.
    Stream,
}

impl Source {
    /// What a [`LocalFileError`] names.
    fn name(&self) -> PathBuf {
        match self {
            Source::Path(path) => path.clone(),
            Source::Reader => PathBuf::from("the upload's reader"),
            Source::Stream => PathBuf::from("the upload's stream"),
        }
    }

    /// Whether yielding more than declared is an error (readers and streams) rather than the
    /// end of the window (file ranges).
    fn is_exact(&self) -> bool {
        !matches!(self, Source::Path(_))
    }

    fn hint(&self) -> &'static str {
        match self {
            Source::Path(_) => "did the file change while it was being sent?",
            Source::Reader | Source::Stream => "declare the exact number of bytes it yields",
        }
    }

    fn error(&self, kind: io::ErrorKind, message: String) -> LocalFileError {
        LocalFileError::new(
            LocalFileOp::Read,
            self.name(),
            io::Error::new(kind, message),
        )
    }

    /// The one-shot source was taken by an earlier attempt.
    pub(crate) fn consumed(&self) -> LocalFileError {
        self.error(
            io::ErrorKind::Other,
            "it was already read by an earlier attempt; upload from a path or from bytes to make \
             the request repeatable"
                .to_owned(),
        )
    }

    /// An async stream reached the blocking pump.
    pub(crate) fn needs_async(&self) -> LocalFileError {
        self.error(
            io::ErrorKind::Unsupported,
            "an async stream needs the async client; give the blocking client a reader, a path \
             or bytes"
                .to_owned(),
        )
    }

    /// Reading (or opening) the source failed.
    pub(crate) fn failed(&self, error: io::Error) -> LocalFileError {
        LocalFileError::new(LocalFileOp::Read, self.name(), error)
    }
}

/// Holds one segment's source to its declared length.
#[derive(Debug)]
pub(crate) struct SegmentCheck {
    source: Source,
    declared: u64,
    seen: u64,
}

impl SegmentCheck {
    pub(crate) fn new(source: Source, declared: u64) -> Self {
        SegmentCheck {
            source,
            declared,
            seen: 0,
        }
    }

    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// How many more bytes the segment holds.
    pub(crate) fn remaining(&self) -> u64 {
        self.declared - self.seen
    }

    /// Takes in `n` bytes the source gave; returns how many of them belong to the segment
    /// (fewer when the source overshot its declared length).
    pub(crate) fn accept(&mut self, n: usize) -> usize {
        let taken = (n as u64).min(self.remaining());
        self.seen += taken;
        taken as usize
    }

    /// Whether every declared byte has arrived, and nothing more needs checking: a file
    /// range is then done, while a reader or stream must still be seen to end
    /// ([`Self::needs_end`]).
    pub(crate) fn is_done(&self) -> bool {
        self.remaining() == 0 && !self.source.is_exact()
    }

    /// Whether every declared byte has arrived from a reader or stream, whose end must now be
    /// checked: one more byte is an error.
    pub(crate) fn needs_end(&self) -> bool {
        self.remaining() == 0 && self.source.is_exact()
    }

    /// The source ended: an error if it ended early.
    pub(crate) fn ended(&self) -> Result<(), LocalFileError> {
        if self.seen < self.declared {
            return Err(self.source.error(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "it ended after {} of its declared {} bytes; {}",
                    self.seen,
                    self.declared,
                    self.source.hint()
                ),
            ));
        }
        Ok(())
    }

    /// The source gave more than its declared length.
    pub(crate) fn overflowed(&self) -> LocalFileError {
        self.source.error(
            io::ErrorKind::InvalidData,
            format!(
                "it holds more than its declared {} bytes; {}",
                self.declared,
                self.source.hint()
            ),
        )
    }
}

/// Where the pump records a local failure while the transport is sending, so the client can
/// report it as what it is — a [`LocalFileError`] — whatever error the HTTP client made of it;
/// and whether the transport took the whole body, so a failure after it can be told apart (the
/// server may have acted on the request).
#[derive(Debug, Clone, Default)]
pub struct SendFailure(Arc<Mutex<Option<LocalFileError>>>, Arc<AtomicBool>);

impl SendFailure {
    /// The transport has taken every byte of the body.
    pub(crate) fn taken_whole(&self) {
        self.1.store(true, Ordering::Release);
    }

    /// Whether the transport took every byte of the body.
    pub fn whole_body_taken(&self) -> bool {
        self.1.load(Ordering::Acquire)
    }

    /// Records `error` (the first one wins) and gives the IO error to hand the transport.
    pub(crate) fn record(&self, error: LocalFileError) -> io::Error {
        let for_transport = io::Error::new(error.source.kind(), error.to_string());
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(error);
        }
        for_transport
    }

    /// The recorded failure, if the body failed locally.
    pub fn take(&self) -> Option<LocalFileError> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Counts the payload's bytes as they pass and tells the observer.
pub(crate) struct PayloadProgress {
    observer: Arc<dyn Observer>,
    payload: Range<u64>,
    position: u64,
    reported: u64,
}

impl PayloadProgress {
    /// Starts counting (and reports 0 of the total, so a retry visibly starts over).
    pub(crate) fn start(observer: Arc<dyn Observer>, payload: Range<u64>) -> Self {
        observer.sent(0, payload.end - payload.start);
        PayloadProgress {
            observer,
            payload,
            position: 0,
            reported: 0,
        }
    }

    /// `n` more bytes of the body went to the transport.
    pub(crate) fn advance(&mut self, n: usize) {
        self.position += n as u64;
        let sent = self.position.clamp(self.payload.start, self.payload.end) - self.payload.start;
        if sent != self.reported {
            self.reported = sent;
            self.observer
                .sent(sent, self.payload.end - self.payload.start);
        }
    }
}
