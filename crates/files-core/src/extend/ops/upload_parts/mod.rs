//! [`UploadInParts`]: a local file, bytes in memory, or a reader or stream of known length sent
//! through the Uploads API.
//!
//! ```text
//!   Start ──▶ Inspect size ──rules──▶ Inspect first bytes ──▶ Create ─────────────┐
//!                                                  (resume: the Upload exists) ───┤
//!       ┌─────────────────────────────────────────────────────────────────────────┘
//!       ▼
//!   Parts: Start part 1 … part N (N in flight) ─▶ Read (MD5) … ─▶ Await ─▶ Start … ─▶ Complete ──▶ Done
//!       └─ a part fails for good ─▶ Await the rest ─▶ Cancel ──▶ Done(Err)
//! ```
//!
//! The parts go out as [`Next::Start`]: the driver runs them side by side (threads or
//! futures) and hands back each outcome as [`Event::Finished`]. Each part is an
//! [`Exchange`] of its own, so it is retried on its own; its retry pause travels with the
//! re-sent attempt ([`Next::Start`]'s `after`), holding up no other part. While parts are out
//! the machine asks for the file in order ([`Next::Read`], 1 MiB at a time) for its MD5: a
//! second read of the file, from the page cache when the parts have just read it, that
//! costs no wall time when the network is the slower side, and holds nothing in memory.
//!
//! Bytes in memory are cut into slices, no copy, and hashed as each part starts. A reader or
//! stream is pulled a part at a time, in order ([`Next::Pull`]), as slots free up: each part
//! is held until the server takes it, so it can be retried, and hashed as it arrives; memory
//! holds at most the parts in flight and the one being pulled. With validation on, the
//! first part is pulled before the Upload is created, for the checks of its first bytes; a
//! source that ends early or runs past its declared length fails the upload (and cancels
//! the Upload) instead of storing a file of another size. Such a source cannot be resumed:
//! its bytes are gone.

mod ending;
mod flight;
mod source;

#[cfg(test)]
mod sources_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use super::exchange::{Exchange, out_of_order, polled_when_finished};
use super::inspect::{Inspection, Step};
use super::reconcile::{Guarded, Identity, Outcome};
use super::{Event, News, Next, Notice, Now, Operation, Outbox};
use crate::body::OneShotSource;
use crate::error::{Error, ValidationError};
use crate::file_objects::FileObject;
use crate::options::RequestOptions;
use crate::probe::{FileProbe, PROBE_PREFIX_LEN};
use crate::provider::{Provider, UploadCheck};
use crate::rules::{RuleKind, UploadWarning, UploadsRule, WarningKind};
use crate::upload_request::UploadRequest;
use crate::uploads::{
    NewUpload, PartOptions, PartPlan, ResumeFrom, Upload, UploadAfterFailure, UploadFailure,
    UploadStarted, UploadStep,
};
use crate::wire::{build_complete_upload, build_create_upload, guess_content_type};
use bytes::Bytes;
pub(crate) use ending::decode_upload;
use ending::{completed_file, same_refusal};
use flight::{Flight, FlightNext, PartSource};
use source::{Data, Source};

enum State {
    Start,
    /// The file is inspected and checked.
    Inspecting(Inspection),
    /// A one-shot source's first part is being pulled, for the checks of its first bytes.
    Priming(FileProbe, OneShotSource),
    /// Checked: create the Upload, or resume one.
    Ready(FileProbe),
    Creating {
        len: u64,
        exchange: Box<Exchange<Upload>>,
    },
    Sending(Box<Flight>),
    /// Completing, watched: a completion whose answer was lost is looked for in the listing
    /// before it is sent again.
    Completing {
        upload_id: String,
        guarded: Box<Guarded<Upload>>,
    },
    Cancelling {
        failure: Box<UploadFailure>,
        exchange: Box<Exchange<Upload>>,
    },
    Failed(Error),
    Finished,
}

