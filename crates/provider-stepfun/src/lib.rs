//! StepFun's endpoint rules for `files-client`: the international and China base URLs (and
//! the purposes each accepts), `Authorization: Bearer` with the key from `STEP_API_KEY`,
//! uploads from a remote `url`, a listing without parameters, content served as extracted
//! text, and the upload rules checked before a byte is sent ([`rules`], generated from
//! `spec/stepfun.toml`).
//!
//! A client takes it with a transport: `Client::new(StepFun::from_env()?, UreqTransport::new()?)`
//! with `files-client` and `transport-ureq`, whose pages (and the `llm-files` facade's
//! examples, a URL upload among them) show the calls. `StepFun::from_env` reads
//! `STEP_API_KEY`.
//!
//! The China site, and what the provider supports:
//!
//! ```
//! use provider_stepfun::{Region, StepFun};
//! use files_core::Provider;
//!
//! let stepfun = StepFun::new("step-example").with_region(Region::China);
//! assert_eq!(stepfun.base_url().as_str(), "https://api.stepfun.com/v1");
//! assert!(stepfun.features().url_upload);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use files_core::extend::provider::{BaseUrl, Features, UploadCheck};
use files_core::extend::rules::SiteRule;
use files_core::{ApiKey, Provider, UploadWarning, ValidationError};
use http::HeaderMap;

#[rustfmt::skip]
pub mod rules;

pub use rules::API_KEY_ENV;

/// Which StepFun site to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// `https://api.stepfun.ai/v1`.
    #[default]
    International,
    /// `https://api.stepfun.com/v1`.
    China,
}

impl Region {
    /// The site's rules: its base URL and the purposes it accepts.
    pub fn site(self) -> &'static SiteRule {
        let name = match self {
            Region::International => "international",
            Region::China => "china",
        };
        rules::RULES
            .site(name)
            .expect("spec/stepfun.toml names both sites")
    }

    /// The site's API base URL.
    pub fn base_url(self) -> &'static str {
        self.site().base_url
    }
}

/// The StepFun Files API.
#[derive(Debug, Clone)]
pub struct StepFun {
    key: ApiKey,
    base: BaseUrl,
    /// The site at `base`, if it is one of StepFun's; elsewhere any site's purposes go.
    site: Option<&'static SiteRule>,
}

impl StepFun {
    /// StepFun's international site with the given API key.
    pub fn new(key: impl Into<ApiKey>) -> Self {
        StepFun {
            key: key.into(),
            base: BaseUrl::parse(Region::International.base_url())
                .expect("the default base URL is valid"),
            site: Some(Region::International.site()),
        }
    }

    /// StepFun with the key from `STEP_API_KEY`.
    pub fn from_env() -> Result<Self, ValidationError> {
        let key = std::env::var(API_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                ValidationError::new(
                    API_KEY_ENV,
                    "(not set)",
                    "set it to your StepFun API key, e.g. `export STEP_API_KEY=...`",
                )
            })?;
        Ok(StepFun::new(key))
    }

    /// Uses the given site.
    pub fn with_region(mut self, region: Region) -> Self {
        self.base = BaseUrl::parse(region.base_url()).expect("the region base URLs are valid");
        self.site = Some(region.site());
        self
    }

    /// Points the client at another base URL; its path prefix is kept. At a URL that is not
    /// one of StepFun's sites, uploads may use the purposes of either site.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, ValidationError> {
        self.base = BaseUrl::parse(url)?;
        self.site = rules::RULES.site_at(self.base.as_str());
        Ok(self)
    }

    /// Checks uploads against `region`'s purposes whatever the base URL: for a proxy or a
    /// test server standing in for that site.
    pub fn with_site_rules(mut self, region: Region) -> Self {
        self.site = Some(region.site());
        self
    }

    /// The StepFun site whose purposes uploads are checked against: the base URL's, when it
    /// is one of StepFun's (or set by [`StepFun::with_site_rules`]); `None` accepts either
    /// site's.
    pub fn site(&self) -> Option<&'static SiteRule> {
        self.site
    }
}

impl Provider for StepFun {
    fn name(&self) -> &str {
        "StepFun"
    }

    fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError> {
        headers.insert(http::header::AUTHORIZATION, self.key.bearer_header()?);
        Ok(())
    }

    fn features(&self) -> Features {
        rules::FEATURES
    }

    /// StepFun's rules from `spec/stepfun.toml` ([`rules::RULES`]): the purposes of this
    /// site (a deprecated one with a warning), the size, the formats by extension and first
    /// bytes, a static GIF where asked, an http(s) URL, and a warning for audio of an unusual
    /// length; `docs/providers.md` lists them.
    fn check_upload(
        &self,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        rules::RULES.check(self.site, upload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_is_the_default() {
        assert_eq!(
            StepFun::new("k").base_url().as_str(),
            "https://api.stepfun.ai/v1"
        );
    }

    #[test]
    fn authorization_is_bearer_and_hidden_from_debug() {
        let stepfun = StepFun::new("step-secret");
        let mut headers = HeaderMap::new();
        stepfun.authorize(&mut headers).unwrap();
        assert_eq!(headers["authorization"], "Bearer step-secret");
        assert!(!format!("{stepfun:?}").contains("step-secret"));
    }

    #[test]
    fn the_site_follows_the_base_url() {
        let china = StepFun::new("k").with_region(Region::China);
        assert_eq!(china.site().map(|s| s.name), Some("china"));
        let custom = china.with_base_url("http://127.0.0.1:9/v1").unwrap();
        assert_eq!(custom.site(), None);
        let same = StepFun::new("k")
            .with_base_url("https://api.stepfun.com/v1/")
            .unwrap();
        assert_eq!(same.site().map(|s| s.name), Some("china"));
        let pinned = custom.with_site_rules(Region::International);
        assert_eq!(pinned.site().map(|s| s.name), Some("international"));
        assert_eq!(pinned.base_url().as_str(), "http://127.0.0.1:9/v1");
    }

    #[test]
    fn no_list_parameters_and_text_content() {
        let f = StepFun::new("k").features();
        assert!(!f.list_parameters && !f.expires_after);
        assert_eq!(
            f.content,
            files_core::extend::provider::ContentKind::ExtractedText
        );
    }
}
