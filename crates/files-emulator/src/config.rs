//! How an emulator instance is configured.

use std::fmt;

use crate::dialect::Dialect;

/// Settings for [`Emulator::start_with`](crate::Emulator::start_with) and [`serve`](crate::serve).
///
/// ```
/// use files_emulator::{Dialect, EmulatorConfig};
///
/// let config = EmulatorConfig::new(Dialect::OpenAi)
///     .with_api_key("sk-test")
///     .with_path_prefix("/v1/openai/v1")
///     .with_max_upload_bytes(1024);
/// assert_eq!(config.path_prefix, "/v1/openai/v1");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Which provider's wire format to speak.
    pub dialect: Dialect,
    /// The key clients must send as `Authorization: Bearer <api_key>`.
    pub api_key: String,
    /// The path every route lives under, such as `/v1` (the default) or `/v1/openai/v1`.
    ///
    /// A missing leading `/` is added and trailing `/`s are ignored; `""` or `"/"` serve at the root.
    pub path_prefix: String,
    /// The largest accepted file, in bytes; a bigger upload gets `413`. `None` means no limit.
    pub max_upload_bytes: Option<u64>,
}

impl EmulatorConfig {
    /// A configuration for `dialect` with the key `emulator-key`, prefix `/v1` and no size limit.
    pub fn new(dialect: Dialect) -> Self {
        EmulatorConfig {
            dialect,
            api_key: "emulator-key".to_owned(),
            path_prefix: "/v1".to_owned(),
            max_upload_bytes: None,
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
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_prefixes() {
        let norm = |p: &str| {
            EmulatorConfig::new(Dialect::OpenAi)
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
    fn debug_hides_the_key() {
        let config = EmulatorConfig::new(Dialect::StepFun).with_api_key("secret-key");
        assert!(!format!("{config:?}").contains("secret-key"));
    }
}
