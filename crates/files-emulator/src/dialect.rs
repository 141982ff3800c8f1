//! Which provider's Files API the emulator speaks: a provider spec, bundled or a file.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use files_core::extend::dialect::Dialect as Wire;
use files_core::extend::rules::{ProviderRules, SiteRule};
use files_spec::ProviderSpec;

use crate::error::EmulatorError;

/// The provider whose wire format the emulator reproduces: its paths, auth header, required
/// query parameters, list style, field names, error shapes, caps and content, all from its
/// spec.
///
/// Parses from (and displays as) a bundled provider's id (`openai`, `stepfun`, `azure`…);
/// parsing ignores ASCII case. [`Dialect::from_spec`] takes any spec.
///
/// ```
/// use files_emulator::Dialect;
///
/// let dialect: Dialect = "StepFun".parse().unwrap();
/// assert_eq!(dialect, Dialect::stepfun());
/// assert_eq!(Dialect::openai().to_string(), "openai");
/// assert!("nonesuch".parse::<Dialect>().is_err());
/// ```
#[derive(Clone)]
pub struct Dialect {
    spec: Arc<ProviderSpec>,
}

impl Dialect {
    /// OpenAI's Files API: cursor-paginated lists, `expires_after`, full error envelopes.
    pub fn openai() -> Dialect {
        Dialect::from_spec(files_spec::bundled::openai())
    }

    /// StepFun's Files API: remote `url` uploads, plain lists, parsed-text content.
    pub fn stepfun() -> Dialect {
        Dialect::from_spec(files_spec::bundled::stepfun())
    }

    /// The bundled provider with this id, if there is one.
    pub fn named(id: &str) -> Option<Dialect> {
        files_spec::bundled::named(&id.to_ascii_lowercase()).map(Dialect::from_spec)
    }

    /// The dialect a spec describes (a user's gateway, say).
    pub fn from_spec(spec: Arc<ProviderSpec>) -> Dialect {
        Dialect { spec }
    }

    /// Every bundled provider's dialect.
    pub fn bundled() -> Vec<Dialect> {
        files_spec::bundled::all()
            .iter()
            .cloned()
            .map(Dialect::from_spec)
            .collect()
    }

    /// The provider's id, e.g. `openai`.
    pub fn as_str(&self) -> &str {
        self.spec.id()
    }

    /// The provider's spec.
    pub fn spec(&self) -> &ProviderSpec {
        &self.spec
    }

    /// The wire dialect (paths, auth, list style, field names) without a site's query.
    pub fn wire(&self) -> &Wire {
        &self.spec.dialect
    }

    /// Whether this is OpenAI's own API (its auth hint, its error envelope).
    pub(crate) fn is_openai(&self) -> bool {
        self.as_str() == "openai"
    }

    /// Whether error envelopes carry only `message` and `type` (StepFun, Moonshot) rather
    /// than OpenAI's four fields.
    pub(crate) fn short_errors(&self) -> bool {
        self.spec.file.provider.error_envelope == "short"
    }

    /// The provider's rules this dialect enforces: the same table the client checks before
    /// sending (for OpenAI and StepFun, [`provider_openai::rules::RULES`] and
    /// [`provider_stepfun::rules::RULES`] are generated from the same spec).
    pub fn rules(&self) -> &'static ProviderRules {
        self.spec.rules
    }

    /// The purposes this dialect accepts on upload at `site` (`None`: at any of its sites).
    pub fn upload_purposes(&self, site: Option<&SiteRule>) -> Vec<&'static str> {
        let rules = self.rules();
        rules
            .purposes
            .iter()
            .map(|p| p.name)
            .filter(|p| site.is_none_or(|s| s.purposes.contains(p)))
            .collect()
    }
}

impl PartialEq for Dialect {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.spec, &other.spec)
            || (self.spec.id() == other.spec.id() && self.spec.origin == other.spec.origin)
    }
}

impl Eq for Dialect {}

impl fmt::Debug for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dialect({})", self.as_str())
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = EmulatorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::named(s).ok_or_else(|| EmulatorError::UnknownDialect(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        assert_eq!("openai".parse::<Dialect>().ok(), Some(Dialect::openai()));
        assert_eq!("StepFun".parse::<Dialect>().ok(), Some(Dialect::stepfun()));
        assert!("nonesuch".parse::<Dialect>().is_err());
        for d in Dialect::bundled() {
            assert_eq!(d.to_string().parse::<Dialect>().ok(), Some(d));
        }
    }
}
