//! [`SpecProvider`]: a [`Provider`] whose every rule comes from a [`ProviderSpec`].

use std::fmt;
use std::sync::Arc;

use files_core::extend::dialect::{Auth, Dialect};
use files_core::extend::provider::{BaseUrl, Features, UploadCheck};
use files_core::extend::rules::{SiteRule, UploadsRule};
use files_core::{ApiKey, Provider, UploadWarning, ValidationError};
use http::HeaderMap;

use crate::spec::{API_VERSION, ENDPOINT, ProviderSpec};

/// A provider described by a spec: its key, its site (or a base URL of the caller's), and
/// the API version a dated API needs. The key never shows in `Debug`.
#[derive(Clone)]
pub struct SpecProvider {
    spec: Arc<ProviderSpec>,
    key: ApiKey,
    site: usize,
    site_chosen: bool,
    base_override: Option<String>,
    api_version: Option<String>,
    resolved: Resolved,
    /// Why the configuration cannot be used yet (an endpoint or API version missing): every
    /// request fails with it before anything is sent, until a `with_…` call supplies it.
    pending: Option<ValidationError>,
}

#[derive(Clone)]
struct Resolved {
    base: BaseUrl,
    dialect: Arc<Dialect>,
    /// The site whose purposes apply; `None` at a base URL of the caller's that is none of
    /// the sites (then any site's purposes are accepted).
    site: Option<&'static SiteRule>,
}

