//! The sans-IO core of a client for the Files APIs of StepFun and OpenAI: the objects, the
//! requests, the errors, and the operations as state machines.
//!
//! ## Quick start
//!
//! This crate holds what a caller names — an upload, the options every operation honours,
//! the objects a server's answer becomes — and the operations that turn them into HTTP and
//! back. It sends nothing itself: a program talks to a provider through `files-client` (the
//! drivers), one provider crate and one transport crate, or through the `llm-files` facade;
//! their pages and examples start there.
//!
//! ```
//! use std::time::Duration;
//! use files_core::{FileObject, Purpose, RequestOptions, UploadRequest};
//!
//! // An upload from memory; a path or a reader works the same way.
//! let upload = UploadRequest::from_bytes("{\"custom_id\":\"1\"}\n", "batch.jsonl", Purpose::BATCH);
//! assert_eq!(upload.filename().as_deref(), Some("batch.jsonl"));
//!
//! // Options for every call of a client, or for one call.
//! let patient = RequestOptions::new().max_retries(5).idle_timeout(Duration::from_secs(60));
//! # let _ = patient;
//!
//! // What a server answers, with a field no documentation names kept as it came.
//! let file: FileObject = serde_json::from_str(
//!     r#"{"id": "file-abc123", "object": "file", "bytes": 18, "created_at": 1700000000,
//!         "filename": "batch.jsonl", "purpose": "batch", "status": "processed",
//!         "region": "eu"}"#,
//! )?;
//! assert_eq!((file.bytes, &file.purpose), (18, &Purpose::BATCH));
//! assert_eq!(file.extra["region"], "eu");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! ## What is here
//!
//! At the root, what a caller names: [`UploadRequest`], [`ListParams`], [`FileObject`] and
//! the other objects, [`Purpose`], [`RequestOptions`], [`Observer`], and one [`Error`]; in
//! [`uploads`], the Uploads API's objects and options (files up to 8 GB, sent in parts).
//!
//! Everything for the authors of drivers, transports and providers is in one module,
//! [`extend`]: the operations as state machines ([`extend::ops`]), request bodies as
//! descriptions ([`extend::body`]), the provider trait and its rules as data
//! ([`extend::provider`], [`extend::rules`]), and the multipart layout ([`extend::wire`]).
//!
//! This crate is bytes in, bytes out. It performs no IO: it never opens a file or socket,
//! never sleeps, never reads a clock and never draws randomness — the driver hands in the time
//! and random numbers — and it defines no transport or local-file trait and calls no
//! [`Observer`]: its machines queue notices, and the driver delivers them. The IO edge (the
//! transport and local-file traits, the byte pump, the streamed content bodies) is the
//! `files-io` crate. It depends on no HTTP client, async runtime or futures crate
//! (`cargo xtask sans-io` checks the dependency graph and the source).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod content_info;
mod error;
#[rustfmt::skip]
mod error_kind;
pub mod extend;
mod extras;
mod file_objects;
mod list_params;
mod observer;
mod open_string;
mod options;
mod purpose;
mod secret;
mod upload_request;
pub mod uploads;

// Inside the crate the extension modules keep their short paths.
pub(crate) use extend::{body, dialect, ops, probe, provider, rules, wire};

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
pub use observer::{Observer, ReconcileNotice, RetryNotice};
pub use options::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, Polling, RequestOptions,
    Timeouts,
};
pub use provider::Provider;
pub use purpose::{FileStatus, Purpose};
pub use rules::{RuleKind, UploadWarning, WarningKind};
pub use secret::ApiKey;
pub use upload_request::{UploadRequest, UploadSource};
