//! [`CreateFile`]: an upload.
//!
//! ```text
//!   Start ──(a path)──▶ Inspect size ──rules──▶ Inspect first bytes ──▶ Build ──▶ Exchange … ──▶ Done
//!     │                       └──────(validation off)─────────────────────▲
//!     └────(bytes, a reader, a stream, a URL)──────────────────────────────┘
//! ```
//!
//! A path is inspected before anything is sent: first its size alone, which the provider's
//! rules check before a byte of the file is read (a file too large or empty is refused
//! there), then its first bytes, which the rules check against the format its name claims.
//! Bytes in memory are checked whole at once; a reader or a stream by name and length. Any
//! warnings go to the observer. With validation off ([`RequestOptions::validate`]) the rules
//! are skipped and no byte is read. The request is built at the next poll, with a multipart
//! boundary from the driver's random number; then it is one [`Exchange`], whose retries
//! re-send the body from the start (the path re-opened, the bytes re-cloned).

use std::sync::Arc;

use super::exchange::{Exchange, decode_file, polled_when_finished};
use super::inspect::{Inspection, Step};
use super::reconcile::{Guarded, Identity, Outcome};
use super::upload_parts::UploadInParts;
use super::{Event, News, Next, Notice, Now, Operation, Outbox};
use crate::error::Error;
use crate::file_objects::FileObject;
use crate::options::RequestOptions;
use crate::probe::FileProbe;
use crate::provider::Provider;
use crate::rules::UploadWarning;
use crate::upload_request::{UploadRequest, UploadSource};
use crate::uploads::PartOptions;
use crate::wire::{Boundary, build_upload, check_upload};

enum State {
    /// Nothing done yet.
    Start,
    /// The path is inspected and checked.
    Inspecting(Inspection),
    /// Checked: build (with the path's probe, if it had one).
    Build(Option<FileProbe>),
    /// The request is being exchanged; after an attempt that failed with its body sent, the
    /// listing is searched for the file it may have stored, before the retry is sent (or the
    /// error returned).
    Sending(Box<Guarded<FileObject>>),
    /// The file goes through the Uploads API instead.
    InParts(Box<UploadInParts>),
    /// Failed before sending.
    Failed(Error),
    /// Done.
    Finished,
}

/// The upload of one file through `POST /files`.
pub struct CreateFile {
    provider: Arc<dyn Provider>,
    upload: UploadRequest,
    options: RequestOptions,
    outbox: Outbox,
    state: State,
}

impl std::fmt::Debug for CreateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateFile")
            .field("upload", &self.upload)
            .finish_non_exhaustive()
    }
}

impl CreateFile {
    /// An upload of `upload` to `provider`.
    pub fn new(
        provider: Arc<dyn Provider>,
        upload: UploadRequest,
        options: RequestOptions,
    ) -> Self {
        CreateFile {
            provider,
            upload,
            outbox: Outbox::new(options.observer_value()),
            options,
            state: State::Start,
        }
    }

    /// What the upload would store, for a look after a lost attempt: its name and exact
    /// size, when both are known (not for a URL upload).
    fn identity(&self, probe: Option<&FileProbe>) -> Option<Identity> {
        if matches!(self.upload.source(), UploadSource::Url(_)) {
            return None;
        }
        let bytes = match (self.upload.declared_len(), probe) {
            (Some(len), _) => len,
            (None, Some(probe)) => probe.len,
            (None, None) => return None,
        };
        Some(Identity {
            filename: self.upload.filename()?,
            bytes,
            purpose: self.upload.purpose().clone(),
        })
    }

    /// Whether a local file of `len` bytes goes through the Uploads API, and how: when the
    /// caller asked for parts, or when the provider has the API and the file is over its
    /// switch size.
    fn in_parts(&self, len: u64) -> Option<PartOptions> {
        let rule = self.provider.uploads();
        match (self.upload.parts(), rule) {
            (Some(parts), _) => Some(parts),
            (None, Some(rule)) if len > rule.switch_above => Some(PartOptions::new()),
            _ => None,
        }
    }

