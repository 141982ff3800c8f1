//! [`Flight`]: the parts of one Upload on their way — which are queued, which are out, which
//! the server took — and the MD5 taken alongside them: of a file, read again in order; of
//! bytes in memory, or pulled from a reader or stream, as each part starts.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use bytes::Bytes;
use md5::{Digest, Md5};

use crate::body::{OneShotSource, PathRange, Segment};
use crate::error::{Error, LocalFileError, LocalFileOp};
use crate::ops::exchange::{Exchange, out_of_order};
use crate::ops::{Abandon, Event, News, Next, Now, Operation, Outbox, Slot};
use crate::ops::{FileTally, PartShare};
use crate::options::RequestOptions;
use crate::provider::Provider;
use crate::uploads::{PartPlan, PartRange, SentPart, UploadPart, UploadStep};
use crate::wire::Boundary;

/// How much of the file one read for the MD5 asks for.
pub(crate) const MD5_CHUNK: usize = 1 << 20;

/// Where the parts' bytes come from.
pub(super) enum PartSource {
    /// A local file: each part a range of it, read as it is sent (and again for a retry).
    Path(PathBuf),
    /// Bytes in memory: each part a slice of them, no copy.
    Bytes(Bytes),
    /// A one-shot reader or stream: the parts pulled in order as the bytes arrive, each held
    /// in memory until the server takes it (so a part can be retried), no more than the
    /// parts in flight and the one being pulled.
    Pulled {
        source: OneShotSource,
        /// The next part's bytes, pulled and waiting for a slot.
        ready: Option<Bytes>,
        /// Whether the source was seen to end where the upload said it would.
        ended: bool,
    },
}

/// A part that is out.
struct Running {
    range: PartRange,
    exchange: Exchange<UploadPart>,
}

/// What the flight asks for next.
pub(super) enum FlightNext {
    /// Hand this to the driver.
    Next(Next<()>),
    /// Every part was taken and the MD5 (if asked for) is known: complete the Upload.
    Complete {
        /// The part ids in file order.
        part_ids: Vec<String>,
        /// The file's MD5 in hex.
        md5: Option<String>,
    },
    /// A step failed; nothing is out any more.
    Failed(UploadStep, Error),
}

/// The parts of one Upload on their way.
pub(super) struct Flight {
    pub(super) upload_id: String,
    source: PartSource,
    /// The file's size.
    pub(super) len: u64,
    in_flight: usize,
    /// Offsets of every part of the file, in order: a part's number is its place here.
    offsets: Vec<u64>,
    queue: VecDeque<PartRange>,
    running: BTreeMap<Slot, Running>,
    /// Slots whose exchange heard an event and must be polled.
    answered: VecDeque<Slot>,
    next_slot: usize,
    sent: Vec<SentPart>,
    md5: Option<(Md5, u64)>,
    failure: Option<(UploadStep, Error)>,
    abandon: Abandon,
    options: RequestOptions,
    tally: FileTally,
}

impl Flight {
    pub(super) fn new(
        upload_id: String,
        source: PartSource,
        plan: &PartPlan,
        sent: Vec<SentPart>,
        in_flight: usize,
        md5: bool,
        options: RequestOptions,
    ) -> Self {
        let mut offsets: Vec<u64> = plan
            .to_send()
            .iter()
            .map(|r| r.offset)
            .chain(sent.iter().map(|p| p.range.offset))
            .collect();
        offsets.sort_unstable();
        let tally = FileTally::new(plan.len(), plan.already_sent());
        // Bytes pulled before the flight (the first part, for the checks) are hashed now, in
        // order, as every later piece will be.
        let md5 = md5.then(|| {
            let mut hasher = Md5::new();
            match &source {
                PartSource::Pulled {
                    ready: Some(first), ..
                } => {
                    hasher.update(first);
                    (hasher, first.len() as u64)
                }
                _ => (hasher, 0),
            }
        });
        Flight {
            upload_id,
            source,
            len: plan.len(),
            in_flight: in_flight.max(1),
            offsets,
            queue: plan.to_send().iter().copied().collect(),
            running: BTreeMap::new(),
            answered: VecDeque::new(),
            next_slot: 0,
            sent,
            md5,
            failure: None,
            abandon: Abandon::new(),
            options,
            tally,
        }
    }

    /// Feeds the MD5 the bytes that follow what it has had.
    fn digest(&mut self, bytes: &[u8]) {
        if let Some((hasher, at)) = &mut self.md5 {
            hasher.update(bytes);
            *at += bytes.len() as u64;
        }
    }

    /// Feeds the MD5 the in-memory bytes up to `end` that it has not had yet.
    fn digest_bytes_through(&mut self, end: u64) {
        let (PartSource::Bytes(bytes), Some((_, at))) = (&self.source, &self.md5) else {
            return;
        };
        let (from, to) = (*at as usize, end.min(bytes.len() as u64) as usize);
        if from < to {
            let piece = bytes.slice(from..to);
            self.digest(&piece);
        }
    }

