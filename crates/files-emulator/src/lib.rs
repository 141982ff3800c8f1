//! A local HTTP server that emulates the Files APIs of OpenAI and StepFun.
//!
//! The emulator speaks each provider's wire format — multipart uploads, file objects,
//! cursor-paginated (OpenAI) or plain (StepFun) lists, retrieval, deletion, content
//! download, bearer-key auth and JSON error envelopes — over real sockets, so clients can
//! be tested end to end without network access. It records every request it receives
//! (with the API key redacted) and can be told to answer with canned [`Fault`]s, for tests
//! of error handling and retries.
//!
//! - [`Emulator`] runs a server on `127.0.0.1` and an ephemeral port, on its own thread and
//!   runtime, for tests; it stops when dropped.
//! - [`serve`] runs a server on a listener you provide until a shutdown future resolves,
//!   for the `files serve` command.
//!
//! Routes, under the configured path prefix (default `/v1`), all requiring
//! `Authorization: Bearer <api_key>`:
//!
//! | method and path | answer |
//! |---|---|
//! | `POST /files` | multipart upload (`purpose`, `file`; OpenAI `expires_after[anchor]`/`[seconds]`; StepFun `url`) → file object |
//! | `GET /files` | OpenAI: `purpose`/`limit`/`order`/`after` → paginated list; StepFun: plain list |
//! | `GET /files/{id}` | file object |
//! | `DELETE /files/{id}` | `{"id", "object": "file", "deleted": true}` |
//! | `GET /files/{id}/content` | the stored bytes (OpenAI `application/octet-stream`, StepFun `text/plain`) |
//!
//! Anything else is a `404` "Invalid URL" envelope; every response has an `x-request-id`.
//!
//! ```
//! use files_emulator::{Dialect, Emulator, Fault};
//!
//! let emulator = Emulator::start(Dialect::OpenAi)?;
//! let base_url = emulator.base_url(); // "http://127.0.0.1:<port>/v1"
//! assert!(base_url.starts_with("http://127.0.0.1:"));
//! // Point a client at `base_url` with `Authorization: Bearer <emulator.api_key()>`.
//!
//! // Make the next request fail the way a broken proxy would.
//! emulator.inject(Fault::html_bad_gateway());
//! # Ok::<(), files_emulator::EmulatorError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod config;
mod dialect;
mod emulator;
mod envelope;
mod error;
mod fault;
mod files;
mod ids;
mod record;
mod remote;
mod server;
mod state;
mod store;
mod upload;

pub use config::EmulatorConfig;
pub use dialect::Dialect;
pub use emulator::Emulator;
pub use error::EmulatorError;
pub use fault::Fault;
pub use record::{FilePart, RecordedRequest};
pub use server::serve;