/// An environment variable's value, unless it is unset or blank.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl SpecProvider {
    /// The provider of `spec` with `key`, at its first site. For a site whose base URL holds
    /// `{endpoint}`, give the endpoint with [`SpecProvider::with_base_url`]; until then
    /// every request fails, before it is sent, saying so ([`SpecProvider::ready`]).
    pub fn new(spec: Arc<ProviderSpec>, key: impl Into<ApiKey>) -> Result<Self, ValidationError> {
        SpecProvider::configured(spec, key.into(), None, None)
    }

    fn configured(
        spec: Arc<ProviderSpec>,
        key: ApiKey,
        base_override: Option<String>,
        api_version: Option<String>,
    ) -> Result<Self, ValidationError> {
        let mut provider = SpecProvider {
            resolved: placeholder(),
            spec,
            key,
            site: 0,
            site_chosen: false,
            base_override,
            api_version,
            pending: None,
        };
        provider.reresolve()?;
        Ok(provider)
    }

    /// The provider of `spec` configured from the environment: the key from the spec's
    /// `api_key_env` (required), the base URL (or endpoint) from its `base_url_env` and the
    /// API version from its `api_version_env` when they are set.
    pub fn from_env(spec: Arc<ProviderSpec>) -> Result<Self, ValidationError> {
        let var = &spec.file.provider.api_key_env;
        let key = env_var(var).ok_or_else(|| {
            ValidationError::new(
                var.as_str(),
                "(not set)",
                format!(
                    "set it to your {} API key, e.g. `export {var}=...`",
                    spec.name()
                ),
            )
        })?;
        SpecProvider::from_env_with_key(spec, key)
    }

    /// As [`SpecProvider::from_env`], with the key given.
    pub fn from_env_with_key(
        spec: Arc<ProviderSpec>,
        key: impl Into<ApiKey>,
    ) -> Result<Self, ValidationError> {
        let p = &spec.file.provider;
        let base = p.base_url_env.as_deref().and_then(env_var);
        let version = p.api_version_env.as_deref().and_then(env_var);
        SpecProvider::configured(spec, key.into(), base, version)
    }

    /// Points the client at `url`: the endpoint for a site whose base URL holds
    /// `{endpoint}` (Azure's `https://NAME.openai.azure.com`; the site's path is added, and
    /// a URL that already ends in it is taken as it is), else the base URL itself, e.g. a
    /// gateway's.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, ValidationError> {
        self.base_override = Some(url.to_owned());
        self.reresolve()?;
        Ok(self)
    }

    /// Uses the site named `name` (`china`, `dated`…).
    pub fn with_site(mut self, name: &str) -> Result<Self, ValidationError> {
        let index = self
            .spec
            .file
            .site
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self
                    .spec
                    .file
                    .site
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                ValidationError::new(
                    "site",
                    name,
                    format!("{} has the sites {}", self.spec.name(), names.join(", ")),
                )
            })?;
        self.site = index;
        self.site_chosen = true;
        self.reresolve()?;
        Ok(self)
    }

    /// Sends `version` as the API version: the site whose query takes `{api_version}`
    /// (Azure's dated API) is used unless a site was chosen.
    pub fn with_api_version(mut self, version: &str) -> Result<Self, ValidationError> {
        check_version(version)?;
        self.api_version = Some(version.to_owned());
        self.reresolve()?;
        Ok(self)
    }

    /// The spec it follows.
    pub fn spec(&self) -> &Arc<ProviderSpec> {
        &self.spec
    }

    fn current_site(&self) -> usize {
        if self.site_chosen || self.api_version.is_none() {
            return self.site;
        }
        self.spec
            .file
            .site
            .iter()
            .position(|s| s.query.values().any(|v| v == API_VERSION))
            .unwrap_or(self.site)
    }

    /// Whether the configuration is complete: the error every request would fail with when
    /// it is not (an endpoint or an API version missing).
    pub fn ready(&self) -> Result<(), ValidationError> {
        match &self.pending {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Resolves the site, base URL and query. A missing endpoint or API version is kept as
    /// pending (a later `with_…` may supply it); a value that is wrong is an error now.
    fn reresolve(&mut self) -> Result<(), ValidationError> {
        match resolve(
            &self.spec,
            self.current_site(),
            self.base_override.as_deref(),
            self.api_version.as_deref(),
        ) {
            Ok(resolved) => {
                self.resolved = resolved;
                self.pending = None;
                Ok(())
            }
            Err(Missing::Value(error)) => {
                self.pending = Some(error);
                Ok(())
            }
            Err(Missing::Wrong(error)) => Err(error),
        }
    }
}

fn placeholder() -> Resolved {
    Resolved {
        base: BaseUrl::parse("http://placeholder.invalid").expect("a valid URL"),
        dialect: Dialect::openai_shared(),
        site: None,
    }
}

/// Why a configuration did not resolve.
enum Missing {
    /// A value is not given yet.
    Value(ValidationError),
    /// A given value is wrong.
    Wrong(ValidationError),
}

fn resolve(
    spec: &ProviderSpec,
    index: usize,
    base_override: Option<&str>,
    api_version: Option<&str>,
) -> Result<Resolved, Missing> {
    let site = &spec.file.site[index];
    let p = &spec.file.provider;
    let (text, site_rule) = if let Some(path) = site.base_url.strip_prefix(ENDPOINT) {
        let Some(endpoint) = base_override else {
            let var = p.base_url_env.as_deref().unwrap_or("its endpoint variable");
            return Err(Missing::Value(ValidationError::new(
                "endpoint",
                "(not set)",
                format!(
                    "{} needs the resource's endpoint, e.g. https://NAME.openai.azure.com: pass \
                     it as the base URL, or set {var}",
                    spec.name()
                ),
            )));
        };
        let endpoint = endpoint.trim().trim_end_matches('/');
        let full = if endpoint.ends_with(path) {
            endpoint.to_owned()
        } else {
            format!("{endpoint}{path}")
        };
        (full, spec.rules.site(&site.name))
    } else {
        match base_override {
            Some(url) => (url.to_owned(), spec.rules.site_at(url)),
            None => (site.base_url.clone(), spec.rules.site(&site.name)),
        }
    };
    let base = BaseUrl::parse(&text).map_err(Missing::Wrong)?;
    let mut query = Vec::new();
    for (name, value) in &site.query {
        let value = if value == API_VERSION {
            let Some(version) = api_version else {
                let var = p
                    .api_version_env
                    .as_deref()
                    .unwrap_or("the API version variable");
                return Err(Missing::Value(ValidationError::new(
                    "API version",
                    "(not set)",
                    format!(
                        "{}'s {} API needs `{name}` on every request: pass --api-version \
                         (e.g. 2024-10-21) or set {var}",
                        spec.name(),
                        site.name
                    ),
                )));
            };
            check_version(version).map_err(Missing::Wrong)?;
            version.trim().to_owned()
        } else {
            value.clone()
        };
        query.push((name.clone(), value));
    }
    let dialect = if query.is_empty() {
        Arc::new(spec.dialect.clone())
    } else {
        let mut dialect = spec.dialect.clone();
        dialect.query = query;
        Arc::new(dialect)
    };
    Ok(Resolved {
        base,
        dialect,
        site: site_rule,
    })
}

/// Refuses an API version that is blank or holds a control character (a line break would
/// end up in every URL).
fn check_version(version: &str) -> Result<(), ValidationError> {
    if version.trim().is_empty() || version.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "API version",
            format!("{version:?}"),
            "must be a version such as 2024-10-21",
        ));
    }
    Ok(())
}

