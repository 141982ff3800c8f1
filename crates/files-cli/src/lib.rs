//! The library half of the `files` command: [`Api`], one Files API client that is either the
//! blocking ureq-backed client or the async reqwest-backed one, chosen at run time. The
//! binary's commands and the workspace's wire tests drive both transports through it.
//!
//! ```no_run
//! use files_cli::Api;
//! use files_client::{ListParams, RequestOptions};
//! use provider_openai::OpenAi;
//!
//! let api = Api::with_async(Box::new(OpenAi::from_env()?), RequestOptions::new())?;
//! println!("{} files", api.list(&ListParams::new())?.data.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;

pub use api::{Api, DynProvider};
