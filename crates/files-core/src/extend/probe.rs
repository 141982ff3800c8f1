//! [`FileProbe`]: what the driver learned about a local file before an upload, handed to the
//! machines so they can check the provider's rules without opening anything.

use bytes::Bytes;

/// What the client learned about a local file before uploading it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileProbe {
    /// The file's size in bytes.
    pub len: u64,
    /// Its first bytes (up to what was asked for).
    pub prefix: Bytes,
}

/// How many leading bytes of a local file the client reads for the provider's checks
/// (`prefix_bytes` in `spec/formats.toml`).
pub const PROBE_PREFIX_LEN: usize = crate::rules::PREFIX_BYTES;