/// A local file sent through the Uploads API: create an Upload, send the parts side by side,
/// complete it with the part ids in order and the file's MD5; on a failure, cancel it. Its
/// output is the [`FileObject`] the Upload became.
pub struct UploadInParts {
    provider: Arc<dyn Provider>,
    source: Result<Source, Option<Error>>,
    parts: PartOptions,
    options: RequestOptions,
    resume: Option<ResumeFrom>,
    expires_at: Option<u64>,
    part_size: u64,
    /// A one-shot source's first part, pulled for the checks.
    primed: Option<Bytes>,
    outbox: Outbox,
    state: State,
}

impl std::fmt::Debug for UploadInParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadInParts")
            .field("source", &self.source.as_ref().ok())
            .field("parts", &self.parts)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl UploadInParts {
    /// Sends `upload` in parts as `parts` says: a local file, bytes, or a reader or stream
    /// (not a URL).
    pub fn new(
        provider: Arc<dyn Provider>,
        upload: &UploadRequest,
        parts: PartOptions,
        options: RequestOptions,
    ) -> Self {
        let source = Source::of(upload).map_err(Some);
        UploadInParts {
            provider,
            source,
            parts,
            outbox: Outbox::new(options.observer_value()),
            options,
            resume: None,
            expires_at: None,
            part_size: 0,
            primed: None,
            state: State::Start,
        }
    }

    /// Sends the rest of the file to an Upload an earlier run left open, which took the parts
    /// `resume` lists, then completes it.
    pub fn resume(mut self, resume: ResumeFrom) -> Self {
        self.expires_at = resume.expires_at;
        self.resume = Some(resume);
        self
    }

    /// Continues from a size already inspected (the switch from `POST /files`).
    pub(crate) fn after_inspection(mut self, probe: FileProbe) -> Self {
        if let (
            State::Start,
            Ok(Source {
                data: Data::Path(path),
                ..
            }),
        ) = (&self.state, &self.source)
        {
            self.state = State::Inspecting(Inspection::after_size(path.clone(), probe));
        }
        self
    }

    fn source(&self) -> Result<&Source, Error> {
        self.source
            .as_ref()
            .map_err(|_| out_of_order("used an upload whose source was refused"))
    }

    fn rule(&self) -> Result<UploadsRule, Error> {
        self.provider.uploads().ok_or_else(|| {
            ValidationError::new(
                "Uploads API",
                self.provider.name(),
                format!(
                    "{} has no Uploads API; upload the file through POST /files",
                    self.provider.name()
                ),
            )
            .with_kind(RuleKind::Unsupported)
            .into()
        })
    }

    fn mime_type(&self, source: &Source) -> String {
        source
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(&source.filename))
    }

    /// What the Uploads API needs before any check: the API itself, the part size and the
    /// parts in flight. Resolved once the size is known, validation on or off.
    fn prepare(&mut self) -> Result<(), Error> {
        let rule = self.rule()?;
        self.part_size = self.parts.resolve_part_size(rule.max_part_bytes)?;
        Ok(self.parts.check_in_flight()?)
    }

    /// The checks: the Uploads API's limits (size, purpose), then the provider's rules for the
    /// purpose with the Uploads API's size limit in place of the purpose's; with its first
    /// bytes (`content`) or its size alone. The warnings are the last check's.
    fn check(&self, probe: &FileProbe, content: bool) -> Result<Vec<UploadWarning>, Error> {
        let rule = self.rule()?;
        let source = self.source()?;
        let mime_type = self.mime_type(source);
        let mut check = UploadCheck::new(&source.purpose, Some(&source.filename), Some(probe.len))
            .with_size_limit(rule.max_bytes, "the Uploads API")
            .with_expires_after(source.expires_after)
            .with_content_type(Some(&mime_type))
            .with_strict_purpose(self.options.strict_purposes_value());
        if content {
            check = check.with_prefix(&probe.prefix);
        }
        let warnings = self.provider.check_upload(&check)?;
        // A purpose the provider's rules do not know was let through with a warning: the
        // Uploads API's list, which names only known ones, is no reason to refuse it.
        let unknown = warnings
            .iter()
            .any(|w| w.kind == WarningKind::UnknownPurpose);
        if !unknown && !rule.purposes.contains(&source.purpose.as_str()) {
            return Err(ValidationError::new(
                "purpose",
                source.purpose.as_str(),
                format!(
                    "the {} Uploads API takes purposes {}; choose one of them",
                    self.provider.name(),
                    rule.purposes.join(", ")
                ),
            )
            .with_kind(RuleKind::PurposeNotAccepted)
            .into());
        }
        Ok(warnings)
    }

    /// [`check`](Self::check) when validation is on, its warnings queued for the observer.
    fn checked(&mut self, probe: &FileProbe, content: bool) -> Result<(), Error> {
        if !self.options.validates() {
            return Ok(());
        }
        for warning in self.check(probe, content)? {
            self.outbox.push(News::Warning(warning));
        }
        Ok(())
    }

    /// Polls a step's exchange, taking over what it queued for the observer.
    fn forwarded<O: Send>(
        &mut self,
        exchange: &mut Exchange<O>,
        now: Now,
        random: u128,
    ) -> Next<O> {
        let next = exchange.poll(now, random);
        self.outbox.forward(exchange);
        next
    }

    /// Starts sending the parts to `upload_id`.
    fn fly(&mut self, upload_id: String, len: u64, resumed: bool) -> Result<Box<Flight>, Error> {
        let source = self.source()?.clone();
        let sent = self
            .resume
            .as_ref()
            .map(|r| r.sent.clone())
            .unwrap_or_default();
        let parts = match source.data {
            Data::Path(path) => PartSource::Path(path),
            Data::Bytes(bytes) => PartSource::Bytes(bytes),
            Data::OneShot(source) => PartSource::Pulled {
                source,
                ready: self.primed.take(),
                ended: false,
            },
        };
        let plan = PartPlan::new(len, self.part_size, &sent)?;
        self.outbox.push(News::UploadStarted(UploadStarted {
            upload_id: upload_id.clone(),
            expires_at: self.expires_at,
            len,
            part_size: self.part_size,
            resumed,
        }));
        Ok(Box::new(Flight::new(
            upload_id,
            parts,
            &plan,
            sent,
            self.parts.in_flight_value(),
            self.parts.md5_value(),
            self.options.clone(),
        )))
    }
}