    /// The part's number (from 1) and the file's count of parts.
    fn place_of(&self, range: PartRange) -> (usize, usize) {
        let number = self.offsets.partition_point(|&o| o < range.offset) + 1;
        (number, self.offsets.len())
    }

    fn step_of(&self, range: PartRange) -> UploadStep {
        let (number, count) = self.place_of(range);
        UploadStep::Part {
            number,
            count,
            range,
        }
    }

    fn fail(&mut self, step: UploadStep, error: Error) {
        if self.failure.is_none() {
            self.failure = Some((step, error));
        }
        // Parts waiting out a retry pause are not sent once the upload is failing.
        self.abandon.raise();
    }

    /// What to do next.
    pub(super) fn poll(
        &mut self,
        provider: &dyn Provider,
        outbox: &mut Outbox,
        now: Now,
        random: u128,
    ) -> FlightNext {
        while let Some(slot) = self.answered.pop_front() {
            let Some(mut running) = self.running.remove(&slot) else {
                continue;
            };
            if self.failure.is_some() {
                continue; // No more retries once the upload is failing.
            }
            let next = running.exchange.poll(now, random);
            outbox.forward(&mut running.exchange);
            match next {
                Next::Done(Ok(part)) => {
                    let part = SentPart {
                        id: part.id,
                        range: running.range,
                    };
                    outbox.push(News::PartDone(part.clone()));
                    self.sent.push(part);
                }
                Next::Done(Err(error)) => self.fail(self.step_of(running.range), error),
                Next::Sleep(pause) => {
                    let next = running.exchange.poll(now, random);
                    outbox.forward(&mut running.exchange);
                    if let Next::Send(attempt) = next {
                        self.running.insert(slot, running);
                        return FlightNext::Next(Next::Start {
                            slot,
                            attempt,
                            after: Some(pause),
                            abandon: self.abandon.clone(),
                        });
                    }
                    self.fail(
                        self.step_of(running.range),
                        crate::ops::exchange::out_of_order("a part's retry did not send"),
                    );
                }
                _ => self.fail(
                    self.step_of(running.range),
                    crate::ops::exchange::out_of_order("a part answered out of turn"),
                ),
            }
        }
        if let Some(failure) = self.failure.take() {
            if !self.running.is_empty() {
                self.failure = Some(failure);
                return FlightNext::Next(Next::Await);
            }
            return FlightNext::Failed(failure.0, failure.1);
        }
        if self.running.len() < self.in_flight
            && let Some(&range) = self.queue.front()
        {
            let data = match &mut self.source {
                PartSource::Path(path) => Segment::Path(PathRange {
                    path: path.clone(),
                    offset: range.offset,
                    len: range.len,
                }),
                PartSource::Bytes(bytes) => {
                    let end = (range.offset + range.len).min(bytes.len() as u64);
                    let data = bytes.slice(range.offset.min(end) as usize..end as usize);
                    self.digest_bytes_through(range.offset + range.len);
                    Segment::Bytes(data)
                }
                PartSource::Pulled { source, ready, .. } => match ready.take() {
                    Some(data) => Segment::Bytes(data),
                    None => {
                        return FlightNext::Next(Next::Pull {
                            source: source.clone(),
                            len: range.len as usize,
                        });
                    }
                },
            };
            self.queue.pop_front();
            return self.start(provider, outbox, range, data, now, random);
        }
        if let PartSource::Pulled {
            source,
            ended: false,
            ..
        } = &self.source
            && self.queue.is_empty()
        {
            // One more byte asked for must not come: a source longer than declared would
            // otherwise be cut short without a word.
            return FlightNext::Next(Next::Pull {
                source: source.clone(),
                len: 1,
            });
        }
        if let (PartSource::Path(path), Some((_, at))) = (&self.source, &self.md5)
            && *at < self.len
        {
            let len = (self.len - *at).min(MD5_CHUNK as u64) as usize;
            return FlightNext::Next(Next::Read {
                path: path.clone(),
                offset: *at,
                len,
            });
        }
        // What no part started covers (the parts a resumed upload had sent) is hashed too.
        self.digest_bytes_through(self.len);
        if !self.running.is_empty() {
            return FlightNext::Next(Next::Await);
        }
        self.sent.sort_by_key(|p| p.range.offset);
        FlightNext::Complete {
            part_ids: self.sent.iter().map(|p| p.id.clone()).collect(),
            md5: self.md5.take().map(|(hasher, _)| {
                hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            }),
        }
    }

