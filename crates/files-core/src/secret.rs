//! [`ApiKey`]: a secret that never shows itself in `Debug`, `Display` or an error.

use std::fmt;

/// An API key. Its `Debug` and `Display` print `***`; only [`ApiKey::expose`] gives the text,
/// and the SDK calls it in one place: when it writes the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Leading and trailing white space (a stray newline from a file or an
    /// environment variable) is trimmed.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            ApiKey(key)
        } else {
            ApiKey(trimmed.to_owned())
        }
    }

    /// The key's text. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `Authorization: Bearer …` header value, marked sensitive so that `http`'s and the
    /// HTTP clients' debug output hides it.
    pub fn bearer_header(&self) -> Result<http::HeaderValue, crate::ValidationError> {
        Self::sensitive(&format!("Bearer {}", self.0))
    }

    /// The key alone as a header value (`api-key: KEY`), marked sensitive.
    pub fn plain_header(&self) -> Result<http::HeaderValue, crate::ValidationError> {
        Self::sensitive(&self.0)
    }

    fn sensitive(text: &str) -> Result<http::HeaderValue, crate::ValidationError> {
        let mut value = http::HeaderValue::from_str(text).map_err(|_| {
            crate::ValidationError::new(
                "API key",
                "***",
                "contains characters that cannot go in an HTTP header; check for pasted quotes or control characters",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_prints() {
        let key = ApiKey::new("sk-secret-123\n");
        assert_eq!(format!("{key:?}"), "ApiKey(***)");
        assert_eq!(format!("{key}"), "***");
        assert_eq!(key.expose(), "sk-secret-123");
        let header = key.bearer_header().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("secret"));
    }

    #[test]
    fn a_key_with_control_characters_is_refused_without_showing_it() {
        let err = ApiKey::new("sk-a\u{7}b").bearer_header().unwrap_err();
        assert!(!err.to_string().contains("sk-a"));
    }
}