impl Operation for UploadInParts {
    type Output = FileObject;

    fn name(&self) -> &'static str {
        "uploads.upload"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<FileObject> {
        loop {
            match std::mem::replace(&mut self.state, State::Finished) {
                State::Start => match &mut self.source {
                    Ok(source) => match source.data.clone() {
                        Data::Path(path) => {
                            self.state = State::Inspecting(Inspection::new(path));
                        }
                        Data::Bytes(bytes) => {
                            let probe = probe_of(bytes.len() as u64, &bytes);
                            match self.prepare().and_then(|()| self.checked(&probe, true)) {
                                Ok(()) => self.state = State::Ready(probe),
                                Err(error) => return Next::Done(Err(error)),
                            }
                        }
                        Data::OneShot(one_shot) => {
                            let probe = FileProbe {
                                len: one_shot.len(),
                                prefix: Bytes::new(),
                            };
                            if self.resume.is_some() {
                                return Next::Done(Err(ValidationError::new(
                                    "upload source",
                                    format!("{one_shot:?}"),
                                    "a reader or stream cannot resume an Upload: the bytes \
                                     it gave are gone; resume from a file (or bytes), or \
                                     start a new Upload",
                                )
                                .with_kind(RuleKind::Unsupported)
                                .into()));
                            }
                            if let Err(error) =
                                self.prepare().and_then(|()| self.checked(&probe, false))
                            {
                                return Next::Done(Err(error));
                            }
                            if !self.options.validates() || probe.len == 0 {
                                self.state = State::Ready(probe);
                                continue;
                            }
                            let len = probe.len.min(self.part_size) as usize;
                            self.state = State::Priming(probe, one_shot.clone());
                            return Next::Pull {
                                source: one_shot,
                                len,
                            };
                        }
                    },
                    Err(error) => {
                        let error = error.take().unwrap_or_else(polled_when_finished);
                        return Next::Done(Err(error));
                    }
                },
                State::Priming(probe, _) => {
                    // Answered by `handle`: the first part's bytes are in `primed`, or the
                    // pull failed.
                    let Some(first) = &self.primed else {
                        return Next::Done(Err(out_of_order(
                            "polled before the pull was answered",
                        )));
                    };
                    let probe = probe_of(probe.len, first);
                    match self.checked(&probe, true) {
                        Ok(()) => self.state = State::Ready(probe),
                        Err(error) => return Next::Done(Err(error)),
                    }
                }
                State::Inspecting(mut inspection) => {
                    let validates = self.options.validates();
                    match inspection.poll(validates, |probe, content| self.check(probe, content)) {
                        Step::Inspect { path, prefix_len } => {
                            self.state = State::Inspecting(inspection);
                            return Next::Inspect { path, prefix_len };
                        }
                        Step::Sized(_) => match self.prepare() {
                            Ok(()) => self.state = State::Inspecting(inspection),
                            Err(error) => return Next::Done(Err(error)),
                        },
                        Step::Checked { probe, warnings } => {
                            for warning in warnings {
                                self.outbox.push(News::Warning(warning));
                            }
                            self.state = State::Ready(probe);
                        }
                        Step::Failed(error) => return Next::Done(Err(error)),
                    }
                }
                State::Ready(probe) => {
                    if let Some(resume) = &self.resume {
                        let upload_id = resume.upload_id.clone();
                        if let Some(at) = self.expired(now) {
                            return Next::Done(Err(UploadFailure {
                                upload_id: Some(upload_id),
                                step: UploadStep::Resume,
                                after: UploadAfterFailure::Expired { at },
                                source: ValidationError::new(
                                    "Upload",
                                    resume.upload_id.clone(),
                                    "has expired; nothing more can be added to it",
                                )
                                .into(),
                            }
                            .into()));
                        }
                        match self.fly(upload_id, probe.len, true) {
                            Ok(flight) => self.state = State::Sending(flight),
                            Err(error) => return Next::Done(Err(error)),
                        }
                        continue;
                    }
                    let Ok(source) = self.source().cloned() else {
                        return Next::Done(Err(polled_when_finished()));
                    };
                    let new = NewUpload::new(
                        source.filename.clone(),
                        source.purpose.clone(),
                        probe.len,
                        self.mime_type(&source),
                    )
                    .with_expires_after(source.expires_after);
                    let exchange = Exchange::json(
                        "uploads.create",
                        self.provider.dialect(),
                        build_create_upload(
                            &*self.provider,
                            &new,
                            self.options.extra_json_fields(),
                        ),
                        decode_upload,
                        &self.options,
                    );
                    self.state = State::Creating {
                        len: probe.len,
                        exchange: Box::new(exchange),
                    };
                }
                State::Creating { len, mut exchange } => {
                    match self.forwarded(&mut *exchange, now, random) {
                        Next::Done(Ok(upload)) => {
                            self.expires_at = upload.expires_at;
                            match self.fly(upload.id.clone(), len, false) {
                                Ok(flight) => self.state = State::Sending(flight),
                                Err(error) => {
                                    self.failed(Some(upload.id), UploadStep::Create, error, now)
                                }
                            }
                        }
                        Next::Done(Err(error)) => {
                            self.failed(None, UploadStep::Create, error, now);
                        }
                        next => {
                            self.state = State::Creating { len, exchange };
                            return next.pass();
                        }
                    }
                }
                State::Sending(mut flight) => {
                    match flight.poll(&*self.provider, &mut self.outbox, now, random) {
                        FlightNext::Next(next) => {
                            self.state = State::Sending(flight);
                            return next.pass();
                        }
                        FlightNext::Complete { part_ids, md5 } => {
                            let exchange = Exchange::json(
                                "uploads.complete",
                                self.provider.dialect(),
                                build_complete_upload(
                                    &*self.provider,
                                    &flight.upload_id,
                                    &part_ids,
                                    md5.as_deref(),
                                    self.options.extra_json_fields(),
                                ),
                                decode_upload,
                                &self.options,
                            );
                            let identity = self.source().ok().map(|source| Identity {
                                filename: source.filename.clone(),
                                bytes: flight.len,
                                purpose: source.purpose.clone(),
                            });
                            let guarded = Guarded::new(
                                exchange,
                                identity,
                                self.provider.clone(),
                                &self.options,
                            );
                            self.state = State::Completing {
                                upload_id: flight.upload_id.clone(),
                                guarded: Box::new(guarded),
                            };
                        }
                        FlightNext::Failed(step, error) => {
                            self.failed(Some(flight.upload_id.clone()), step, error, now);
                        }
                    }
                }
                State::Completing {
                    upload_id,
                    mut guarded,
                } => match guarded.poll(now, random, &mut self.outbox) {
                    Next::Done(Ok(Outcome::Found(file))) => return Next::Done(Ok(file)),
                    Next::Done(Ok(Outcome::Answered(upload))) => match completed_file(upload) {
                        Ok(file) => return Next::Done(Ok(file)),
                        Err(error) => {
                            self.failed(Some(upload_id), UploadStep::Complete, error, now)
                        }
                    },
                    Next::Done(Err(error)) => {
                        self.failed(Some(upload_id), UploadStep::Complete, error, now);
                    }
                    next => {
                        self.state = State::Completing { upload_id, guarded };
                        return next.pass();
                    }
                },
                State::Cancelling {
                    mut failure,
                    mut exchange,
                } => match self.forwarded(&mut *exchange, now, random) {
                    Next::Done(result) => {
                        failure.after = match result {
                            Ok(_) => UploadAfterFailure::Cancelled,
                            Err(error) if same_refusal(&error, &failure.source) => {
                                UploadAfterFailure::NotOpen
                            }
                            Err(error) => UploadAfterFailure::CancelFailed(error.to_string()),
                        };
                        return Next::Done(Err(Error::Upload(failure)));
                    }
                    next => {
                        self.state = State::Cancelling { failure, exchange };
                        return next.pass();
                    }
                },
                State::Failed(error) => return Next::Done(Err(error)),
                State::Finished => return Next::Done(Err(polled_when_finished())),
            }
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        match (&mut self.state, event) {
            (State::Inspecting(inspection), event) => inspection.handle(event),
            (State::Priming(probe, one_shot), Event::Read(result)) => match result {
                Ok(first) if first.len() as u64 == probe.len.min(self.part_size) => {
                    self.primed = Some(first);
                }
                Ok(first) => {
                    let got = first.len() as u64;
                    self.state = State::Failed(source::ended_early(one_shot, got, probe.len));
                }
                Err(error) => self.state = State::Failed(error.into()),
            },
            (State::Creating { exchange, .. }, event) => exchange.handle(event, now),
            (State::Sending(flight), event) => flight.handle(event, now),
            (State::Completing { guarded, .. }, event) => guarded.handle(event, now),
            (State::Cancelling { exchange, .. }, event) => exchange.handle(event, now),
            _ => {}
        }
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

/// What the checks see of a source of `len` bytes whose first bytes are `first`.
fn probe_of(len: u64, first: &Bytes) -> FileProbe {
    FileProbe {
        len,
        prefix: first.slice(..first.len().min(PROBE_PREFIX_LEN)),
    }
}
