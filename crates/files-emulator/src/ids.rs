//! Random identifiers: file ids and request ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Fills `buf` with random bytes, falling back to std's randomly seeded hasher if the OS
/// generator is unavailable (ids must be unique, not secret).
fn random_bytes(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    for chunk in buf.chunks_mut(8) {
        let mut hasher = state.build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let word = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// A file id: `file-` and 24 random ASCII letters and digits.
pub(crate) fn file_id() -> String {
    prefixed_id("file-")
}

/// `prefix` and 24 random ASCII letters and digits (`upload_…`, `part_…`).
pub(crate) fn prefixed_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    let mut produced = 0;
    while produced < 24 {
        let mut buf = [0u8; 32];
        random_bytes(&mut buf);
        // Rejection sampling keeps the 62 symbols equally likely.
        for byte in buf {
            if produced == 24 {
                break;
            }
            if usize::from(byte) < ALNUM.len() * 4 {
                id.push(char::from(ALNUM[usize::from(byte) % ALNUM.len()]));
                produced += 1;
            }
        }
    }
    id
}

/// A request id: `req_` and 32 random lower-case hex digits.
pub(crate) fn request_id() -> String {
    let mut buf = [0u8; 16];
    random_bytes(&mut buf);
    let mut id = String::with_capacity(36);
    id.push_str("req_");
    for byte in buf {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_have_the_documented_shape() {
        let a = file_id();
        let b = file_id();
        assert_ne!(a, b);
        let tail = a.strip_prefix("file-").unwrap_or_default();
        assert_eq!(tail.len(), 24);
        assert!(tail.bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn request_ids_have_the_documented_shape() {
        let id = request_id();
        let tail = id.strip_prefix("req_").unwrap_or_default();
        assert_eq!(tail.len(), 32);
        assert!(tail.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
