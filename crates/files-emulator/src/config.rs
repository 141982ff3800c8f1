//! How an emulator instance is configured.

use std::fmt;

use files_core::extend::rules::SiteRule;

use crate::dialect::Dialect;
use crate::error::EmulatorError;
use crate::fault::Fault;
use crate::tls::TlsIdentity;

/// Settings for [`Emulator::start_with`](crate::Emulator::start_with) and [`serve`](crate::serve).
///
/// ```
/// use files_emulator::{Dialect, EmulatorConfig};
///
/// let config = EmulatorConfig::new(Dialect::openai())
///     .with_api_key("sk-test")
///     .with_path_prefix("/v1/openai/v1")
///     .with_max_upload_bytes(1024);
/// assert_eq!(config.path_prefix, "/v1/openai/v1");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Which provider's wire format to speak.
    pub dialect: Dialect,
    /// The key clients must send, where the dialect wants it (`Authorization: Bearer
    /// <api_key>`, or a header of its own such as `api-key`).
    pub api_key: String,
    /// The path every route lives under, such as `/v1` (the default) or `/v1/openai/v1`.
    ///
    /// A missing leading `/` is added and trailing `/`s are ignored; `""` or `"/"` serve at the root.
    pub path_prefix: String,
    /// The largest accepted file, in bytes; a bigger upload gets `413`. `None` means no limit.
    pub max_upload_bytes: Option<u64>,
    /// Whether content answers `Range` requests (`206`) and says so with `Accept-Ranges`,
    /// `ETag` and `Last-Modified` (the default); `false` emulates a server that sends
    /// everything every time.
    pub ranges: bool,
    /// Faults queued when the server starts (a fault plan), before any
    /// [`Emulator::inject`](crate::Emulator::inject).
    pub faults: Vec<Fault>,
    /// Whether StepFun's remote `url` uploads may fetch from loopback, private, link-local
    /// and other non-public addresses (off by default, so the emulator cannot be made a
    /// proxy into the network it runs on).
    pub allow_private_urls: bool,
    /// Which of the provider's sites to be (StepFun: `international` or `china`, each with
    /// the purposes `spec/stepfun.toml` gives it); `None` accepts what any site accepts.
    pub site: Option<String>,
    /// The most files the store holds before uploads are refused; `None` is the provider's
    /// documented cap in its spec, if it has one.
    pub max_files: Option<u64>,
    /// Whether `POST /files` takes a file of any size, empty or over the provider's limits
    /// (for benchmarks and large-file tests; off by default). The other rules still apply.
    pub any_size: bool,
    /// Serve HTTPS with this identity instead of plain HTTP.
    pub tls: Option<TlsIdentity>,
}

/// The prefix a dialect is served under at `site` (its first site when `None`): `/v1`, or
/// the path after `{endpoint}` of a site whose base URL is an endpoint plus a path.
fn default_prefix(dialect: &Dialect, site: Option<&str>) -> String {
    let sites = &dialect.spec().file.site;
    let site = match site {
        Some(name) => sites.iter().find(|s| s.name == name),
        None => sites.first(),
    };
    site.and_then(|s| s.base_url.strip_prefix(files_spec::ENDPOINT))
        .map_or_else(|| "/v1".to_owned(), str::to_owned)
}

impl EmulatorConfig {
    /// A configuration for `dialect` with the key `emulator-key`, prefix `/v1` and no size limit.
    ///
    /// A provider whose base URL is an endpoint plus a path (Azure's
    /// `{endpoint}/openai/v1`) is served under that path instead, so the emulator's URL is
    /// the endpoint a client is given.
    pub fn new(dialect: Dialect) -> Self {
        let path_prefix = default_prefix(&dialect, None);
        EmulatorConfig {
            dialect,
            api_key: "emulator-key".to_owned(),
            path_prefix,
            max_upload_bytes: None,
            ranges: true,
            faults: Vec::new(),
            allow_private_urls: false,
            site: None,
            max_files: None,
            any_size: false,
            tls: None,
        }
    }

    /// Replaces the API key clients must present.
    #[must_use]
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// Replaces the path prefix the routes live under.
    #[must_use]
    pub fn with_path_prefix(mut self, path_prefix: impl Into<String>) -> Self {
        self.path_prefix = path_prefix.into();
        self
    }

    /// Limits the size of an uploaded file.
    #[must_use]
    pub fn with_max_upload_bytes(mut self, max_upload_bytes: u64) -> Self {
        self.max_upload_bytes = Some(max_upload_bytes);
        self
    }

    /// Turns `Range` support on or off (on by default).
    #[must_use]
    pub fn with_ranges(mut self, ranges: bool) -> Self {
        self.ranges = ranges;
        self
    }

