//! The blocking face of the pump: a [`Body`] as one `Read` of exactly its length.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::{Buf, Bytes};

use files_core::extend::body::{Body, Segment};
use files_core::{LocalFileError, Observer};

use super::check::{PayloadProgress, SegmentCheck, SendFailure, Source};
use crate::local::LocalFiles;
use crate::transport::RequestBody;

/// See [`BodyPump::into_request_body`](super::BodyPump::into_request_body).
pub(super) fn request_body(
    body: Body,
    files: Arc<dyn LocalFiles>,
    observer: Option<Arc<dyn Observer>>,
) -> (RequestBody, SendFailure) {
    let failure = SendFailure::default();
    let len = body.len();
    let progress = match (observer, body.payload()) {
        (Some(observer), Some(payload)) => Some(PayloadProgress::start(observer, payload)),
        _ => None,
    };
    let reader = BodyReader {
        segments: body.into_segments().into_iter(),
        current: None,
        files,
        failure: failure.clone(),
        progress,
        failed: None,
        left: len,
    };
    (RequestBody::new(reader, len), failure)
}

/// The segment being read.
enum Current {
    /// Bytes in memory: nothing to check.
    Bytes(Bytes),
    /// A file range or the caller's reader, held to its declared length.
    Checked(Box<dyn Read + Send>, SegmentCheck),
}

struct BodyReader {
    segments: std::vec::IntoIter<Segment>,
    current: Option<Current>,
    files: Arc<dyn LocalFiles>,
    failure: SendFailure,
    progress: Option<PayloadProgress>,
    /// Once failed, every later read fails the same way.
    failed: Option<(io::ErrorKind, String)>,
    /// The bytes of the body not yet handed to the transport.
    left: u64,
}

impl BodyReader {
    fn fail(&mut self, error: LocalFileError) -> io::Error {
        let error = self.failure.record(error);
        self.failed = Some((error.kind(), error.to_string()));
        error
    }

    fn open(&mut self, segment: Segment) -> Result<Option<Current>, LocalFileError> {
        Ok(Some(match segment {
            Segment::Bytes(bytes) => Current::Bytes(bytes),
            Segment::Path(range) if range.len == 0 => return Ok(None),
            Segment::Path(range) => {
                let source = Source::Path(range.path.clone());
                let reader = self
                    .files
                    .open_range(&range)
                    .map_err(|e| source.failed(e))?;
                Current::Checked(reader, SegmentCheck::new(source, range.len))
            }
            Segment::Reader(one_shot) => {
                let reader = one_shot.take().ok_or_else(|| Source::Reader.consumed())?;
                Current::Checked(reader, SegmentCheck::new(Source::Reader, one_shot.len()))
            }
            Segment::Stream(_) => return Err(Source::Stream.needs_async()),
        }))
    }

    /// Reads from the current segment: `Ok(None)` when it is finished.
    fn read_current(&mut self, buf: &mut [u8]) -> Result<Option<usize>, LocalFileError> {
        let Some(current) = &mut self.current else {
            return Ok(None);
        };
        match current {
            Current::Bytes(bytes) if bytes.is_empty() => Ok(None),
            Current::Bytes(bytes) => {
                let n = buf.len().min(bytes.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                bytes.advance(n);
                Ok(Some(n))
            }
            Current::Checked(_, check) if check.is_done() => Ok(None),
            Current::Checked(reader, check) if check.needs_end() => {
                match read_once(reader, &mut [0u8; 1]) {
                    Ok(0) => Ok(None),
                    Ok(_) => Err(check.overflowed()),
                    Err(e) => Err(check.source().failed(e)),
                }
            }
            Current::Checked(reader, check) => {
                let want = buf
                    .len()
                    .min(usize::try_from(check.remaining()).unwrap_or(usize::MAX));
                match read_once(reader, &mut buf[..want]) {
                    Ok(0) => check.ended().map(|()| None),
                    Ok(n) => Ok(Some(check.accept(n))),
                    Err(e) => Err(check.source().failed(e)),
                }
            }
        }
    }
}

/// One read, retried while it is merely interrupted.
fn read_once(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, message)) = &self.failed {
            return Err(io::Error::new(*kind, message.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.read_current(buf) {
                Ok(Some(n)) => {
                    if let Some(progress) = &mut self.progress {
                        progress.advance(n);
                    }
                    self.left = self.left.saturating_sub(n as u64);
                    if self.left == 0 {
                        self.failure.taken_whole();
                    }
                    return Ok(n);
                }
                Ok(None) => {}
                Err(error) => return Err(self.fail(error)),
            }
            let Some(segment) = self.segments.next() else {
                self.current = None;
                self.failure.taken_whole();
                return Ok(0);
            };
            match self.open(segment) {
                Ok(current) => self.current = current,
                Err(error) => return Err(self.fail(error)),
            }
        }
    }
}
