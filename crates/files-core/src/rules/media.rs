//! Facts read from a media file's headers: how many images a GIF holds (from a prefix, or the
//! whole file fed in pieces), and how long a WAV lasts (from its first chunk headers).

/// Counts the images of a GIF fed to it in pieces, in constant memory: the walk reads block
/// headers and skips the data between them, so a prefix or a whole file, chunk by chunk, can
/// be fed. More than one image is an animation.
///
/// ```
/// use files_core::rules::GifImages;
/// let mut gif = GifImages::new();
/// gif.feed(b"GIF89a\x01\x00\x01\x00\x00\x00\x00");
/// gif.feed(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0\x3b");
/// assert_eq!(gif.images(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct GifImages {
    state: GifState,
    /// Bytes to pass over before the next header byte.
    skip: u64,
    images: usize,
    /// Header bytes seen so far, and the screen descriptor's flags.
    header_seen: u8,
    screen_flags: u8,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum GifState {
    /// The 13 bytes of signature and logical screen descriptor.
    #[default]
    Header,
    /// A block's first byte: an image, an extension or the trailer.
    Block,
    /// An extension's label.
    ExtensionLabel,
    /// The 9 bytes after an image separator (the last holds the flags).
    ImageDescriptor(u8),
    /// A data sub-block's size byte (0 ends the run).
    SubBlocks,
    /// The trailer.
    Done,
}

/// The size of a colour table from a descriptor's flags.
fn color_table_len(flags: u8) -> u64 {
    if flags & 0x80 != 0 {
        3 << ((flags & 0x07) + 1)
    } else {
        0
    }
}

impl GifImages {
    /// A walk at the start of a file.
    pub fn new() -> Self {
        GifImages::default()
    }

    /// Walks on through `bytes`, the next piece of the file.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.state != GifState::Done {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len() as u64);
                bytes = &bytes[n as usize..];
                self.skip -= n;
                continue;
            }
            let byte = bytes[0];
            bytes = &bytes[1..];
            self.state = match self.state {
                GifState::Header => {
                    if self.header_seen == 10 {
                        self.screen_flags = byte;
                    }
                    self.header_seen += 1;
                    if self.header_seen < 13 {
                        GifState::Header
                    } else {
                        self.skip = color_table_len(self.screen_flags);
                        GifState::Block
                    }
                }
                GifState::Block => match byte {
                    0x2C => {
                        self.images += 1;
                        GifState::ImageDescriptor(0)
                    }
                    0x21 => GifState::ExtensionLabel,
                    0x3B => GifState::Done,
                    // A stray byte between blocks: lenient decoders skip it and go on, and
                    // so does the count, so no padding hides a second image.
                    _ => GifState::Block,
                },
                GifState::ExtensionLabel => GifState::SubBlocks,
                GifState::ImageDescriptor(8) => {
                    // The local colour table, then the LZW code size, then the data.
                    self.skip = color_table_len(byte) + 1;
                    GifState::SubBlocks
                }
                GifState::ImageDescriptor(n) => GifState::ImageDescriptor(n + 1),
                GifState::SubBlocks if byte == 0 => GifState::Block,
                GifState::SubBlocks => {
                    self.skip = u64::from(byte);
                    GifState::SubBlocks
                }
                GifState::Done => GifState::Done,
            };
        }
    }

    /// How many image separators the walk has met so far.
    pub fn images(&self) -> usize {
        self.images
    }
}

/// How many images the GIF in `prefix` holds, as far as the prefix shows.
pub(crate) fn gif_image_count(prefix: &[u8]) -> usize {
    let mut walk = GifImages::new();
    walk.feed(prefix);
    walk.images()
}

