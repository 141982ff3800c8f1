//! OpenAI's endpoint rules for `files-client`: base URL, authentication (`Authorization:
//! Bearer`, optional `OpenAI-Organization` and `OpenAI-Project`), the Files API features
//! OpenAI has (list parameters, upload expiry, content as the original bytes), and the upload
//! rules checked before a byte is sent ([`rules`], generated from `spec/openai.toml`).
//!
//! A client takes it with a transport: `Client::new(OpenAi::from_env()?, UreqTransport::new()?)`
//! with `files-client` and `transport-ureq`, whose pages (and the `llm-files` facade's
//! examples) show the calls. `OpenAi::from_env` reads `OPENAI_API_KEY`, and
//! `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` when set, as the official SDKs
//! do.
//!
//! Any OpenAI-compatible server works through a base-URL override, path prefix included:
//!
//! ```
//! use provider_openai::OpenAi;
//! use files_core::Provider;
//!
//! let openai = OpenAi::new("sk-example")
//!     .with_base_url("http://127.0.0.1:8321/v1/openai/v1")
//!     .unwrap()
//!     .with_project("proj_123");
//! assert_eq!(openai.base_url().as_str(), "http://127.0.0.1:8321/v1/openai/v1");
//! assert!(!format!("{openai:?}").contains("sk-example"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use files_core::extend::provider::{BaseUrl, Features, UploadCheck};
use files_core::extend::rules::UploadsRule;
use files_core::{ApiKey, Provider, UploadWarning, ValidationError};
use http::{HeaderMap, HeaderValue};

#[rustfmt::skip]
pub mod rules;

pub use rules::{API_KEY_ENV, DEFAULT_BASE_URL, EXPIRES_AFTER_SECONDS};
/// The environment variable that overrides the base URL (as the official SDKs read it).
pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";
/// The environment variable naming the organization.
pub const ORGANIZATION_ENV: &str = "OPENAI_ORG_ID";
/// The environment variable naming the project.
pub const PROJECT_ENV: &str = "OPENAI_PROJECT_ID";

/// The OpenAI Files API.
#[derive(Debug, Clone)]
pub struct OpenAi {
    key: ApiKey,
    base: BaseUrl,
    organization: Option<String>,
    project: Option<String>,
}

impl OpenAi {
    /// OpenAI with the given API key, at the default base URL.
    pub fn new(key: impl Into<ApiKey>) -> Self {
        OpenAi {
            key: key.into(),
            base: BaseUrl::parse(DEFAULT_BASE_URL).expect("the default base URL is valid"),
            organization: None,
            project: None,
        }
    }

    /// OpenAI configured from the environment: the key from `OPENAI_API_KEY` (required), and
    /// `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` when set.
    pub fn from_env() -> Result<Self, ValidationError> {
        let key = env_var(API_KEY_ENV).ok_or_else(|| {
            ValidationError::new(
                API_KEY_ENV,
                "(not set)",
                "set it to your OpenAI API key, e.g. `export OPENAI_API_KEY=sk-...`",
            )
        })?;
        OpenAi::from_env_with_key(key)
    }

    /// OpenAI with the given key (read from a file, a secret store…), and the rest from the
    /// environment as [`OpenAi::from_env`] reads it: `OPENAI_BASE_URL`, `OPENAI_ORG_ID`,
    /// `OPENAI_PROJECT_ID` when set.
    pub fn from_env_with_key(key: impl Into<ApiKey>) -> Result<Self, ValidationError> {
        let var = env_var;
        let mut openai = OpenAi::new(key);
        if let Some(url) = var(BASE_URL_ENV) {
            openai = openai.with_base_url(&url)?;
        }
        openai.organization = var(ORGANIZATION_ENV);
        openai.project = var(PROJECT_ENV);
        Ok(openai)
    }

    /// Points the client at another base URL, e.g. an OpenAI-compatible server; its path
    /// prefix is kept.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, ValidationError> {
        self.base = BaseUrl::parse(url)?;
        Ok(self)
    }

    /// Sends `OpenAI-Organization` with every request.
    pub fn with_organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Sends `OpenAI-Project` with every request.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }
}

/// An environment variable's value, unless it is unset or blank.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn header_value(what: &str, value: &str) -> Result<HeaderValue, ValidationError> {
    HeaderValue::from_str(value).map_err(|_| {
        // Quoted and escaped: the value is shown, never its line breaks.
        ValidationError::new(
            what,
            format!("{value:?}"),
            "must be printable ASCII without line breaks",
        )
    })
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        "OpenAI"
    }

    fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError> {
        headers.insert(http::header::AUTHORIZATION, self.key.bearer_header()?);
        if let Some(org) = &self.organization {
            headers.insert("openai-organization", header_value("organization", org)?);
        }
        if let Some(project) = &self.project {
            headers.insert("openai-project", header_value("project", project)?);
        }
        Ok(())
    }

    fn features(&self) -> Features {
        rules::FEATURES
    }

    /// The Uploads API's limits from `spec/openai.toml`: 8 GB in parts of at most 64 MB,
    /// used by `files().create` for a file over 512 MB.
    fn uploads(&self) -> Option<UploadsRule> {
        rules::RULES.uploads
    }

    /// OpenAI's rules from `spec/openai.toml` ([`rules::RULES`]): the purpose, the size, the
    /// formats (JSON Lines for `batch` and `fine-tune`) by extension and first bytes, and the
    /// expiry range; `docs/providers.md` lists them.
    fn check_upload(
        &self,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        rules::RULES.check(None, upload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_key_org_and_project() {
        let openai = OpenAi::new("sk-1")
            .with_organization("org-1")
            .with_project("proj-1");
        let mut headers = HeaderMap::new();
        openai.authorize(&mut headers).unwrap();
        assert_eq!(headers["authorization"], "Bearer sk-1");
        assert_eq!(headers["openai-organization"], "org-1");
        assert_eq!(headers["openai-project"], "proj-1");
        assert!(headers["authorization"].is_sensitive());
    }

    #[test]
    fn debug_hides_the_key() {
        let text = format!("{:?}", OpenAi::new("sk-very-secret"));
        assert!(!text.contains("very-secret"), "{text}");
    }

    #[test]
    fn the_core_list_limit_is_the_spec_s() {
        let limits = rules::RULES.list_limit.unwrap();
        assert_eq!(files_core::MAX_LIST_LIMIT, limits.max);
        assert_eq!(limits.min, 1);
    }

    #[test]
    fn a_bad_base_url_is_refused() {
        assert!(OpenAi::new("k").with_base_url("localhost:8080").is_err());
    }
}