    /// The upload, sent through the Uploads API as `parts` says.
    fn parts(&self, parts: PartOptions) -> UploadInParts {
        UploadInParts::new(
            self.provider.clone(),
            &self.upload,
            parts,
            self.options.clone(),
        )
    }

    /// Applies the provider's rules to an upload that is no local file, unless validation is
    /// off, and queues its warnings. (A path's checks are [`Inspection`]'s.)
    fn check(&mut self) -> Result<(), Error> {
        if !self.options.validates() {
            return Ok(());
        }
        let strict = self.options.strict_purposes_value();
        let warnings = check_upload(&*self.provider, &self.upload, None, true, strict)?;
        self.queue(warnings);
        Ok(())
    }

    /// Queues the last check's warnings for the observer.
    fn queue(&mut self, warnings: Vec<UploadWarning>) {
        for warning in warnings {
            self.outbox.push(News::Warning(warning));
        }
    }
}

impl Operation for CreateFile {
    type Output = FileObject;

    fn name(&self) -> &'static str {
        "files.create"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<FileObject> {
        loop {
            match std::mem::replace(&mut self.state, State::Finished) {
                State::Start => match self.upload.local_path() {
                    Some(path) => {
                        self.state = State::Inspecting(Inspection::new(path.to_owned()));
                    }
                    // Bytes, a reader or a stream: to the Uploads API when asked, or over
                    // the switch size; else checked as it is.
                    None => match self.upload.declared_len().and_then(|l| self.in_parts(l)) {
                        Some(parts) => self.state = State::InParts(Box::new(self.parts(parts))),
                        None => match self.check() {
                            Ok(()) => self.state = State::Build(None),
                            Err(error) => self.state = State::Failed(error),
                        },
                    },
                },
                State::Inspecting(mut inspection) => {
                    let strict = self.options.strict_purposes_value();
                    let step = inspection.poll(self.options.validates(), |probe, content| {
                        check_upload(&*self.provider, &self.upload, Some(probe), content, strict)
                    });
                    match step {
                        Step::Inspect { path, prefix_len } => {
                            self.state = State::Inspecting(inspection);
                            return Next::Inspect { path, prefix_len };
                        }
                        Step::Sized(probe) => match self.in_parts(probe.len) {
                            Some(parts) => {
                                let machine = self.parts(parts).after_inspection(probe);
                                self.state = State::InParts(Box::new(machine));
                            }
                            None => self.state = State::Inspecting(inspection),
                        },
                        Step::Checked { probe, warnings } => {
                            self.queue(warnings);
                            self.state = State::Build(Some(probe));
                        }
                        Step::Failed(error) => self.state = State::Failed(error),
                    }
                }
                State::Build(probe) => {
                    let request = build_upload(
                        &*self.provider,
                        &self.upload,
                        probe.as_ref(),
                        Boundary::from_random(random),
                        self.options.extra_form_fields(),
                    );
                    let exchange = Exchange::json(
                        self.name(),
                        self.provider.dialect(),
                        request,
                        decode_file,
                        &self.options,
                    );
                    let identity = self.identity(probe.as_ref());
                    let guarded =
                        Guarded::new(exchange, identity, self.provider.clone(), &self.options);
                    self.state = State::Sending(Box::new(guarded));
                }
                State::Sending(mut guarded) => match guarded.poll(now, random, &mut self.outbox) {
                    Next::Done(result) => {
                        return Next::Done(result.map(|outcome| match outcome {
                            Outcome::Answered(file) | Outcome::Found(file) => file,
                        }));
                    }
                    next => {
                        self.state = State::Sending(guarded);
                        return next.pass();
                    }
                },
                State::InParts(mut machine) => {
                    let next = machine.poll(now, random);
                    self.outbox.forward(&mut *machine);
                    if !matches!(next, Next::Done(_)) {
                        self.state = State::InParts(machine);
                    }
                    return next;
                }
                State::Failed(error) => return Next::Done(Err(error)),
                State::Finished => return Next::Done(Err(polled_when_finished())),
            }
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        match (&mut self.state, event) {
            (State::Inspecting(inspection), event) => inspection.handle(event),
            (State::Sending(guarded), event) => guarded.handle(event, now),
            (State::InParts(machine), event) => machine.handle(event, now),
            _ => {}
        }
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleKind;
    use crate::ops::scenario::{Scenario, file_json};
    use crate::probe::PROBE_PREFIX_LEN;
    use crate::purpose::Purpose;
    use crate::wire::tests::{TEST_UPLOADS, TestProvider};
    use crate::{LocalFileError, LocalFileOp, TransportError, TransportErrorKind};
    use std::path::Path;

    fn create(upload: UploadRequest, options: RequestOptions) -> Scenario<CreateFile> {
        Scenario::new(CreateFile::new(
            Arc::new(TestProvider::openai_like()),
            upload,
            options,
        ))
    }

    #[test]
    fn a_path_is_inspected_then_sent_with_its_exact_length() {
        let mut s = create(
            UploadRequest::from_path("/data/train.jsonl", Purpose::FINE_TUNE),
            RequestOptions::new(),
        );
        assert_eq!(s.expect_inspect_of(0), Path::new("/data/train.jsonl"));
        s.inspected(1_000_000, b"");
        assert_eq!(
            s.expect_inspect_of(PROBE_PREFIX_LEN),
            Path::new("/data/train.jsonl")
        );
        s.inspected(1_000_000, b"{\"messages\":");
        let attempt = s.expect_send();
        let body = attempt.request.body();
        assert_eq!(
            attempt.request.headers()["content-length"],
            body.len().to_string().as_str()
        );
        let payload = body.payload().unwrap();
        assert_eq!(payload.end - payload.start, 1_000_000);
        let content_type = attempt.request.headers()["content-type"].to_str().unwrap();
        assert_eq!(
            content_type,
            format!(
                "multipart/form-data; boundary={}",
                Boundary::from_random(s.random()).as_str()
            )
        );
        s.respond(200, &[], &file_json("file-9", None));
        assert_eq!(s.expect_done().unwrap().id, "file-9");
    }

    #[test]
    fn a_missing_file_fails_before_anything_is_sent() {
        let mut s = create(
            UploadRequest::from_path("/no/such.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        s.expect_inspect();
        s.handle(Event::Inspected(Err(LocalFileError::new(
            LocalFileOp::Inspect,
            "/no/such.jsonl",
            std::io::ErrorKind::NotFound.into(),
        ))));
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string().starts_with("could not open /no/such.jsonl"),
            "{err}"
        );
    }

    #[test]
    fn bytes_are_sent_again_on_a_retry_but_a_read_reader_is_not() {
        let mut s = create(
            UploadRequest::from_bytes(&b"abc"[..], "a.txt", Purpose::ASSISTANTS),
            RequestOptions::new(),
        );
        let first = s.expect_send();
        s.fail(TransportError::new(TransportErrorKind::Io, "reset"));
        s.expect_sleep();
        let second = s.expect_send();
        assert_eq!(first.request.body().len(), second.request.body().len());
        s.respond(200, &[], &file_json("file-1", None));
        s.expect_done().unwrap();

        let mut s = create(
            UploadRequest::from_reader(&b"abc"[..], 3, "a.txt", Purpose::ASSISTANTS),
            RequestOptions::new(),
        );
        let attempt = s.expect_send();
        // The driver's pump takes the reader as it sends.
        for segment in attempt.request.body().segments() {
            if let crate::body::Segment::Reader(r) = segment {
                r.take();
            }
        }
        s.fail(TransportError::new(TransportErrorKind::Io, "reset"));
        let err = s.expect_done().unwrap_err();
        assert!(
            err.to_string().contains("not retried: the upload's reader"),
            "{err}"
        );
    }

    #[test]
    fn a_reader_never_read_is_retried_after_a_refused_connection() {
        let mut s = create(
            UploadRequest::from_reader(&b"abc"[..], 3, "a.txt", Purpose::ASSISTANTS),
            RequestOptions::new(),
        );
        s.expect_send();
        s.fail(TransportError::new(TransportErrorKind::Connect, "refused"));
        s.expect_sleep();
        s.expect_send();
    }

    fn ruled(upload: UploadRequest, options: RequestOptions) -> Scenario<CreateFile> {
        Scenario::new(CreateFile::new(
            Arc::new(TestProvider::with_rules()),
            upload,
            options,
        ))
    }

    fn rule_of(result: Result<FileObject, Error>) -> RuleKind {
        match result {
            Err(Error::Validation(e)) => e.kind,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_rule_breaking_upload_is_refused_without_inspecting_or_sending() {
        let mut s = ruled(
            UploadRequest::from_bytes(&b"{}"[..], "a.jsonl", Purpose::BATCH).with_expires_after(5),
            RequestOptions::new(),
        );
        assert_eq!(rule_of(s.expect_done()), RuleKind::ExpiresAfterOutOfRange);
        let mut s = ruled(
            UploadRequest::from_bytes(&b"a,b\n"[..], "a.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        assert_eq!(rule_of(s.expect_done()), RuleKind::NotJsonLines);
    }

    #[test]
    fn a_file_too_large_is_refused_from_its_size_before_a_byte_is_read() {
        let mut s = ruled(
            UploadRequest::from_path("/data/big.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        s.expect_inspect_of(0);
        s.inspected(300 << 20, b"");
        assert_eq!(rule_of(s.expect_done()), RuleKind::FileTooLarge);
        let mut s = ruled(
            UploadRequest::from_path("/data/empty.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        s.expect_inspect_of(0);
        s.inspected(0, b"");
        assert_eq!(rule_of(s.expect_done()), RuleKind::EmptyFile);
    }

    #[test]
    fn the_first_bytes_are_checked_after_the_size() {
        let mut s = ruled(
            UploadRequest::from_path("/data/a.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        s.expect_inspect_of(0);
        s.inspected(8, b"");
        s.expect_inspect_of(PROBE_PREFIX_LEN);
        s.inspected(8, b"PK\x03\x04\x14\0\x06\0");
        assert_eq!(rule_of(s.expect_done()), RuleKind::ContentMismatch);
    }

    #[test]
    fn with_validation_off_nothing_is_checked_and_no_byte_is_read() {
        let mut s = ruled(
            UploadRequest::from_path("/data/a.csv", Purpose::BATCH),
            RequestOptions::new().validate(false),
        );
        s.expect_inspect_of(0);
        s.inspected(4, b"");
        let attempt = s.expect_send();
        assert_eq!(
            attempt.request.body().payload().unwrap().end
                - attempt.request.body().payload().unwrap().start,
            4
        );
    }

    #[test]
    fn warnings_are_queued_once_before_sending_and_a_retry_is_queued_with_its_pause() {
        use crate::ops::News;
        struct Anyone;
        impl crate::Observer for Anyone {}
        let mut s = ruled(
            UploadRequest::from_path("/data/notes.txt", Purpose::RETRIEVAL),
            RequestOptions::new().observer(Arc::new(Anyone)),
        );
        s.expect_inspect_of(0);
        s.inspected(5, b"");
        s.expect_inspect_of(PROBE_PREFIX_LEN);
        assert_eq!(s.notices(), [], "the size check alone queues nothing");
        s.inspected(5, b"notes");
        let first = s.expect_send();
        let queued = s.notices();
        let [News::Warning(warning)] = &queued[..] else {
            panic!("expected one warning before sending, got {queued:?}")
        };
        assert_eq!(warning.kind, crate::WarningKind::DeprecatedPurpose);
        assert!(warning.message.contains("use `batch` instead"), "{warning}");
        // The first attempt is cut; the retry re-sends the body, not the checks.
        s.fail(TransportError::new(TransportErrorKind::Io, "reset"));
        let pause = s.expect_sleep();
        let crate::ops::PauseCause::Retry(notice) = &pause.cause else {
            panic!("{pause:?}")
        };
        assert_eq!(notice.operation, "files.create");
        assert_eq!((notice.attempt, notice.max_attempts), (2, 3));
        assert_eq!(s.notices(), [News::Retrying(notice.clone())]);
        let second = s.expect_send();
        assert_eq!((first.number, second.number), (1, 2));
        assert_eq!(first.request.body().len(), second.request.body().len());
        s.respond(200, &[], &file_json("file-1", None));
        assert_eq!(s.expect_done().unwrap().id, "file-1");
        assert_eq!(s.notices(), [], "no warning again");
    }

    #[test]
    fn without_an_observer_nothing_is_queued() {
        let mut s = ruled(
            UploadRequest::from_path("/data/notes.txt", Purpose::RETRIEVAL),
            RequestOptions::new(),
        );
        s.expect_inspect_of(0);
        s.inspected(5, b"");
        s.expect_inspect_of(PROBE_PREFIX_LEN);
        s.inspected(5, b"notes");
        s.expect_send();
        s.fail(TransportError::new(TransportErrorKind::Io, "reset"));
        s.expect_sleep();
        assert_eq!(s.notices(), []);
    }

    /// Where a local file of `size` bytes is sent: the last segment of the first request's
    /// path, `files` (`POST /files`) or `uploads` (the Uploads API).
    fn route_of_a_file_of(size: u64) -> String {
        let mut s = create(
            UploadRequest::from_path("/d/a.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        s.expect_inspect_of(0);
        s.inspected(size, b"");
        s.expect_inspect_of(PROBE_PREFIX_LEN);
        s.inspected(size, b"{}");
        let attempt = s.expect_send();
        let path = attempt.request.uri().path();
        path.rsplit('/').next().unwrap_or_default().to_owned()
    }

    #[test]
    fn a_file_of_exactly_the_switch_size_goes_through_post_files() {
        let switch = TEST_UPLOADS.switch_above;
        assert_eq!(route_of_a_file_of(switch - 1), "files");
        assert_eq!(route_of_a_file_of(switch), "files", "at the switch size");
        assert_eq!(route_of_a_file_of(switch + 1), "uploads", "one byte over");
        // The machine sees the same edge.
        let op = CreateFile::new(
            Arc::new(TestProvider::openai_like()),
            UploadRequest::from_path("/d/a.jsonl", Purpose::BATCH),
            RequestOptions::new(),
        );
        assert!(op.in_parts(switch).is_none());
        assert_eq!(op.in_parts(switch + 1), Some(PartOptions::new()));
        assert_eq!(op.name(), "files.create");
    }

    #[test]
    fn parts_asked_for_bytes_or_a_reader_go_through_the_uploads_api() {
        // Bytes (or a reader) with parts asked for are sent through the Uploads API, not
        // through POST /files with the caller's request for parts dropped without a word.
        for upload in [
            UploadRequest::from_bytes(&b"{}"[..], "a.jsonl", Purpose::BATCH),
            UploadRequest::from_reader(&b"{}"[..], 2, "a.jsonl", Purpose::BATCH),
        ] {
            let mut s = create(upload.with_parts(PartOptions::new()), RequestOptions::new());
            let created = match s.poll() {
                Next::Pull { len, .. } => {
                    // The reader's first part, for the checks.
                    assert_eq!(len, 2);
                    s.handle(Event::Read(Ok(bytes::Bytes::from_static(b"{}"))));
                    s.expect_send()
                }
                Next::Send(attempt) => *attempt,
                other => panic!("expected the Upload created, got {other:?}"),
            };
            assert!(
                created.request.uri().path().ends_with("/uploads"),
                "{created:?}"
            );
        }
        // A URL has no bytes to cut into parts.
        let mut s = create(
            UploadRequest::from_url("https://example.com/a.jsonl", Purpose::BATCH)
                .with_parts(PartOptions::new()),
            RequestOptions::new(),
        );
        assert_eq!(rule_of(s.expect_done()), RuleKind::Unsupported);
    }
}
