//! Credentials a server quotes back, kept out of errors.

use bytes::Bytes;
use http::HeaderMap;

/// The shortest credential that is scrubbed from a server's words (shorter ones would match
/// ordinary text).
pub(crate) const MIN_SECRET_LEN: usize = 8;

/// What a replaced credential becomes.
const REDACTED: &[u8] = b"[redacted]";

/// The credentials a request carried: the values of its sensitive headers, with any
/// `Bearer ` scheme taken off.
#[derive(Default)]
pub(crate) struct Secrets(Vec<Vec<u8>>);

impl Secrets {
    /// The credentials in `headers`.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let secrets = headers
            .values()
            .filter(|v| v.is_sensitive())
            .filter_map(|v| v.to_str().ok())
            .map(|v| {
                let v = v.trim();
                match v.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                    _ => v,
                }
            })
            .filter(|secret| secret.len() >= MIN_SECRET_LEN)
            .map(|secret| secret.as_bytes().to_vec())
            .collect();
        Secrets(secrets)
    }

    /// `body` with every credential replaced by `[redacted]`, or `None` when it quotes none.
    pub(crate) fn scrub(&self, body: &[u8]) -> Option<Bytes> {
        let mut out: Option<Vec<u8>> = None;
        for secret in &self.0 {
            let current = out.as_deref().unwrap_or(body);
            if let Some(replaced) = replace_all(current, secret) {
                out = Some(replaced);
            }
        }
        out.map(Bytes::from)
    }
}

/// `haystack` with every `needle` replaced, or `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8]) -> Option<Vec<u8>> {
    let found = |from: usize| {
        haystack[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut at = found(0)?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    loop {
        out.extend_from_slice(&haystack[from..at]);
        out.extend_from_slice(REDACTED);
        from = at + needle.len();
        match found(from) {
            Some(next) => at = next,
            None => {
                out.extend_from_slice(&haystack[from..]);
                return Some(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn secrets(values: &[(&'static str, &str, bool)]) -> Secrets {
        let mut headers = HeaderMap::new();
        for (name, value, sensitive) in values {
            let mut value = HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x"));
            value.set_sensitive(*sensitive);
            headers.append(http::HeaderName::from_static(name), value);
        }
        Secrets::of(&headers)
    }

    #[test]
    fn every_sensitive_value_is_scrubbed_everywhere() {
        let s = secrets(&[
            ("authorization", "Bearer sk-one-12345", true),
            ("x-api-key", "other-secret-2", true),
            ("x-trace", "not-a-secret-3", false),
        ]);
        let body = b"sk-one-12345 and other-secret-2, sk-one-12345! not-a-secret-3";
        let out = s.scrub(body).unwrap_or_default();
        assert_eq!(
            &out[..],
            b"[redacted] and [redacted], [redacted]! not-a-secret-3"
        );
        assert_eq!(s.scrub(b"nothing here"), None);
        // Too short to tell from ordinary text: left alone.
        assert_eq!(
            secrets(&[("authorization", "Bearer k", true)]).scrub(b"k"),
            None
        );
    }
}
