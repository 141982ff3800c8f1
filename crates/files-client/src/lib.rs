//! Blocking and async clients for the Files APIs of StepFun and OpenAI.
//!
//! ## Quick start
//!
//! Add this crate, a provider and a transport:
//!
//! ```toml
//! [dependencies]
//! files-client = "0.1"        # features = ["async"] for AsyncClient (tokio)
//! provider-openai = "0.1"     # or provider-stepfun
//! transport-ureq = "0.1"      # blocking; transport-reqwest for async
//! ```
//!
//! ```no_run
//! use files_client::{Client, ListParams, Purpose, UploadRequest};
//! use provider_openai::OpenAi;
//! use transport_ureq::UreqTransport;
//!
//! let client = Client::new(OpenAi::from_env()?, UreqTransport::new()?);
//! let file = client
//!     .files()
//!     .create(UploadRequest::from_path("batch.jsonl", Purpose::BATCH))?;
//! println!("uploaded {} ({} bytes)", file.id, file.bytes);
//! for listed in client.files().list_all(&ListParams::new().purpose(Purpose::BATCH)) {
//!     println!("{}", listed?.filename);
//! }
//! client.files().download_to_path(&file.id, "copy.jsonl")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What a client does for you
//!
//! The operations are `files-core`'s sans-IO state machines; the two clients here are their
//! drivers — [`Client`] blocking, [`AsyncClient`] on tokio — and own what the core may not
//! touch: the transport, the clock, sleeping, random numbers and the local files. Every
//! operation gets, once and for both:
//!
//! - **retries** with the official SDKs' rules (2 by default; connection failures, timeouts,
//!   408, 409, 429, 5xx; the server's `retry-after`), re-sending a body from the start;
//! - **timeouts**: the wait for a response, and the longest silence of a transfer;
//! - **progress** through an [`Observer`], and `tracing` spans and events;
//! - **streamed** uploads and downloads in constant memory, with exact lengths.
//!
//! Options are set per client ([`Client::with_options`]) and per call
//! ([`Files::with_options`]):
//!
//! ```no_run
//! # use files_client::{Client, RequestOptions};
//! # use std::time::Duration;
//! # fn run(client: Client) -> files_client::Result<()> {
//! let patient = client.files().with_options(
//!     RequestOptions::new().max_retries(5).idle_timeout(Duration::from_secs(60)),
//! );
//! patient.retrieve("file-abc123")?;
//! # Ok(()) }
//! ```
//!
//! A client holds its provider and transport as trait objects, so it is a plain type to keep
//! in a struct; [`Client::with_local_files`] and [`Client::with_environment`] swap the file
//! system and the clock (a sandbox, a test with a virtual clock).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "async")]
mod asynchronous;
mod attempt;
mod background_sync;
mod blocking;
mod env;
mod hold;
mod notices;
#[cfg(feature = "async")]
mod pieces;
mod std_files;
#[cfg(feature = "async")]
mod tokio_files;
mod trace;

#[cfg(feature = "async")]
pub use asynchronous::{AsyncClient, AsyncDownload, AsyncFiles, AsyncUploads, FileStream};
pub use blocking::{Client, Download, FileIter, Files, Uploads};
#[cfg(feature = "async")]
pub use env::AsyncEnvironment;
pub use env::{Environment, SystemEnvironment};
pub use std_files::{StdFiles, StdPartialFile};
#[cfg(feature = "async")]
pub use tokio_files::{TokioFiles, TokioPartialFile};

/// `UploadRequest::from_stream`: an upload from an async stream (bring the trait into scope).
#[cfg(feature = "async")]
pub use files_io::StreamUpload;

pub use files_core::uploads::{
    NewUpload, PartOptions, PartProgress, PartRange, ResumeFrom, SentPart, Upload,
    UploadAfterFailure, UploadFailure, UploadPart, UploadStarted, UploadStatus, UploadStep,
};
pub use files_core::{
    ApiError, ApiErrorKind, ContentInfo, DecodeError, DeletedFile, Error, FileList, FileObject,
    FileStatus, ListParams, LocalFileError, Observer, Order, Polling, ProcessingTimeout, Provider,
    Purpose, ReconcileNotice, RequestOptions, Result, RetryNotice, RuleKind, Timeouts,
    TransportError, TransportErrorKind, UploadRequest, UploadSource, UploadWarning,
    ValidationError, WarningKind,
};

#[cfg(test)]
mod tests;
