//! [`PartRange`]: one part's bytes of a file. A leaf: the Uploads API's failures name it.

/// One part: a byte range of the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PartRange {
    /// Where it starts in the file.
    pub offset: u64,
    /// How many bytes it holds.
    pub len: u64,
}

impl PartRange {
    /// The offset just past the part.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}
