//! Uploads from an async stream: [`StreamUpload::from_stream`] and the [`ByteStream`] the async
//! pump reads. files-core holds such a stream without knowing its type (it depends on no
//! futures crate); this module is where it is made and taken apart again.

use std::io;
use std::pin::Pin;

use bytes::Bytes;
use files_core::extend::body::OneShotStream;
use files_core::{LocalFileError, LocalFileOp, Purpose, UploadRequest, UploadSource};
use futures_core::Stream;

/// A byte stream for async uploads: chunks of bytes or an IO error.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A one-shot source of exactly `len` bytes from `stream`, for a
/// [`Segment::Stream`](files_core::extend::body::Segment::Stream).
pub fn one_shot_stream(
    stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    len: u64,
) -> OneShotStream {
    let stream: ByteStream = Box::pin(stream);
    OneShotStream::from_erased(Box::new(stream), len)
}

/// The stream [`one_shot_stream`] erased, or a local failure if something else was erased.
pub(crate) fn unerase(erased: Box<dyn std::any::Any + Send>) -> Result<ByteStream, LocalFileError> {
    // What a pull left of it (`crate::pull`) is a stream as well.
    let erased = match erased.downcast::<crate::pull::Leftover>() {
        Ok(leftover) => return Ok(leftover.into_stream()),
        Err(erased) => erased,
    };
    erased.downcast::<ByteStream>().map(|s| *s).map_err(|_| {
        LocalFileError::new(
            LocalFileOp::Read,
            "the upload's stream",
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "it was not made by files_io::one_shot_stream; build the upload with \
                 UploadRequest::from_stream",
            ),
        )
    })
}

/// Uploads from an async stream (async clients only), as a constructor of [`UploadRequest`]:
/// bring the trait into scope and call `UploadRequest::from_stream`.
///
/// ```
/// use files_core::{Purpose, UploadRequest};
/// use files_io::StreamUpload;
///
/// let chunks = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"{}\n"))]);
/// let upload = UploadRequest::from_stream(chunks, 3, "one.jsonl", Purpose::BATCH);
/// assert_eq!(upload.filename().as_deref(), Some("one.jsonl"));
/// ```
pub trait StreamUpload {
    /// Uploads exactly `len` bytes from an async `stream`, under `filename`. The stream is
    /// read once, so such an upload is not retried.
    fn from_stream(
        stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
        len: u64,
        filename: impl Into<String>,
        purpose: Purpose,
    ) -> Self;
}

impl StreamUpload for UploadRequest {
    fn from_stream(
        stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
        len: u64,
        filename: impl Into<String>,
        purpose: Purpose,
    ) -> Self {
        UploadRequest::new(UploadSource::Stream(one_shot_stream(stream, len)), purpose)
            .with_filename(filename)
    }
}
