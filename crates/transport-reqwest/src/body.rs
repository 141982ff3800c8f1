//! [`SegmentBody`]: an `http_body::Body` that streams a core `Body`'s segments with an exact
//! size hint, reading files without blocking the runtime.

use std::io::{self, Read, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use files_core::{Body, ByteStream, PathRange, SegmentSource};
use futures_util::{StreamExt, stream};
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::oneshot;
use tokio_util::io::ReaderStream;

/// How many bytes one chunk of a file or reader holds.
const CHUNK: usize = 64 * 1024;

/// A request body streamed from segments; its size hint is exact, so reqwest sends
/// `Content-Length`.
pub(crate) struct SegmentBody {
    stream: SyncWrapper<ByteStream>,
    len: u64,
    /// Told when the stream ends: the response timeout starts then. Dropping it (with the
    /// body) tells the same.
    sent: Option<oneshot::Sender<()>>,
}

impl SegmentBody {
    pub(crate) fn new(body: Body, sent: oneshot::Sender<()>) -> Self {
        let len = body.len();
        let stream = body.into_stream(TokioSegments);
        SegmentBody {
            stream: SyncWrapper::new(stream),
            len,
            sent: Some(sent),
        }
    }
}

impl http_body::Body for SegmentBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let polled = self.stream.get_mut().as_mut().poll_next(cx);
        if let Poll::Ready(None) = polled
            && let Some(sent) = self.sent.take()
        {
            let _ = sent.send(());
        }
        polled.map(|item| item.map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// Reads files with tokio's file IO and blocking readers on tokio's blocking pool.
pub(crate) struct TokioSegments;

impl SegmentSource for TokioSegments {
    fn path(&self, range: PathRange) -> ByteStream {
        let opened = async move {
            let with_path =
                |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", range.path.display()));
            let mut file = tokio::fs::File::open(&range.path)
                .await
                .map_err(with_path)?;
            if range.offset > 0 {
                file.seek(SeekFrom::Start(range.offset))
                    .await
                    .map_err(with_path)?;
            }
            Ok::<_, io::Error>(ReaderStream::with_capacity(file.take(range.len), CHUNK))
        };
        stream::once(opened)
            .flat_map(|opened| match opened {
                Ok(chunks) => chunks.boxed(),
                Err(e) => stream::once(async { Err(e) }).boxed(),
            })
            .boxed()
    }

    fn blocking_reader(&self, reader: Box<dyn Read + Send>) -> ByteStream {
        stream::unfold(Some(reader), |state| async move {
            let mut reader = state?;
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; CHUNK];
                let n = reader.read(&mut buf)?;
                buf.truncate(n);
                Ok::<_, io::Error>((reader, buf))
            })
            .await
            .map_err(io::Error::other)
            .and_then(|r| r);
            match read {
                Ok((_, buf)) if buf.is_empty() => None,
                Ok((reader, buf)) => Some((Ok(Bytes::from(buf)), Some(reader))),
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use files_core::{OneShotReader, OneShotStream, Segment};
    use http_body::Body as _;

    async fn collect(body: Body) -> io::Result<Vec<u8>> {
        let mut body = SegmentBody::new(body, oneshot::channel().0);
        let mut out = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            out.extend_from_slice(frame?.data_ref().expect("data frame"));
        }
        Ok(out)
    }

    #[tokio::test]
    async fn segments_stream_in_order_with_an_exact_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let body = Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"[")),
            Segment::Path(PathRange {
                path,
                offset: 2,
                len: 5,
            }),
            Segment::Reader(OneShotReader::new(&b"rr"[..], 2)),
            Segment::Stream(OneShotStream::new(
                stream::iter(vec![Ok(Bytes::from_static(b"ss"))]),
                2,
            )),
            Segment::Bytes(Bytes::from_static(b"]")),
        ]);
        assert_eq!(
            SegmentBody::new(body.clone(), oneshot::channel().0)
                .size_hint()
                .exact(),
            Some(11)
        );
        assert_eq!(collect(body).await.unwrap(), b"[23456rrss]");
    }

    #[tokio::test]
    async fn a_file_that_shrank_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        let body = Body::from_segments(vec![Segment::Path(PathRange::whole(&path, 10))]);
        let err = collect(body).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("ended after 3 of its declared 10 bytes"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_missing_file_names_its_path() {
        let body = Body::from_segments(vec![Segment::Path(PathRange::whole(
            "/nonexistent/x.bin",
            1,
        ))]);
        let err = collect(body).await.unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.bin"), "{err}");
    }
}