/// How long the WAV in `prefix` lasts, in seconds, from its `fmt ` and `data` chunk headers;
/// `len` is the whole file's size, which bounds a `data` size that claims more.
pub(crate) fn wav_seconds(prefix: &[u8], len: Option<u64>) -> Option<f64> {
    let u32_at = |at: usize| -> Option<u32> {
        let bytes = prefix.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    };
    if prefix.get(..4) != Some(b"RIFF") || prefix.get(8..12) != Some(b"WAVE") {
        return None;
    }
    let mut at = 12;
    let mut byte_rate = None;
    // `at` stays within the prefix's length: past it, `u32_at` fails and the walk ends.
    while let (Some(size), Some(id)) = (u32_at(at + 4), prefix.get(at..at + 4)) {
        let body = at + 8;
        match id {
            // The byte rate sits 8 bytes into a `fmt ` chunk of at least 16.
            b"fmt " if size >= 16 => byte_rate = u32_at(body + 8).filter(|r| *r > 0),
            b"data" => {
                let rate = f64::from(byte_rate?);
                let mut data = u64::from(size);
                if let Some(len) = len {
                    data = data.min(len.saturating_sub(body as u64));
                }
                return Some(data as f64 / rate);
            }
            _ => {}
        }
        // A hostile size cannot wrap around: past the prefix, the walk ends.
        let padded = u64::from(size) + u64::from(size & 1);
        match usize::try_from(padded)
            .ok()
            .and_then(|p| body.checked_add(p))
        {
            Some(next) if next < prefix.len() => at = next,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A GIF of `frames` 1×1 images, each with a graphic control extension.
    pub(crate) fn gif(frames: usize) -> Vec<u8> {
        let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        if frames > 1 {
            g.extend_from_slice(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00");
        }
        for _ in 0..frames {
            g.extend_from_slice(b"\x21\xf9\x04\x04\x0a\x00\x00\x00");
            g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        g.push(0x3B);
        g
    }

    /// A 16-bit mono WAV at 8 kHz lasting `seconds` (its data is silence).
    pub(crate) fn wav(seconds: u32) -> Vec<u8> {
        let rate: u32 = 8_000;
        let data_len = rate * 2 * seconds;
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF");
        w.extend_from_slice(&(36 + data_len).to_le_bytes());
        w.extend_from_slice(b"WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes()); // PCM
        w.extend_from_slice(&1u16.to_le_bytes()); // mono
        w.extend_from_slice(&rate.to_le_bytes());
        w.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
        w.extend_from_slice(&2u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        w.extend_from_slice(b"data");
        w.extend_from_slice(&data_len.to_le_bytes());
        w.resize(w.len() + data_len as usize, 0);
        w
    }

    #[test]
    fn gif_frames_are_counted() {
        assert_eq!(gif_image_count(&gif(1)), 1);
        assert_eq!(gif_image_count(&gif(3)), 3);
        let whole = gif(3);
        assert_eq!(gif_image_count(&whole[..60]), 1, "a cut prefix");
        assert_eq!(gif_image_count(b"GIF89a"), 0);
        // Fed a byte at a time, the walk counts the same.
        let mut walk = GifImages::new();
        for byte in &whole {
            walk.feed(std::slice::from_ref(byte));
        }
        assert_eq!(walk.images(), 3);
        // Padding between blocks does not hide the next image.
        let mut padded = gif(1);
        padded.pop();
        padded.extend_from_slice(b"\0\0\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0\x3b");
        assert_eq!(gif_image_count(&padded), 2);
    }

    #[test]
    fn wav_length_comes_from_its_header() {
        assert_eq!(wav_seconds(&wav(7), None), Some(7.0));
        let w = wav(12);
        assert_eq!(wav_seconds(&w[..64], Some(w.len() as u64)), Some(12.0));
        assert_eq!(wav_seconds(b"RIFF....WAVE", None), None);
        assert_eq!(wav_seconds(b"not a wav at all", None), None);
    }

    proptest::proptest! {
        /// Fed in pieces of any size, the walk counts what it counts when fed whole.
        #[test]
        fn a_gif_fed_in_pieces_counts_the_same(
            frames in 1usize..5,
            cuts in proptest::collection::vec(1usize..40, 1..20),
        ) {
            let whole = gif(frames);
            let mut walk = GifImages::new();
            let mut rest = &whole[..];
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, tail) = rest.split_at((*cut).min(rest.len()));
                walk.feed(piece);
                rest = tail;
            }
            proptest::prop_assert_eq!(walk.images(), frames);
        }

        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut gif = b"GIF89a".to_vec();
            gif.extend_from_slice(&bytes);
            let _ = gif_image_count(&gif);
            let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
            wav.extend_from_slice(&bytes);
            let _ = wav_seconds(&wav, Some(bytes.len() as u64));
        }
    }
}
