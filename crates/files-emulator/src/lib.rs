//! A local HTTP server that emulates the Files APIs of OpenAI and StepFun: a fixture for
//! testing code that uses `files-client` (or any client) end to end, with no network.
//!
//! ```toml
//! [dev-dependencies]
//! files-emulator = "0.1"
//! ```
//!
//! Any HTTP client can drive it; `files-client`'s and `llm-files`' examples run the project's
//! own clients against it. Here, plain ureq meets a fault and then the real answer:
//!
//! ```
//! use files_emulator::{Dialect, Emulator, Fault};
//!
//! let emulator = Emulator::start(Dialect::openai())?;
//! // The next listing meets an overloaded server.
//! emulator.inject(Fault::html_bad_gateway().on("GET", "/files"));
//!
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .http_status_as_error(false)
//!     .build()
//!     .into();
//! let url = format!("{}/files", emulator.base_url());
//! let key = format!("Bearer {}", emulator.api_key());
//! let first = agent.get(&url).header("authorization", &key).call()?;
//! assert_eq!(first.status(), 502);
//! let mut second = agent.get(&url).header("authorization", &key).call()?;
//! assert_eq!(second.status(), 200);
//! assert!(second.body_mut().read_to_string()?.contains(r#""object":"list""#));
//! assert_eq!(emulator.requests().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The emulator speaks each provider's wire format — multipart uploads, file objects,
//! cursor-paginated (OpenAI) or plain (StepFun) lists, retrieval, deletion, content
//! download, bearer-key auth and JSON error envelopes — over real sockets, so clients can
//! be tested end to end without network access. It records every request it receives
//! (with the API key redacted) and can be told to misbehave with [`Fault`]s, for tests of
//! error handling, retries and timeouts.
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
//! | `GET /files/{id}/content` | the stored bytes (OpenAI `application/octet-stream`, StepFun `text/plain`); a single `Range` gets `206` (`416` past the end), with `ETag` and `Last-Modified` for `If-Range` |
//!
//! Anything else is a `404` "Invalid URL" envelope; every response has an `x-request-id`.
//!
//! [`Fault`]s match a method and path, fire a number of times (for every K-th matching
//! request, if asked), and answer with any status, headers and body, delay the answer, cut
//! the connection mid-upload, or cut or stall a response mid-body. They are queued from code
//! ([`Emulator::inject`]) or from a JSON plan ([`Fault::plan_from_json`], `files serve
//! --faults PLAN.json`). A StepFun `url` upload never fetches from a non-public address
//! unless [`EmulatorConfig::with_private_urls_allowed`] says so.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod config;
mod conn;
mod create_file;
mod dialect;
mod disk;
mod emulator;
mod envelope;
mod error;
mod fault;
mod files;
mod ids;
mod public_net;
mod range;
mod record;
mod remote;
mod server;
mod state;
mod store;
mod tls;
mod uploads_api;

pub use config::EmulatorConfig;
pub use dialect::Dialect;
pub use emulator::Emulator;
pub use error::EmulatorError;
pub use fault::{Fault, FaultAction, FaultPlanError, MAX_STALL};
pub use record::{FilePart, RecordedRequest};
pub use server::serve;
pub use tls::TlsIdentity;
