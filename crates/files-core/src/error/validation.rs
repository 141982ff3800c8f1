//! [`ValidationError`]: a request refused before anything was sent.

use crate::rules::RuleKind;

/// A request that breaks a rule of the provider, found before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value}: {rule}")]
#[non_exhaustive]
pub struct ValidationError {
    /// What was checked, e.g. `purpose` or `file size`.
    pub what: String,
    /// The rule or limit that was broken, and how to satisfy it.
    pub rule: String,
    /// The offending value, as the caller gave it (never a secret).
    pub value: String,
    /// The limit that applies, when the rule is a numeric one (e.g. `1..=10000`).
    pub limit: Option<String>,
    /// Which rule was broken, for callers that match on it.
    pub kind: RuleKind,
}

impl ValidationError {
    /// A validation error for `what`, whose `value` breaks `rule`.
    pub fn new(what: impl Into<String>, value: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            what: what.into(),
            rule: rule.into(),
            value: value.into(),
            limit: None,
            kind: RuleKind::Input,
        }
    }

    /// Records which rule the value broke.
    pub fn with_kind(mut self, kind: RuleKind) -> Self {
        self.kind = kind;
        self
    }

    /// Records the numeric limit the value broke.
    pub fn with_limit(mut self, limit: impl Into<String>) -> Self {
        self.limit = Some(limit.into());
        self
    }
}
