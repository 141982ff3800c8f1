//! Provider specs: a Files API described in a TOML file becomes a provider, with no Rust.
//!
//! A spec says where the API lives (its sites), how the key is sent (`Authorization: Bearer`
//! or a header of its own), the query parameters every request carries (Azure's
//! `api-version`), each operation's path, the upload form's field names, the listing's
//! parameters and paging (a cursor, numbered pages, or one page), the names and forms of a
//! file object's fields, which error statuses and codes mean what, the request-id headers,
//! and the upload rules (purposes, sizes, formats, caps). [`ProviderSpec::parse`] reads and
//! checks one, refusing a bad one with the line or field and what is allowed;
//! [`SpecProvider`] is the [`Provider`](files_core::Provider) it describes. The eight
//! providers bundled with the SDK are in [`bundled`], read from the same files.
//!
//! What a spec leaves out is not enforced: a purpose without `max_bytes` is refused for no
//! size, `formats = "unknown"` for no format.
//!
//! ```
//! use files_core::Provider;
//! use files_spec::{ProviderSpec, SpecProvider, bundled};
//!
//! // A bundled provider, as `files --provider azure --api-version 2024-10-21` builds it.
//! let azure = SpecProvider::new(bundled::azure(), "azure-key")?
//!     .with_base_url("https://example.openai.azure.com")?
//!     .with_api_version("2024-10-21")?;
//! assert_eq!(azure.base_url().as_str(), "https://example.openai.azure.com/openai");
//! assert_eq!(azure.dialect().query, [("api-version".to_owned(), "2024-10-21".to_owned())]);
//!
//! // A gateway of one's own.
//! let spec = ProviderSpec::parse("gateway.toml", r#"
//!     [provider]
//!     name = "Gateway"
//!     id = "gateway"
//!     api_key_env = "GATEWAY_KEY"
//!     [[site]]
//!     name = "default"
//!     base_url = "https://files.example.com/v2"
//! "#)?;
//! let gateway = SpecProvider::new(spec.shared(), "key")?;
//! assert_eq!(gateway.name(), "Gateway");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod build;
pub mod bundled;
mod check;
mod error;
pub mod model;
mod provider;
mod spec;

pub use check::{Catalogue, check};
pub use error::SpecError;
pub use provider::SpecProvider;
pub use spec::{API_VERSION, ENDPOINT, ProviderSpec, read};
