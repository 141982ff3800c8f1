//! The extension points: what the authors of drivers, transports and providers build on, and
//! a caller of `files-client` never needs to name.
//!
//! - [`ops`]: each operation (create, list a page or every page, retrieve, delete, content,
//!   wait for processing, the Uploads API) as a state machine that a driver polls, with the
//!   retry rules, and the notices it queues for the application.
//! - [`body`]: request bodies as descriptions of segments (the byte pump that sends them is
//!   `files-io`'s).
//! - [`dialect`]: how a provider spells what every Files API does (paths, auth, query,
//!   form fields, list paging, object fields, error codes, request-id headers), as data.
//! - [`probe`]: what a driver learned about a local file before an upload.
//! - [`provider`]: what a provider supplies (the [`Provider`](provider::Provider) trait).
//! - [`rules`]: provider rules as data (generated from `spec/`), and the checks that apply
//!   them before a byte is sent: purpose, size, format by extension and leading bytes.
//! - [`wire`]: the multipart layout and the upload request builder, for tools that look at a
//!   request without sending it.

pub mod body;
pub mod dialect;
pub mod ops;
pub mod probe;
pub mod provider;
pub mod rules;
pub mod wire;
