//! The sans-IO core of a client for the Files APIs of StepFun and OpenAI.
//!
//! This crate builds requests, checks them against a provider's rules, and decodes answers;
//! it performs no IO. It never opens a file or socket, never sleeps and never reads a clock,
//! and it depends on no HTTP client or async runtime. The IO lives behind four small traits
//! implemented by the transport crates: [`Transport`] / [`AsyncTransport`] carry one HTTP
//! exchange, and their provided `probe` / `create` methods inspect an upload's file and
//! write a download's destination.
//!
//! A request body is a [`Body`] *description*: byte segments for multipart boundaries, part
//! headers and text fields, and file sources of known length (a path range, [`bytes::Bytes`],
//! or a reader or stream with a declared length). Its exact length is known before a byte is
//! read, so uploads carry `Content-Length` and are never chunked, and the transport can send it
//! again from the start.
//!
//! The same builders and decoders serve the blocking [`Client`] and the async [`AsyncClient`].
//!
//! ```
//! use files_core::{build_upload, Boundary, Purpose, UploadRequest};
//! # use files_core::{Provider, BaseUrl, Features, ValidationError};
//! # struct Local(BaseUrl);
//! # impl Provider for Local {
//! #     fn name(&self) -> &str { "local" }
//! #     fn base_url(&self) -> &BaseUrl { &self.0 }
//! #     fn authorize(&self, _: &mut http::HeaderMap) -> Result<(), ValidationError> { Ok(()) }
//! #     fn features(&self) -> Features { Features::new() }
//! # }
//! # let provider = Local(BaseUrl::parse("http://127.0.0.1:8321/v1").unwrap());
//! // Build (but do not send) an upload of 5 bytes from memory.
//! let upload = UploadRequest::from_bytes(&b"hello"[..], "hello.txt", Purpose::ASSISTANTS);
//! let request = build_upload(&provider, &upload, None, Boundary::random()).unwrap();
//! assert_eq!(request.uri(), "http://127.0.0.1:8321/v1/files");
//! let declared: u64 = request.headers()["content-length"].to_str().unwrap().parse().unwrap();
//! assert_eq!(declared, request.body().len());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod async_client;
mod body;
mod body_stream;
mod client;
mod download;
mod error;
mod multipart;
mod objects;
mod open_string;
mod pages;
mod provider;
mod purpose;
mod request;
mod response;
mod secret;
mod transport;
mod upload;

pub use async_client::AsyncClient;
pub use body::{
    Body, BodyReader, ByteStream, ExactLength, OneShotReader, OneShotStream, PathRange, Segment,
    consumed_source_error,
};
pub use body_stream::SegmentSource;
pub use client::Client;
pub use download::{AsyncDownload, ContentInfo, Download};
pub use error::{
    ApiError, DecodeError, Error, LocalFileError, LocalFileOp, Result, TransportError,
    TransportErrorKind, ValidationError,
};
pub use multipart::{Boundary, MultipartBody, escape_quoted, file_name_of, guess_content_type};
pub use objects::{DeletedFile, FileList, FileObject};
pub use provider::{BaseUrl, ContentKind, Features, Provider};
pub use purpose::{FileStatus, Purpose};
pub use request::{
    ListParams, MAX_LIST_LIMIT, Order, USER_AGENT, build_content, build_delete, build_list,
    build_retrieve,
};
pub use response::{
    MAX_ERROR_BODY, MAX_JSON_BODY, api_error, decode_json, finish_json, json_read_limit,
    request_id, retry_after_ms, summarize,
};
pub use secret::ApiKey;
pub use transport::{
    AsyncPartialFile, AsyncResponseBody, AsyncTransport, PartialFile, ResponseBody, Transport,
};
pub use upload::{
    EXPIRES_AFTER_SECONDS, FileProbe, PROBE_PREFIX_LEN, UploadCheck, UploadRequest, UploadSource,
    build_upload,
};

/// What a file-object response is called in decode errors.
pub(crate) const EXPECT_FILE: &str = "a file object";
/// What a listing response is called in decode errors.
pub(crate) const EXPECT_LIST: &str = "a file list";
/// What a delete response is called in decode errors.
pub(crate) const EXPECT_DELETED: &str = "a deleted-file object";

#[cfg(test)]
mod test_provider;
