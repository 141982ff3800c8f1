//! A [`Body`] as an async stream of chunks: the async twin of [`Body::into_reader`].
//!
//! The core composes the segments and checks every length; the transport supplies the two
//! things that need a runtime: a stream of a file range, and a way to read a blocking reader
//! off the async threads.

use std::io::{self, Read};

use futures_util::{StreamExt, stream};

use crate::body::{Body, ByteStream, ExactLength, PathRange, Segment, consumed_source_error};

/// How a transport streams the pieces of a body that need IO.
pub trait SegmentSource: Send + Sync + 'static {
    /// The bytes of `range`: the file opened (when first polled), positioned at the offset and
    /// read up to `len` bytes, without blocking the runtime.
    fn path(&self, range: PathRange) -> ByteStream;

    /// A blocking reader read chunk by chunk without blocking the runtime (for example on a
    /// blocking thread pool).
    fn blocking_reader(&self, reader: Box<dyn Read + Send>) -> ByteStream;
}

impl Body {
    /// Joins the segments into one stream of chunks. Path and reader segments are read through
    /// `source`, opened only when the stream reaches them; every segment must yield exactly its
    /// declared length, or the stream ends with an error that says which and by how much.
    pub fn into_stream<S: SegmentSource>(self, source: S) -> ByteStream {
        let source = std::sync::Arc::new(source);
        stream::iter(self.into_segments())
            .flat_map(move |segment| segment_stream(&*source, segment))
            .boxed()
    }
}

fn segment_stream(source: &dyn SegmentSource, segment: Segment) -> ByteStream {
    match segment {
        Segment::Bytes(bytes) => stream::once(async move { Ok(bytes) }).boxed(),
        Segment::Path(range) => {
            let (len, what) = (range.len, range.path.display().to_string());
            exact_length(source.path(range), len, what)
        }
        Segment::Reader(reader) => match reader.take() {
            Some(inner) => source.blocking_reader(Box::new(ExactLength::new(
                inner,
                reader.len(),
                "the upload's reader",
            ))),
            None => failed(consumed_source_error()),
        },
        Segment::Stream(s) => match s.take() {
            Some(inner) => exact_length(inner, s.len(), "the upload's stream".to_owned()),
            None => failed(consumed_source_error()),
        },
    }
}

fn failed(error: io::Error) -> ByteStream {
    stream::once(async move { Err(error) }).boxed()
}

/// Checks that `inner` yields exactly `len` bytes: fewer or more is an error naming `what`.
pub(crate) fn exact_length(inner: ByteStream, len: u64, what: String) -> ByteStream {
    stream::unfold((inner, 0u64, false), move |(mut inner, seen, done)| {
        let what = what.clone();
        async move {
            if done {
                return None;
            }
            let item = match inner.next().await {
                Some(Ok(chunk)) => {
                    let seen = seen + chunk.len() as u64;
                    if seen > len {
                        let e = io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{what} holds more than its declared {len} bytes"),
                        );
                        return Some((Err(e), (inner, seen, true)));
                    }
                    return Some((Ok(chunk), (inner, seen, false)));
                }
                Some(Err(e)) => Err(e),
                None if seen < len => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{what} ended after {seen} of its declared {len} bytes"),
                )),
                None => return None,
            };
            Some((item, (inner, seen, true)))
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{OneShotReader, OneShotStream};
    use bytes::Bytes;
    use futures_util::FutureExt;

    /// Serves every path as the bytes `0123456789` cut to the range; reads readers inline.
    struct Memory;

    impl SegmentSource for Memory {
        fn path(&self, range: PathRange) -> ByteStream {
            let data = b"0123456789";
            let start = (range.offset as usize).min(data.len());
            let end = (start + range.len as usize).min(data.len());
            stream::iter(vec![Ok(Bytes::copy_from_slice(&data[start..end]))]).boxed()
        }

        fn blocking_reader(&self, mut reader: Box<dyn Read + Send>) -> ByteStream {
            let mut out = Vec::new();
            let item = reader.read_to_end(&mut out).map(|_| Bytes::from(out));
            stream::iter(vec![item]).boxed()
        }
    }

    fn collect(body: Body) -> io::Result<Vec<u8>> {
        let chunks: Vec<io::Result<Bytes>> =
            body.into_stream(Memory).collect().now_or_never().unwrap();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[test]
    fn segments_stream_in_order() {
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"[")),
            Segment::Path(PathRange {
                path: "f".into(),
                offset: 2,
                len: 3,
            }),
            Segment::Reader(OneShotReader::new(&b"rr"[..], 2)),
            Segment::Stream(OneShotStream::new(
                stream::iter(vec![Ok(Bytes::from_static(b"ss"))]),
                2,
            )),
            Segment::Bytes(Bytes::from_static(b"]")),
        ]);
        assert_eq!(collect(body).unwrap(), b"[234rrss]");
    }

    #[test]
    fn a_range_past_the_end_of_the_file_is_an_error() {
        let body = Body::from_segments(vec![Segment::Path(PathRange {
            path: "f".into(),
            offset: 8,
            len: 5,
        })]);
        let err = collect(body).unwrap_err();
        assert!(
            err.to_string()
                .contains("f ended after 2 of its declared 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn wrong_declared_lengths_are_errors() {
        let long = OneShotStream::new(stream::iter(vec![Ok(Bytes::from_static(b"abcd"))]), 3);
        let err = collect(Body::from_segments(vec![Segment::Stream(long)])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let short = OneShotReader::new(&b"ab"[..], 3);
        let err = collect(Body::from_segments(vec![Segment::Reader(short)])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_one_shot_stream_cannot_be_sent_twice() {
        let s = OneShotStream::new(stream::iter(vec![Ok(Bytes::from_static(b"ab"))]), 2);
        let body = Body::from_segments(vec![Segment::Stream(s)]);
        collect(body.clone()).unwrap();
        let err = collect(body).unwrap_err();
        assert!(err.to_string().contains("already consumed"), "{err}");
    }
}
