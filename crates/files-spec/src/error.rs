//! [`SpecError`]: why a provider spec was refused — the file, where in it, what is allowed.

use std::fmt;

/// A provider spec that cannot be used: which file, where in it (a line and column, or a
/// field), and what was wrong with what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct SpecError {
    /// The file (or the name the text was given), e.g. `gateway.toml`.
    pub origin: String,
    /// Where: `line 12, column 3`, or a field such as `[[purpose]] batch: formats`.
    pub location: String,
    /// What is wrong, and what is allowed.
    pub problem: String,
}

impl SpecError {
    pub(crate) fn new(
        origin: &str,
        location: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        SpecError {
            origin: origin.to_owned(),
            location: location.into(),
            problem: problem.into(),
        }
    }

    /// The error of `toml` reading `text`, at the line and column it points to.
    pub(crate) fn from_toml(origin: &str, text: &str, error: &toml::de::Error) -> Self {
        let location = match error.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("line {line}, column {column}")
            }
            None => "the file".to_owned(),
        };
        SpecError::new(origin, location, error.message().trim().to_owned())
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "provider spec {}: {}: {}",
            self.origin, self.location, self.problem
        )
    }
}
