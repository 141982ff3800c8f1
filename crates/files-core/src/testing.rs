//! Test support: a body description rendered to its bytes, with its paths held in memory. The
//! byte pump that does this for real (lazily, held to each length) is `files-io`'s; the core's
//! tests only need to see what a description describes.

use std::collections::HashMap;
use std::path::PathBuf;

use bytes::Bytes;

use crate::body::{Body, Segment};

/// Files in memory, by path.
#[derive(Clone, Default)]
pub(crate) struct MemoryFiles {
    files: HashMap<PathBuf, Bytes>,
}

impl MemoryFiles {
    pub(crate) fn new() -> Self {
        MemoryFiles::default()
    }

    pub(crate) fn with(mut self, path: impl Into<PathBuf>, bytes: impl Into<Bytes>) -> Self {
        self.files.insert(path.into(), bytes.into());
        self
    }

    /// The bytes `body` describes: its in-memory segments as they are, and each file range cut
    /// from the file in memory. A missing or short file, or a one-shot source, is an error.
    pub(crate) fn render(&self, body: Body) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(usize::try_from(body.len()).unwrap_or(0));
        for segment in body.into_segments() {
            match segment {
                Segment::Bytes(bytes) => out.extend_from_slice(&bytes),
                Segment::Path(range) => {
                    let file = self
                        .files
                        .get(&range.path)
                        .ok_or_else(|| format!("no file {}", range.path.display()))?;
                    let start = usize::try_from(range.offset).map_err(|e| e.to_string())?;
                    let end = start + usize::try_from(range.len).map_err(|e| e.to_string())?;
                    let bytes = file
                        .get(start..end)
                        .ok_or_else(|| format!("{} is shorter than {end}", range.path.display()))?;
                    out.extend_from_slice(bytes);
                }
                other => return Err(format!("a one-shot segment cannot be rendered: {other:?}")),
            }
        }
        Ok(out)
    }
}