impl fmt::Debug for SpecProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpecProvider")
            .field("provider", &self.spec.id())
            .field("base_url", &self.resolved.base)
            .field("key", &self.key)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl Provider for SpecProvider {
    fn name(&self) -> &str {
        self.spec.name()
    }

    fn base_url(&self) -> &BaseUrl {
        &self.resolved.base
    }

    fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError> {
        self.ready()?;
        match &self.resolved.dialect.auth {
            Auth::Header(name) => {
                let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ValidationError::new("auth header", name.as_str(), "is not a header name")
                })?;
                headers.insert(name, self.key.plain_header()?);
            }
            _ => {
                headers.insert(http::header::AUTHORIZATION, self.key.bearer_header()?);
            }
        }
        Ok(())
    }

    fn features(&self) -> Features {
        self.spec.features
    }

    fn dialect(&self) -> Arc<Dialect> {
        Arc::clone(&self.resolved.dialect)
    }

    fn uploads(&self) -> Option<UploadsRule> {
        self.spec.rules.uploads
    }

    fn check_upload(
        &self,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        self.spec.rules.check(self.resolved.site, upload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled;

    fn headers_of(provider: &SpecProvider) -> HeaderMap {
        let mut headers = HeaderMap::new();
        provider.authorize(&mut headers).unwrap();
        headers
    }

    #[test]
    fn azure_v1_takes_the_endpoint_and_sends_the_key_as_api_key() {
        let azure = SpecProvider::new(bundled::azure(), "az-secret").unwrap();
        let err = azure.ready().unwrap_err();
        assert!(err.rule.contains("AZURE_OPENAI_ENDPOINT"), "{err}");
        assert!(
            azure.authorize(&mut HeaderMap::new()).is_err(),
            "no request goes out before the endpoint is known"
        );
        let azure = azure
            .with_base_url("https://res.openai.azure.com/")
            .unwrap();
        assert!(azure.ready().is_ok());
        assert_eq!(
            azure.base_url().as_str(),
            "https://res.openai.azure.com/openai/v1"
        );
        assert!(azure.dialect().query.is_empty(), "v1 needs no api-version");
        let headers = headers_of(&azure);
        assert_eq!(headers["api-key"], "az-secret");
        assert!(headers["api-key"].is_sensitive());
        assert!(!headers.contains_key("authorization"), "never Bearer");
        assert!(!format!("{azure:?}").contains("az-secret"));
    }

    #[test]
    fn an_api_version_selects_the_dated_api_and_goes_on_every_request() {
        let azure = SpecProvider::new(bundled::azure(), "k")
            .and_then(|p| p.with_api_version("2024-10-21"))
            .and_then(|p| p.with_base_url("https://res.openai.azure.com"))
            .unwrap();
        assert_eq!(
            azure.base_url().as_str(),
            "https://res.openai.azure.com/openai"
        );
        assert_eq!(
            azure.dialect().query,
            [("api-version".to_owned(), "2024-10-21".to_owned())]
        );
        let full = SpecProvider::new(bundled::azure(), "k")
            .and_then(|p| p.with_base_url("https://res.openai.azure.com/openai/v1"))
            .unwrap();
        assert_eq!(
            full.base_url().as_str(),
            "https://res.openai.azure.com/openai/v1",
            "a URL that already ends in the site's path is taken as it is"
        );
        let err = SpecProvider::new(bundled::azure(), "k")
            .and_then(|p| p.with_api_version("2024\n10"))
            .unwrap_err();
        assert_eq!(err.what, "API version");
    }

    #[test]
    fn a_site_whose_query_needs_a_version_waits_for_one() {
        let dated = SpecProvider::new(bundled::azure(), "k")
            .and_then(|p| p.with_site("dated"))
            .and_then(|p| p.with_base_url("https://res.openai.azure.com"))
            .unwrap();
        let err = dated.ready().unwrap_err();
        assert!(err.rule.contains("--api-version"), "{err}");
        assert!(err.rule.contains("OPENAI_API_VERSION"), "{err}");
        let dated = dated.with_api_version("2024-10-21").unwrap();
        assert!(dated.ready().is_ok());
        assert_eq!(dated.dialect().query[0].1, "2024-10-21");
        let err = SpecProvider::new(bundled::azure(), "k")
            .and_then(|p| p.with_site("nowhere"))
            .unwrap_err();
        assert!(err.rule.contains("v1, dated"), "{err}");
    }

    #[test]
    fn a_bearer_provider_checks_at_the_site_its_base_url_names() {
        let moonshot = SpecProvider::new(bundled::moonshot(), "mk").unwrap();
        assert_eq!(moonshot.base_url().as_str(), "https://api.moonshot.ai/v1");
        assert_eq!(headers_of(&moonshot)["authorization"], "Bearer mk");
        let china = moonshot
            .with_base_url("https://api.moonshot.cn/v1")
            .unwrap();
        assert_eq!(china.resolved.site.map(|s| s.name), Some("china"));
        let elsewhere = china.with_base_url("http://127.0.0.1:9/v1").unwrap();
        assert_eq!(
            elsewhere.resolved.site, None,
            "any site's purposes at a base URL of no site"
        );
        assert!(elsewhere.with_base_url("localhost:9").is_err());
    }
}
