//! The IO edge beside `files-core`: everything that touches bytes in motion, so that the core
//! stays bytes in, bytes out.
//!
//! - [`Transport`] and [`AsyncTransport`]: the HTTP edge a transport crate implements
//!   (`transport-ureq`, `transport-reqwest`, or a closure through [`transport_fn`]), with the
//!   bodies that cross it.
//! - [`LocalFiles`] and [`AsyncLocalFiles`]: the local-file edge (inspect an upload's file,
//!   open a byte range of it, write a download that appears only when complete).
//!   `files-client` implements them over std and tokio; a sandbox can bring its own.
//! - [`BodyPump`]: turns files-core's request body *description* into the exact bytes a
//!   transport sends, blocking or async.
//! - [`ContentBody`] and [`AsyncContentBody`]: a file's content as it arrives, held to its
//!   announced length.
//! - [`StreamUpload`]: `UploadRequest::from_stream`, an upload from an async stream.
//!
//! It holds no runtime: the async halves are traits and streams (`futures-core`), so a
//! blocking program that depends on it pulls in no async runtime.
//!
//! ```
//! use files_io::{BodyPump, LocalFiles, Transport};
//! use files_io::transport::{transport_fn, ResponseBody};
//!
//! // A transport made of a closure, as a test would use one.
//! let transport = transport_fn(|request| {
//!     assert_eq!(request.uri().path(), "/v1/files");
//!     Ok(http::Response::new(ResponseBody::from_bytes(r#"{"object":"list","data":[]}"#)))
//! });
//! fn takes(_: &dyn Transport) {}
//! takes(&transport);
//! # fn unused(_: &dyn LocalFiles, _: &dyn BodyPump) {}
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod content;
pub mod local;
pub mod pull;
pub mod pump;
mod stream_upload;
pub mod transport;

#[cfg(test)]
mod testing;

pub use content::{AsyncContentBody, ContentBody};
pub use local::{AsyncLocalFiles, AsyncPartialFile, LocalFiles, PartialFile};
pub use pump::{BodyPump, SendFailure, attempt_observer};
pub use stream_upload::{ByteStream, StreamUpload, one_shot_stream};
pub use transport::{
    AsyncRequestBody, AsyncResponseBody, AsyncTransport, RequestBody, ResponseBody, Transport,
    async_transport_fn, transport_fn,
};
