//! The sans-IO core of a client for the Files APIs of StepFun and OpenAI: the objects, the
//! requests, the errors, and the operations as state machines.
//!
//! ## Quick start
//!
//! Most programs use this crate through `files-client`, which drives it, plus one provider
//! crate and one transport crate:
//!
//! ```toml
//! [dependencies]
//! files-client = "0.1"        # features = ["async"] for the async client (tokio)
//! provider-openai = "0.1"     # or provider-stepfun
//! transport-ureq = "0.1"      # or transport-reqwest for async
//! ```
//!
//! ```no_run
//! use files_client::{Client, Purpose, UploadRequest};
//! use provider_openai::OpenAi;
//! use transport_ureq::UreqTransport;
//!
//! let client = Client::new(OpenAi::from_env()?, UreqTransport::new()?);
//! let file = client
//!     .files()
//!     .create(UploadRequest::from_path("batch.jsonl", Purpose::BATCH))?;
//! println!("uploaded {} ({} bytes)", file.id, file.bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is here
//!
//! At the root, what a caller names: [`UploadRequest`], [`ListParams`], [`FileObject`] and
//! the other objects, [`Purpose`], [`RequestOptions`], [`Observer`], and one [`Error`].
//! For the authors of drivers, transports and providers:
//!
//! - [`ops`]: each operation (create, list a page or every page, retrieve, delete, content,
//!   wait for processing) as a state machine that a driver polls, with the retry rules.
//! - [`body`]: request bodies as descriptions of segments, and the byte pump.
//! - [`download`]: a file's content as it arrives, and the rules for resuming it after a cut.
//! - [`transport`] and [`local`]: the HTTP and local-file edges, as traits.
//! - [`provider`]: what a provider supplies.
//! - [`rules`]: provider rules as data (generated from `spec/`), and the checks that apply
//!   them before a byte is sent: purpose, size, format by extension and leading bytes.
//! - [`wire`]: the pure request builders and response decoders.
//!
//! This crate performs no IO: it never opens a file or socket, never sleeps, never reads a
//! clock and never draws randomness — the driver hands in the time and random numbers — and
//! it depends on no HTTP client or async runtime (`cargo xtask sans-io` checks both).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
mod content_info;
mod error;
#[rustfmt::skip]
mod error_kind;
mod file_objects;
mod list_params;
mod observer;
mod open_string;
pub mod ops;
mod options;
pub mod probe;
pub mod provider;
mod purpose;
pub mod rules;
mod secret;
mod upload_request;
pub mod uploads;
pub mod wire;

#[cfg(test)]
mod testing;

pub use content_info::{ContentInfo, ContentRange};
pub use error::{
    ApiError, DecodeError, Error, LocalFileError, LocalFileOp, ProcessingTimeout, Result,
    TransportError, TransportErrorKind, ValidationError,
};
pub use error_kind::ApiErrorKind;
pub use file_objects::{DeletedFile, FileList, FileObject};
pub use list_params::{ListParams, MAX_LIST_LIMIT, Order};
pub use observer::{Observer, RetryNotice};
pub use options::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, Polling, RequestOptions,
    Timeouts,
};
pub use provider::Provider;
pub use purpose::{FileStatus, Purpose};
pub use rules::{RuleKind, UploadWarning, WarningKind};
pub use secret::ApiKey;
pub use upload_request::{UploadRequest, UploadSource};
