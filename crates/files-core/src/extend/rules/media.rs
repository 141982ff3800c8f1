//! Facts read from a media file's headers: how many images a GIF holds (from a prefix, or the
//! whole file fed in pieces), and how long a WAV lasts (from its first chunk headers).

/// Counts the images of a GIF fed to it in pieces, in constant memory: the walk reads block
/// headers and skips the data between them, so a prefix or a whole file, chunk by chunk, can
/// be fed. More than one image is an animation.
///
/// ```
/// use files_core::extend::rules::GifImages;
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

    /// A GIF drawn block by block, and where each image separator is.
    #[derive(Debug, Clone)]
    pub(crate) struct DrawnGif {
        /// The file.
        pub(crate) bytes: Vec<u8>,
        /// The offset of every image separator (`0x2C`) that starts an image.
        pub(crate) separators: Vec<usize>,
    }

    /// A block between the screen descriptor and the trailer.
    #[derive(Debug, Clone)]
    enum Block {
        /// An image: its descriptor's 8 position and size bytes and its flags, the LZW code
        /// size, and its data sub-blocks.
        Image([u8; 8], u8, u8, Vec<Vec<u8>>),
        /// An extension: its label and sub-blocks.
        Extension(u8, Vec<Vec<u8>>),
        /// A stray byte between blocks, as lenient decoders skip.
        Stray(u8),
    }

    /// The size of a colour table from a descriptor's flags, as the GIF specification puts
    /// it: `3 · 2^(size + 1)` bytes when the table flag (bit 7) is set.
    fn table_len(flags: u8) -> usize {
        if flags & 0x80 == 0 {
            0
        } else {
            3 * (1 << ((flags & 0x07) + 1))
        }
    }

    fn sub_blocks() -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
        use proptest::prelude::*;
        let block = prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 1..40),
            1 => proptest::collection::vec(any::<u8>(), 255..=255),
        ];
        proptest::collection::vec(block, 0..4)
    }

    /// A GIF of random dimensions, colour tables, images, extensions and stray bytes, then
    /// the trailer and bytes after it (which are not part of the file).
    pub(crate) fn drawn_gif() -> impl proptest::strategy::Strategy<Value = DrawnGif> {
        use proptest::prelude::*;
        let block = prop_oneof![
            3 => (any::<[u8; 8]>(), any::<u8>(), 2u8..12, sub_blocks())
                .prop_map(|(d, flags, code, data)| Block::Image(d, flags, code, data)),
            2 => (any::<u8>(), sub_blocks()).prop_map(|(label, data)| Block::Extension(label, data)),
            1 => any::<u8>()
                .prop_filter("no block start", |b| ![0x2C, 0x21, 0x3B].contains(b))
                .prop_map(Block::Stray),
        ];
        (
            prop_oneof![Just(&b"GIF87a"[..]), Just(&b"GIF89a"[..])],
            any::<(u16, u16, u8, u8, u8)>(),
            proptest::collection::vec(block, 0..6),
            proptest::collection::vec(any::<u8>(), 0..8),
        )
            .prop_map(
                |(signature, (width, height, flags, background, aspect), blocks, after)| {
                    let mut bytes = signature.to_vec();
                    bytes.extend_from_slice(&width.to_le_bytes());
                    bytes.extend_from_slice(&height.to_le_bytes());
                    bytes.extend_from_slice(&[flags, background, aspect]);
                    bytes.extend((0..table_len(flags)).map(|i| (i * 7) as u8));
                    let mut separators = Vec::new();
                    let runs = |bytes: &mut Vec<u8>, data: &[Vec<u8>]| {
                        for run in data {
                            bytes.push(run.len() as u8);
                            bytes.extend_from_slice(run);
                        }
                        bytes.push(0);
                    };
                    for block in blocks {
                        match block {
                            Block::Image(descriptor, flags, code, data) => {
                                separators.push(bytes.len());
                                bytes.push(0x2C);
                                bytes.extend_from_slice(&descriptor);
                                bytes.push(flags);
                                bytes.extend((0..table_len(flags)).map(|i| (i * 13) as u8));
                                bytes.push(code);
                                runs(&mut bytes, &data);
                            }
                            Block::Extension(label, data) => {
                                bytes.extend_from_slice(&[0x21, label]);
                                runs(&mut bytes, &data);
                            }
                            Block::Stray(byte) => bytes.push(byte),
                        }
                    }
                    bytes.push(0x3B);
                    // After the trailer: not counted, even an image separator.
                    bytes.push(0x2C);
                    bytes.extend_from_slice(&after);
                    DrawnGif { bytes, separators }
                },
            )
    }

    /// A WAV drawn chunk by chunk, and what its headers say.
    #[derive(Debug, Clone)]
    pub(crate) struct DrawnWav {
        /// The file.
        pub(crate) bytes: Vec<u8>,
        /// The byte rate of a usable `fmt ` chunk before `data`: one of 16 bytes or more,
        /// with a rate above 0.
        pub(crate) byte_rate: Option<u32>,
        /// The size the `data` chunk's header claims.
        pub(crate) data_size: u32,
        /// Where the `data` chunk's body starts (just after its header).
        pub(crate) data_body: usize,
    }

    impl DrawnWav {
        /// How long it lasts: the data's size over the byte rate, the size bounded by what
        /// the file of `len` bytes holds after the `data` header.
        pub(crate) fn seconds(&self, len: Option<u64>) -> Option<f64> {
            let rate = self.byte_rate?;
            let mut data = u64::from(self.data_size);
            if let Some(len) = len {
                data = data.min(len - self.data_body as u64);
            }
            Some(data as f64 / f64::from(rate))
        }
    }

    /// Where a drawn WAV's `fmt ` chunk is, and what it holds.
    #[derive(Debug, Clone)]
    enum Fmt {
        /// Before `data`, `extra` bytes longer than 16, with this byte rate (0 is unusable).
        Before { extra: u8, rate: u32 },
        /// Before `data`, but shorter than 16 bytes: no byte rate.
        Short(u8),
        /// After `data`: too late.
        After(u32),
        /// None at all.
        Missing,
    }

    fn chunk(bytes: &mut Vec<u8>, id: &[u8], body: &[u8]) {
        bytes.extend_from_slice(id);
        bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
        bytes.extend_from_slice(body);
        if body.len() % 2 == 1 {
            bytes.push(0);
        }
    }

    fn fmt_body(len: usize, rate: u32) -> Vec<u8> {
        let mut body = vec![1, 0, 2, 0, 0x40, 0x1F, 0, 0];
        body.extend_from_slice(&rate.to_le_bytes());
        body.resize(len, 0);
        body
    }

    /// A WAV with other chunks (odd sizes padded) around a `fmt ` chunk that is usable,
    /// short, late or missing, then a `data` chunk whose header claims any size over the
    /// bytes that follow.
    pub(crate) fn drawn_wav() -> impl proptest::strategy::Strategy<Value = DrawnWav> {
        use proptest::prelude::*;
        let other = (
            prop_oneof![
                Just(*b"LIST"),
                Just(*b"fact"),
                Just(*b"JUNK"),
                Just(*b"bext"),
                Just(*b"cue "),
            ],
            proptest::collection::vec(any::<u8>(), 0..40),
        );
        let fmt = prop_oneof![
            4 => (0u8..24, any::<u32>()).prop_map(|(extra, rate)| Fmt::Before { extra, rate }),
            1 => (0u8..16).prop_map(Fmt::Short),
            1 => any::<u32>().prop_map(Fmt::After),
            1 => Just(Fmt::Missing),
        ];
        (
            proptest::collection::vec(other.clone(), 0..3),
            fmt,
            proptest::collection::vec(other, 0..3),
            prop_oneof![any::<u32>(), 0u32..100],
            0usize..100,
        )
            .prop_map(|(early, fmt, late, data_size, data_len)| {
                let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
                for (id, body) in &early {
                    chunk(&mut bytes, id, body);
                }
                let byte_rate = match fmt {
                    Fmt::Before { extra, rate } => {
                        chunk(
                            &mut bytes,
                            b"fmt ",
                            &fmt_body(16 + usize::from(extra), rate),
                        );
                        (rate > 0).then_some(rate)
                    }
                    Fmt::Short(len) => {
                        chunk(&mut bytes, b"fmt ", &fmt_body(usize::from(len), 8_000));
                        None
                    }
                    Fmt::After(_) | Fmt::Missing => None,
                };
                for (id, body) in &late {
                    chunk(&mut bytes, id, body);
                }
                bytes.extend_from_slice(b"data");
                bytes.extend_from_slice(&data_size.to_le_bytes());
                let data_body = bytes.len();
                bytes.extend((0..data_len).map(|i| i as u8));
                if let Fmt::After(rate) = fmt {
                    chunk(&mut bytes, b"fmt ", &fmt_body(16, rate));
                }
                let riff = (bytes.len() - 8) as u32;
                bytes[4..8].copy_from_slice(&riff.to_le_bytes());
                DrawnWav {
                    bytes,
                    byte_rate,
                    data_size,
                    data_body,
                }
            })
    }

    #[test]
    fn a_chunk_that_claims_more_than_the_file_ends_the_walk() {
        let mut w = b"RIFF\0\0\0\0WAVE".to_vec();
        w.extend_from_slice(b"JUNK");
        w.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut fmt = Vec::new();
        chunk(&mut fmt, b"fmt ", &fmt_body(16, 16_000));
        w.extend_from_slice(&fmt);
        w.extend_from_slice(b"data\x00\x7d\x00\x00");
        assert_eq!(wav_seconds(&w, None), None);
        // Without the lying chunk, the same file lasts 2 s.
        let mut honest = b"RIFF\0\0\0\0WAVE".to_vec();
        honest.extend_from_slice(&fmt);
        honest.extend_from_slice(b"data\x00\x7d\x00\x00");
        assert_eq!(wav_seconds(&honest, None), Some(2.0));
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

        /// A GIF of any drawn structure counts its images, whole or fed in pieces; cut
        /// anywhere, it counts the separators before the cut; nothing after the trailer
        /// counts.
        #[test]
        fn a_drawn_gif_counts_its_images_whole_and_cut(
            gif in drawn_gif(),
            cuts in proptest::collection::vec(1usize..64, 1..20),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let images = gif.separators.len();
            proptest::prop_assert_eq!(gif_image_count(&gif.bytes), images);
            let mut walk = GifImages::new();
            let mut rest = &gif.bytes[..];
            for n in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, tail) = rest.split_at((*n).min(rest.len()));
                walk.feed(piece);
                rest = tail;
            }
            proptest::prop_assert_eq!(walk.images(), images);
            let at = cut.index(gif.bytes.len() + 1);
            let before = gif.separators.iter().filter(|s| **s < at).count();
            proptest::prop_assert_eq!(gif_image_count(&gif.bytes[..at]), before);
        }

        /// A WAV of any drawn chunk layout lasts its data's size over its byte rate (the size
        /// bounded by the file's), and has no length without a usable `fmt ` before `data`;
        /// cut anywhere, it has its length once the `data` header is in, and none before.
        #[test]
        fn a_drawn_wav_lasts_what_its_headers_say_whole_and_cut(
            wav in drawn_wav(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let total = wav.bytes.len() as u64;
            let bounded = wav.seconds(Some(total));
            proptest::prop_assert_eq!(wav_seconds(&wav.bytes, Some(total)), bounded);
            proptest::prop_assert_eq!(wav_seconds(&wav.bytes, None), wav.seconds(None));
            let at = cut.index(wav.bytes.len() + 1);
            let expected = if at >= wav.data_body { bounded } else { None };
            proptest::prop_assert_eq!(wav_seconds(&wav.bytes[..at], Some(total)), expected);
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