    /// Queues `faults` (a plan: see [`Fault::plan_from_json`]) for when the server starts.
    #[must_use]
    pub fn with_faults(mut self, faults: Vec<Fault>) -> Self {
        self.faults = faults;
        self
    }

    /// Lets remote `url` uploads fetch from non-public addresses (a test's own loopback
    /// server, say).
    #[must_use]
    pub fn with_private_urls_allowed(mut self, allowed: bool) -> Self {
        self.allow_private_urls = allowed;
        self
    }

    /// Emulates one site of the provider, accepting only its purposes; fails for a name the
    /// provider has no site of.
    pub fn with_site(mut self, site: &str) -> Result<Self, EmulatorError> {
        let rules = self.dialect.rules();
        if rules.site(site).is_none() {
            let names: Vec<&str> = rules.sites.iter().map(|s| s.name).collect();
            return Err(EmulatorError::UnknownSite {
                dialect: self.dialect.to_string(),
                site: site.to_owned(),
                expected: names.join(", "),
            });
        }
        if self.path_prefix == default_prefix(&self.dialect, self.site.as_deref()) {
            self.path_prefix = default_prefix(&self.dialect, Some(site));
        }
        self.site = Some(site.to_owned());
        Ok(self)
    }

    /// Refuses uploads once `max_files` files are stored (instead of the provider's cap).
    #[must_use]
    pub fn with_max_files(mut self, max_files: u64) -> Self {
        self.max_files = Some(max_files);
        self
    }

    /// Lets `POST /files` take files of any size (see [`any_size`](Self::any_size)).
    #[must_use]
    pub fn with_any_size(mut self, any_size: bool) -> Self {
        self.any_size = any_size;
        self
    }

    /// Serves HTTPS with `identity` (e.g. [`TlsIdentity::self_signed`]); clients trust its
    /// [`certificate_pem`](TlsIdentity::certificate_pem).
    #[must_use]
    pub fn with_tls(mut self, identity: TlsIdentity) -> Self {
        self.tls = Some(identity);
        self
    }

    /// The site emulated, if one was chosen.
    pub(crate) fn site_rule(&self) -> Option<&'static SiteRule> {
        self.site
            .as_deref()
            .and_then(|name| self.dialect.rules().site(name))
    }

    /// The spec's entry for the emulated site, if one was chosen.
    pub(crate) fn site_spec(&self) -> Option<&files_spec::model::Site> {
        let name = self.site.as_deref()?;
        self.dialect
            .spec()
            .file
            .site
            .iter()
            .find(|s| s.name == name)
    }

    /// The most files the store may hold, if there is a cap.
    pub(crate) fn file_cap(&self) -> Option<u64> {
        self.max_files
            .or(match self.dialect.rules().account.max_files {
                0 => None,
                n => Some(n),
            })
    }

    /// The prefix in canonical form: `""` for the root, else `/a/b` with no trailing slash.
    pub(crate) fn normalized_prefix(&self) -> String {
        let trimmed = self.path_prefix.trim_matches('/');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("dialect", &self.dialect)
            .field("api_key", &"***")
            .field("path_prefix", &self.path_prefix)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("ranges", &self.ranges)
            .field("faults", &self.faults)
            .field("allow_private_urls", &self.allow_private_urls)
            .field("site", &self.site)
            .field("max_files", &self.max_files)
            .field("any_size", &self.any_size)
            .field("tls", &self.tls)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_prefixes() {
        let norm = |p: &str| {
            EmulatorConfig::new(Dialect::openai())
                .with_path_prefix(p)
                .normalized_prefix()
        };
        assert_eq!(norm("/v1"), "/v1");
        assert_eq!(norm("v1/"), "/v1");
        assert_eq!(norm("/v1/openai/v1/"), "/v1/openai/v1");
        assert_eq!(norm("/"), "");
        assert_eq!(norm(""), "");
    }

    #[test]
    fn sites_are_checked_and_caps_come_from_the_spec() {
        let stepfun = EmulatorConfig::new(Dialect::stepfun());
        assert_eq!(stepfun.file_cap(), Some(1000));
        assert_eq!(EmulatorConfig::new(Dialect::openai()).file_cap(), None);
        assert_eq!(stepfun.clone().with_max_files(3).file_cap(), Some(3));
        let china = stepfun.clone().with_site("china").unwrap();
        assert_eq!(china.site_rule().map(|s| s.name), Some("china"));
        let err = stepfun.with_site("mars").unwrap_err().to_string();
        assert!(err.contains("international, china"), "{err}");
    }

    #[test]
    fn debug_hides_the_key() {
        let config = EmulatorConfig::new(Dialect::stepfun()).with_api_key("secret-key");
        assert!(!format!("{config:?}").contains("secret-key"));
    }
}
