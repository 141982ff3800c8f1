//! [`Inspection`]: the inspect-then-check step every upload of a local file takes, in
//! `POST /files` ([`CreateFile`](super::CreateFile)) and in the Uploads API
//! ([`UploadInParts`](super::UploadInParts)) alike.
//!
//! ```text
//!   ask for the size ──▶ Sized(len): the caller may take the file elsewhere (to the Uploads API)
//!        │
//!        ▼  validation off: done, no byte read
//!   check the size alone (a file too large is refused before any of it is read)
//!        │
//!   ask for the first bytes ──▶ check them with the size ──▶ Checked(probe, warnings)
//! ```
//!
//! The checks are the caller's (each machine knows its limits); the step owns the order and the
//! inspections, so the two machines cannot drift apart.

use std::path::PathBuf;

use super::Event;
use crate::error::Error;
use crate::probe::{FileProbe, PROBE_PREFIX_LEN};
use crate::rules::UploadWarning;

enum State {
    /// Nothing asked yet.
    Start,
    /// Waiting for the size.
    AwaitingSize,
    /// The size arrived: tell the caller.
    Sized(FileProbe),
    /// The caller heard the size: check it and ask for the first bytes.
    SizeHeard(FileProbe),
    /// Waiting for the first bytes.
    AwaitingPrefix,
    /// The first bytes arrived: check them.
    Prefixed(FileProbe),
    /// The driver could not inspect the file.
    Failed(Error),
    /// Over.
    Done,
}

/// What the step asks for next.
pub(crate) enum Step {
    /// Inspect `path`: its size and `prefix_len` first bytes; answer with
    /// [`Event::Inspected`] through [`Inspection::handle`].
    Inspect { path: PathBuf, prefix_len: usize },
    /// The size is known (the probe holds no bytes yet) and nothing is checked: poll again to
    /// go on, or take the file and its probe elsewhere.
    Sized(FileProbe),
    /// Checked (or validation is off): the probe, and the last check's warnings.
    Checked {
        probe: FileProbe,
        warnings: Vec<UploadWarning>,
    },
    /// Refused by a check, or the file could not be inspected.
    Failed(Error),
}

/// The inspect-then-check step of one local file.
pub(crate) struct Inspection {
    path: PathBuf,
    state: State,
}

impl Inspection {
    /// The step for the file at `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        Inspection {
            path,
            state: State::Start,
        }
    }

    /// The step for a file whose size another machine already had from the driver: it starts
    /// at [`Step::Sized`], so its caller hears the size as if it had asked.
    pub(crate) fn after_size(path: PathBuf, probe: FileProbe) -> Self {
        Inspection {
            path,
            state: State::Sized(probe),
        }
    }

    /// What to do next. `check` applies the caller's rules to a probe, with its first bytes
    /// (`true`) or its size alone (`false`); with `validates` false nothing is checked and no
    /// byte of the file is read.
    pub(crate) fn poll(
        &mut self,
        validates: bool,
        mut check: impl FnMut(&FileProbe, bool) -> Result<Vec<UploadWarning>, Error>,
    ) -> Step {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                self.state = State::AwaitingSize;
                Step::Inspect {
                    path: self.path.clone(),
                    prefix_len: 0,
                }
            }
            State::Sized(probe) => {
                self.state = State::SizeHeard(probe.clone());
                Step::Sized(probe)
            }
            State::SizeHeard(probe) if !validates => Step::Checked {
                probe,
                warnings: Vec::new(),
            },
            State::SizeHeard(probe) => match check(&probe, false) {
                Ok(_) => {
                    self.state = State::AwaitingPrefix;
                    Step::Inspect {
                        path: self.path.clone(),
                        prefix_len: PROBE_PREFIX_LEN,
                    }
                }
                Err(error) => Step::Failed(error),
            },
            State::Prefixed(probe) => match check(&probe, true) {
                Ok(warnings) => Step::Checked { probe, warnings },
                Err(error) => Step::Failed(error),
            },
            State::Failed(error) => Step::Failed(error),
            State::AwaitingSize | State::AwaitingPrefix => Step::Failed(
                super::exchange::out_of_order("polled while a file was being inspected"),
            ),
            State::Done => Step::Failed(super::exchange::polled_when_finished()),
        }
    }

    /// Takes the driver's answer to [`Step::Inspect`]; any other event is an error.
    pub(crate) fn handle(&mut self, event: Event) {
        self.state = match (std::mem::replace(&mut self.state, State::Done), event) {
            (State::AwaitingSize, Event::Inspected(Ok(probe))) => State::Sized(probe),
            (State::AwaitingPrefix, Event::Inspected(Ok(probe))) => State::Prefixed(probe),
            (State::AwaitingSize | State::AwaitingPrefix, Event::Inspected(Err(error))) => {
                State::Failed(error.into())
            }
            _ => State::Failed(super::exchange::out_of_order(
                "answered an inspection with the wrong event",
            )),
        };
    }
}
