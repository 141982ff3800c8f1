//! Which provider's Files API the emulator speaks.

use std::fmt;
use std::str::FromStr;

use files_core::extend::rules::{ProviderRules, SiteRule};

use crate::error::EmulatorError;

/// The provider whose wire format the emulator reproduces.
///
/// Parses from (and displays as) `"openai"` or `"stepfun"`; parsing ignores ASCII case.
///
/// ```
/// use files_emulator::Dialect;
///
/// let dialect: Dialect = "stepfun".parse().unwrap();
/// assert_eq!(dialect, Dialect::StepFun);
/// assert_eq!(Dialect::OpenAi.to_string(), "openai");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// OpenAI's Files API: cursor-paginated lists, `expires_after`, full error envelopes.
    OpenAi,
    /// StepFun's Files API: remote `url` uploads, plain lists, parsed-text content.
    StepFun,
}

impl Dialect {
    /// The lower-case name used by [`FromStr`] and [`fmt::Display`].
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::OpenAi => "openai",
            Dialect::StepFun => "stepfun",
        }
    }

    /// The provider's rules this dialect enforces: the provider crate's table, generated from
    /// `spec/` ([`provider_openai::rules::RULES`], [`provider_stepfun::rules::RULES`]), the one
    /// its `check_upload` applies before sending.
    pub fn rules(self) -> &'static ProviderRules {
        match self {
            Dialect::OpenAi => &provider_openai::rules::RULES,
            Dialect::StepFun => &provider_stepfun::rules::RULES,
        }
    }

    /// The purposes this dialect accepts on upload at `site` (`None`: at any of its sites).
    pub fn upload_purposes(self, site: Option<&SiteRule>) -> Vec<&'static str> {
        let rules = self.rules();
        rules
            .purposes
            .iter()
            .map(|p| p.name)
            .filter(|p| site.is_none_or(|s| s.purposes.contains(p)))
            .collect()
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
        if s.eq_ignore_ascii_case("openai") {
            Ok(Dialect::OpenAi)
        } else if s.eq_ignore_ascii_case("stepfun") {
            Ok(Dialect::StepFun)
        } else {
            Err(EmulatorError::UnknownDialect(s.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        assert_eq!("openai".parse::<Dialect>().ok(), Some(Dialect::OpenAi));
        assert_eq!("StepFun".parse::<Dialect>().ok(), Some(Dialect::StepFun));
        assert!("azure".parse::<Dialect>().is_err());
        for d in [Dialect::OpenAi, Dialect::StepFun] {
            assert_eq!(d.to_string().parse::<Dialect>().ok(), Some(d));
        }
    }
}
