//! The byte pump: [`BodyPump`] turns a request body *description* (files-core's
//! [`Body`]) into the bytes a transport sends, blocking or async.
//!
//! Both faces follow one set of rules (`check.rs`): path segments are opened through the
//! caller's local files only when the transport reads that far (and again for a retry); every
//! segment must yield exactly its declared length; a local failure is recorded in a
//! [`SendFailure`] so the client reports it as a [`LocalFileError`](files_core::LocalFileError),
//! never as a connection failure; and with an observer the payload's bytes are counted.

mod check;
mod part;
mod reader;
mod stream;

use std::sync::Arc;

use files_core::Observer;
use files_core::extend::body::Body;

pub use check::SendFailure;
pub(crate) use check::Source;
pub use part::attempt_observer;

use crate::local::{AsyncLocalFiles, LocalFiles};
use crate::transport::{AsyncRequestBody, RequestBody};

/// Pumps a [`Body`] description into bytes for a transport.
pub trait BodyPump {
    /// The body as a blocking reader of exactly [`Body::len`] bytes, for a
    /// [`Transport`](crate::Transport).
    ///
    /// Path segments are opened through `files` only when the reader reaches them; every
    /// segment must yield exactly its declared length. A local failure — a file that cannot
    /// be opened or shrank, a reader that fails or yields the wrong number of bytes — fails
    /// the read and is recorded in the returned [`SendFailure`], so the caller can report it
    /// as a [`LocalFileError`](files_core::LocalFileError) whatever the transport made of it.
    /// With an `observer`, the payload's bytes are counted as they are read.
    fn into_request_body(
        self,
        files: Arc<dyn LocalFiles>,
        observer: Option<Arc<dyn Observer>>,
    ) -> (RequestBody, SendFailure);

    /// The body as a stream of exactly [`Body::len`] bytes, for an
    /// [`AsyncTransport`](crate::AsyncTransport): the async twin of
    /// [`into_request_body`](Self::into_request_body), with the same checks and messages.
    /// File ranges are streamed and blocking readers read through `files`, so the runtime is
    /// never blocked.
    fn into_async_request_body(
        self,
        files: Arc<dyn AsyncLocalFiles>,
        observer: Option<Arc<dyn Observer>>,
    ) -> (AsyncRequestBody, SendFailure);
}

impl BodyPump for Body {
    fn into_request_body(
        self,
        files: Arc<dyn LocalFiles>,
        observer: Option<Arc<dyn Observer>>,
    ) -> (RequestBody, SendFailure) {
        reader::request_body(self, files, observer)
    }

    fn into_async_request_body(
        self,
        files: Arc<dyn AsyncLocalFiles>,
        observer: Option<Arc<dyn Observer>>,
    ) -> (AsyncRequestBody, SendFailure) {
        stream::async_request_body(self, files, observer)
    }
}

#[cfg(test)]
mod tests;
