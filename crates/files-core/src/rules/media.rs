//! Facts read from a media file's header within a bounded prefix: how many images a GIF
//! holds, and how long a WAV lasts.

/// How many image descriptors the GIF in `prefix` holds, counting up to `stop_at` (the walk
/// ends there, at the trailer, or where the prefix or the data ends).
pub(crate) fn gif_image_count(prefix: &[u8], stop_at: usize) -> usize {
    let byte = |at: usize| prefix.get(at).copied();
    let table_len = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 0x07) + 1)
        } else {
            0
        }
    };
    let Some(screen) = byte(10) else { return 0 };
    let mut at = 13 + table_len(screen);
    let mut images = 0;
    // Skips a run of data sub-blocks from `at`; `None` if the prefix ends first.
    let skip_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let size = usize::from(byte(at)?);
            at += 1 + size;
            if size == 0 {
                return Some(at);
            }
        }
    };
    while let Some(block) = byte(at) {
        match block {
            0x2C => {
                images += 1;
                if images >= stop_at {
                    break;
                }
                let Some(packed) = byte(at + 9) else { break };
                // Descriptor, local colour table, LZW code size, then the image data.
                let Some(next) = skip_blocks(at + 10 + table_len(packed) + 1) else {
                    break;
                };
                at = next;
            }
            0x21 => {
                let Some(next) = skip_blocks(at + 2) else {
                    break;
                };
                at = next;
            }
            _ => break, // 0x3B is the trailer; anything else is not GIF data.
        }
    }
    images
}

/// How long the WAV in `prefix` lasts, in seconds, from its `fmt ` and `data` chunk headers;
/// `len` is the whole file's size, which bounds a `data` size that claims more.
pub(crate) fn wav_seconds(prefix: &[u8], len: Option<u64>) -> Option<f64> {
    let u32_at = |at: usize| -> Option<u32> {
        let bytes = prefix.get(at..at + 4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    };
    if prefix.get(..4) != Some(b"RIFF") || prefix.get(8..12) != Some(b"WAVE") {
        return None;
    }
    let mut at = 12;
    let mut byte_rate = None;
    while let (Some(id), Some(size)) = (prefix.get(at..at + 4), u32_at(at + 4)) {
        let body = at + 8;
        match id {
            b"fmt " => byte_rate = u32_at(body + 8).filter(|r| *r > 0),
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
        at = body + size as usize + (size as usize & 1);
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
        assert_eq!(gif_image_count(&gif(1), usize::MAX), 1);
        assert_eq!(gif_image_count(&gif(3), usize::MAX), 3);
        assert_eq!(gif_image_count(&gif(3), 2), 2);
        let cut = gif(3);
        assert_eq!(gif_image_count(&cut[..60], usize::MAX), 1, "a cut prefix");
        assert_eq!(gif_image_count(b"GIF89a", usize::MAX), 0);
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
        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut gif = b"GIF89a".to_vec();
            gif.extend_from_slice(&bytes);
            let _ = gif_image_count(&gif, usize::MAX);
            let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
            wav.extend_from_slice(&bytes);
            let _ = wav_seconds(&wav, Some(bytes.len() as u64));
        }
    }
}
