//! [`ProviderSpec`]: a provider file read, checked, and turned into what the client and the
//! emulator use — a [`Dialect`], [`ProviderRules`] and [`Features`].

use std::sync::Arc;

use files_core::ApiErrorKind;
use files_core::extend::dialect::Dialect;
use files_core::extend::provider::Features;
use files_core::extend::rules::{FORMATS, ProviderRules};

use crate::build::{content_of, dialect_of, rules_of};
use crate::check::{Catalogue, check};
use crate::error::SpecError;
use crate::model::SpecFile;

/// The placeholder of a site's base URL that the endpoint fills (Azure's resource URL).
pub const ENDPOINT: &str = "{endpoint}";
/// The placeholder of a query value that the API version fills.
pub const API_VERSION: &str = "{api_version}";

/// A checked provider spec: the file as written ([`ProviderSpec::file`]) and what it means.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderSpec {
    /// The file or name it was read from.
    pub origin: String,
    /// The file's fields as written.
    pub file: SpecFile,
    /// The dialect, without a site's query parameters (a provider adds its site's).
    pub dialect: Dialect,
    /// The upload rules. A spec read at run time keeps its tables for the rest of the process
    /// (a few kilobytes; read a spec once and share it).
    pub rules: &'static ProviderRules,
    /// The features that change how requests are built.
    pub features: Features,
}

impl ProviderSpec {
    /// Reads a spec from TOML `text`; `origin` names it in errors (a path, say).
    ///
    /// ```
    /// let spec = files_spec::ProviderSpec::parse(
    ///     "gateway.toml",
    ///     r#"
    ///     [provider]
    ///     name = "Gateway"
    ///     id = "gateway"
    ///     api_key_env = "GATEWAY_KEY"
    ///
    ///     [auth]
    ///     style = "header"
    ///     header = "x-api-key"
    ///
    ///     [[site]]
    ///     name = "default"
    ///     base_url = "https://files.example.com/v2"
    ///     purposes = ["batch"]
    ///
    ///     [[purpose]]
    ///     name = "batch"
    ///     "#,
    /// )?;
    /// assert_eq!(spec.dialect.auth.header_name(), "x-api-key");
    /// let bad = files_spec::ProviderSpec::parse("bad.toml", "[provider]\nname = 1\n").unwrap_err();
    /// assert_eq!(bad.location, "line 2, column 8");
    /// # Ok::<(), files_spec::SpecError>(())
    /// ```
    pub fn parse(origin: &str, text: &str) -> Result<ProviderSpec, SpecError> {
        let file = read(origin, text)?;
        let formats: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        let kinds: Vec<&str> = ApiErrorKind::ALL.iter().map(|k| k.name()).collect();
        check(
            origin,
            &file,
            Catalogue {
                formats: &formats,
                kinds: &kinds,
            },
        )?;
        Ok(ProviderSpec::build(origin, file))
    }

    fn build(origin: &str, file: SpecFile) -> ProviderSpec {
        let dialect = dialect_of(&file);
        let rules: &'static ProviderRules = Box::leak(Box::new(rules_of(&file)));
        let features = Features::new()
            .with_url_upload(file.provider.url_upload)
            .with_expires_after(file.expires_after.is_some())
            .with_list_parameters(file.list.paging != "none" || file.list.purpose.is_some())
            .with_content(content_of(&file.provider.content));
        ProviderSpec {
            origin: origin.to_owned(),
            file,
            dialect,
            rules,
            features,
        }
    }

    /// The provider's display name.
    pub fn name(&self) -> &str {
        &self.file.provider.name
    }

    /// The provider's id, its CLI name.
    pub fn id(&self) -> &str {
        &self.file.provider.id
    }

    /// Shared, for providers built from it.
    pub fn shared(self) -> Arc<ProviderSpec> {
        Arc::new(self)
    }
}

/// Reads the TOML into the file's fields, with the line of the first problem.
pub fn read(origin: &str, text: &str) -> Result<SpecFile, SpecError> {
    toml::from_str(text).map_err(|e| SpecError::from_toml(origin, text, &e))
}
