//! A provider's own error table: which status, with which code, is which kind.

use crate::error_kind::ApiErrorKind;

/// One row of a provider's error table: `status` (with `code` in the body's `error.code` or
/// `error.type`, when given) is `kind`; `retry` overrides the status rule when set (Zhipu's
/// 429 with business code 1113 is a spent balance, never retried).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorRule {
    /// The HTTP status.
    pub status: u16,
    /// The business code or error type that must come with it, if any.
    pub code: Option<String>,
    /// The kind it means.
    pub kind: ApiErrorKind,
    /// Whether such an answer is retried, when it differs from the status's rule.
    pub retry: Option<bool>,
}

impl ErrorRule {
    /// `status` is `kind`, whatever the body says.
    pub fn new(status: u16, kind: ApiErrorKind) -> Self {
        ErrorRule {
            status,
            code: None,
            kind,
            retry: None,
        }
    }

    /// Only when the body's code (or type) is `code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Retried (or not) regardless of the status's rule.
    pub fn with_retry(mut self, retry: bool) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The rule of `rules` that an answer with `status`, `error_type` and `code` meets: one
    /// naming its code first, then one for the status alone.
    pub fn find<'a>(
        rules: &'a [ErrorRule],
        status: u16,
        error_type: Option<&str>,
        code: Option<&str>,
    ) -> Option<&'a ErrorRule> {
        let given = [code, error_type];
        rules
            .iter()
            .filter(|r| r.status == status)
            .find(|r| {
                r.code
                    .as_deref()
                    .is_some_and(|want| given.contains(&Some(want)))
            })
            .or_else(|| {
                rules
                    .iter()
                    .find(|r| r.status == status && r.code.is_none())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_rule_wins_over_the_status_rule() {
        let rules = [
            ErrorRule::new(429, ApiErrorKind::RateLimited),
            ErrorRule::new(429, ApiErrorKind::InsufficientBalance)
                .with_code("1113")
                .with_retry(false),
        ];
        let find = |code| ErrorRule::find(&rules, 429, None, code).map(|r| r.kind);
        assert_eq!(find(Some("1113")), Some(ApiErrorKind::InsufficientBalance));
        assert_eq!(find(Some("1302")), Some(ApiErrorKind::RateLimited));
        assert_eq!(find(None), Some(ApiErrorKind::RateLimited));
        assert_eq!(ErrorRule::find(&rules, 500, None, None), None);
        let by_type = ErrorRule::find(&rules, 429, Some("1113"), None);
        assert_eq!(by_type.map(|r| r.retry), Some(Some(false)));
    }
}
