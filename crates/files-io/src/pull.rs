//! Pulling a one-shot source a piece at a time, for [`Next::Pull`]: the parts of an Upload cut
//! from a reader or stream as its bytes arrive. Each pull takes the source, reads up to the
//! piece's length, and puts back what is left; a stream chunk that crosses the end of a piece
//! is split, its rest kept for the next pull.
//!
//! ```
//! use files_core::extend::body::{OneShotReader, OneShotSource};
//!
//! let source = OneShotSource::Reader(OneShotReader::new(&b"abcdefg"[..], 7));
//! assert_eq!(&files_io::pull::pull_blocking(&source, 4).unwrap()[..], b"abcd");
//! assert_eq!(&files_io::pull::pull_blocking(&source, 4).unwrap()[..], b"efg");
//! assert!(files_io::pull::pull_blocking(&source, 4).unwrap().is_empty());
//! ```
//!
//! [`Next::Pull`]: files_core::extend::ops::Next::Pull

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use files_core::extend::body::{OneShotReader, OneShotSource, OneShotStream};
use files_core::{LocalFileError, LocalFileOp};
use futures_core::Stream;

use crate::pump::Source;
use crate::stream_upload::{ByteStream, unerase};

/// The next `len` bytes of `source` (fewer only at its end), read on this thread. A stream
/// cannot be read here: that is the async client's.
///
/// # Errors
///
/// The reader's failure, a source an attempt already took whole, or a stream.
pub fn pull_blocking(source: &OneShotSource, len: usize) -> Result<Bytes, LocalFileError> {
    match source {
        OneShotSource::Reader(reader) => pull_reader(reader, len),
        OneShotSource::Stream(_) => Err(Source::Stream.needs_async()),
    }
}

/// The next `len` bytes of a blocking reader (fewer only at its end). It blocks: an async
/// caller runs it where blocking is allowed.
///
/// # Errors
///
/// The reader's failure, or a reader an attempt already took whole.
pub fn pull_reader(reader: &OneShotReader, len: usize) -> Result<Bytes, LocalFileError> {
    let mut taken = reader.take().ok_or_else(|| Source::Reader.consumed())?;
    let mut buf = vec![0; len];
    let mut filled = 0;
    let result = loop {
        if filled == len {
            break Ok(());
        }
        match taken.read(&mut buf[filled..]) {
            Ok(0) => break Ok(()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(Source::Reader.failed(e)),
        }
    };
    reader.put_back(taken);
    result?;
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}

/// The next `len` bytes of an async stream (fewer only at its end).
///
/// # Errors
///
/// The stream's failure, a stream an attempt already took whole, or one not made by
/// [`one_shot_stream`](crate::one_shot_stream).
pub async fn pull_stream(stream: &OneShotStream, len: usize) -> Result<Bytes, LocalFileError> {
    let erased = stream.take().ok_or_else(|| Source::Stream.consumed())?;
    let mut rest = match erased.downcast::<Leftover>() {
        Ok(leftover) => *leftover,
        Err(erased) => Leftover {
            head: None,
            rest: unerase(erased)?,
        },
    };
    let mut bytes = BytesMut::with_capacity(len);
    let mut failure = None;
    while bytes.len() < len {
        let next = match rest.head.take() {
            Some(head) => Some(Ok(head)),
            None => std::future::poll_fn(|cx| rest.rest.as_mut().poll_next(cx)).await,
        };
        match next {
            Some(Ok(mut chunk)) => {
                let room = len - bytes.len();
                if chunk.len() > room {
                    rest.head = Some(chunk.split_off(room));
                }
                bytes.extend_from_slice(&chunk);
            }
            Some(Err(e)) => {
                failure = Some(LocalFileError::new(
                    LocalFileOp::Read,
                    "the upload's stream",
                    e,
                ));
                break;
            }
            None => break,
        }
    }
    stream.put_back_erased(Box::new(rest));
    match failure {
        Some(error) => Err(error),
        None => Ok(bytes.freeze()),
    }
}

/// A stream with the rest of a chunk a pull split, to come first: what [`pull_stream`] puts
/// back. The pump reads it as a stream like any other.
pub(crate) struct Leftover {
    head: Option<Bytes>,
    rest: ByteStream,
}

impl Stream for Leftover {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.head.take() {
            Some(head) => Poll::Ready(Some(Ok(head))),
            None => self.rest.as_mut().poll_next(cx),
        }
    }
}

impl Leftover {
    /// As the pump's stream.
    pub(crate) fn into_stream(self) -> ByteStream {
        Box::pin(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::one_shot_stream;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_util::FutureExt::now_or_never(future).expect("ready at once")
    }

    #[test]
    fn a_stream_is_cut_at_each_piece_whatever_its_chunks() {
        let chunks = ["abc", "defgh", "i", "", "jklmnopq"]
            .map(|c| Ok::<_, io::Error>(Bytes::from_static(c.as_bytes())));
        let stream = one_shot_stream(futures_util::stream::iter(chunks), 17);
        let mut pieces = Vec::new();
        loop {
            let piece = block_on(pull_stream(&stream, 4)).unwrap();
            if piece.is_empty() {
                break;
            }
            pieces.push(String::from_utf8(piece.to_vec()).unwrap());
        }
        assert_eq!(pieces, ["abcd", "efgh", "ijkl", "mnop", "q"]);
    }

    #[test]
    fn a_failure_is_named_and_a_taken_source_is_refused() {
        let chunks = vec![
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::other("the pipe broke")),
        ];
        let stream = one_shot_stream(futures_util::stream::iter(chunks), 9);
        let error = block_on(pull_stream(&stream, 4)).unwrap_err();
        assert!(error.to_string().contains("the pipe broke"), "{error}");
        assert!(error.to_string().contains("the upload's stream"), "{error}");

        let taken = OneShotReader::new(io::empty(), 0);
        drop(taken.take());
        let error = pull_reader(&taken, 4).unwrap_err();
        assert!(error.to_string().contains("already read"), "{error}");
        let stream = OneShotSource::Stream(one_shot_stream(futures_util::stream::empty(), 0));
        let error = pull_blocking(&stream, 1).unwrap_err();
        assert!(
            error.to_string().contains("needs the async client"),
            "{error}"
        );
    }

    #[test]
    fn a_reader_that_gives_a_byte_at_a_time_fills_each_piece() {
        struct Trickle(Vec<u8>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0.remove(0);
                Ok(1)
            }
        }
        let reader = OneShotReader::new(Trickle(b"0123456789".to_vec()), 10);
        assert_eq!(&pull_reader(&reader, 6).unwrap()[..], b"012345");
        assert_eq!(&pull_reader(&reader, 6).unwrap()[..], b"6789");
    }
}