    fn start(
        &mut self,
        provider: &dyn Provider,
        outbox: &mut Outbox,
        range: PartRange,
        data: Segment,
        now: Now,
        random: u128,
    ) -> FlightNext {
        let (number, count) = self.place_of(range);
        let step = UploadStep::Part {
            number,
            count,
            range,
        };
        let share = PartShare::new(number, count, range, self.tally.clone());
        let boundary = Boundary::from_random(random);
        let exchange = match data {
            Segment::Path(range) => {
                Exchange::add_part(provider, &self.upload_id, range, boundary, &self.options)
            }
            Segment::Bytes(data) => {
                Exchange::add_part_bytes(provider, &self.upload_id, data, boundary, &self.options)
            }
            _ => {
                self.fail(step, out_of_order("a part of neither a file nor bytes"));
                return self.poll(provider, outbox, now, random);
            }
        };
        let mut exchange = exchange.with_part(share);
        let next = exchange.poll(now, random);
        outbox.forward(&mut exchange);
        match next {
            Next::Send(attempt) => {
                let slot = Slot(self.next_slot);
                self.next_slot += 1;
                self.running.insert(slot, Running { range, exchange });
                FlightNext::Next(Next::Start {
                    slot,
                    attempt,
                    after: None,
                    abandon: self.abandon.clone(),
                })
            }
            Next::Done(Err(error)) => {
                self.fail(step, error);
                self.poll(provider, outbox, now, random)
            }
            _ => {
                self.fail(
                    step,
                    crate::ops::exchange::out_of_order("a part did not start"),
                );
                self.poll(provider, outbox, now, random)
            }
        }
    }

    /// What happened to something the flight asked for.
    pub(super) fn handle(&mut self, event: Event, now: Now) {
        match event {
            Event::Finished { slot, event } => {
                if let Some(running) = self.running.get_mut(&slot) {
                    running.exchange.handle(*event, now);
                    self.answered.push_back(slot);
                }
            }
            Event::Read(result) => self.read(result),
            _ => self.fail(
                UploadStep::Complete,
                crate::ops::exchange::out_of_order("answered an upload with the wrong event"),
            ),
        }
    }

    fn read(&mut self, result: Result<Bytes, LocalFileError>) {
        if matches!(self.source, PartSource::Pulled { .. }) {
            return self.pulled(result);
        }
        let PartSource::Path(path) = &self.source else {
            return;
        };
        let path = path.clone();
        let Some((hasher, at)) = &mut self.md5 else {
            return;
        };
        match result {
            Ok(bytes) if !bytes.is_empty() && *at + bytes.len() as u64 <= self.len => {
                hasher.update(&bytes);
                *at += bytes.len() as u64;
            }
            Ok(_) => {
                let error = LocalFileError::new(
                    LocalFileOp::Read,
                    &path,
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "the file ended at byte {at} of the {} it had when the upload began: \
                             it changed while it was being sent",
                            self.len
                        ),
                    ),
                );
                self.fail(UploadStep::Digest, error.into());
            }
            Err(error) => self.fail(UploadStep::Digest, error.into()),
        }
    }

    /// The next part's bytes, pulled from the one-shot source: they must be all the part
    /// asked for, and are hashed at once (they arrive in order). Past the last part, the
    /// answer to the one byte more asked for: nothing, or the upload fails rather than store
    /// a file cut short.
    fn pulled(&mut self, result: Result<Bytes, LocalFileError>) {
        let PartSource::Pulled { source, .. } = &self.source else {
            return;
        };
        let source = source.clone();
        let (step, error) = match (self.queue.front().copied(), result) {
            (_, Err(error)) => (self.pulled_step(), error.into()),
            (Some(range), Ok(bytes)) if bytes.len() as u64 == range.len => {
                self.digest(&bytes);
                if let PartSource::Pulled { ready, .. } = &mut self.source {
                    *ready = Some(bytes);
                }
                return;
            }
            (Some(range), Ok(bytes)) => (
                self.step_of(range),
                super::source::ended_early(&source, range.offset + bytes.len() as u64, self.len),
            ),
            (None, Ok(bytes)) if bytes.is_empty() => {
                if let PartSource::Pulled { ended, .. } = &mut self.source {
                    *ended = true;
                }
                return;
            }
            (None, Ok(_)) => (self.last_step(), super::source::ran_long(&source, self.len)),
        };
        self.fail(step, error);
    }

    /// The step a pull was for: the next part's, or past the last, the last one's.
    fn pulled_step(&self) -> UploadStep {
        match self.queue.front() {
            Some(&range) => self.step_of(range),
            None => self.last_step(),
        }
    }

    /// The step of the file's last part: where a source that runs on past it is found out.
    fn last_step(&self) -> UploadStep {
        let offset = self.offsets.last().copied().unwrap_or(0);
        self.step_of(PartRange {
            offset,
            len: self.len - offset,
        })
    }
}
