//! Small files of each format the providers' rules know, built in memory: valid ones, and
//! ones that break a rule (an animated GIF, a WAV too long, an HTML page under a video's
//! name).

/// A PNG signature and a little more.
pub fn png() -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend_from_slice(b"\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0");
    p
}

/// A JPEG start (SOI and a JFIF APP0 marker).
pub fn jpeg() -> Vec<u8> {
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec()
}

/// An MP4 `ftyp` box.
pub fn mp4() -> Vec<u8> {
    b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec()
}

/// A PDF header.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec()
}

/// A ZIP local file header, as every .docx, .xlsx and .pptx starts.
pub fn office_zip() -> Vec<u8> {
    b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml".to_vec()
}

/// An HTML error page, as a proxy answers instead of a file.
pub fn html_page() -> Vec<u8> {
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n".to_vec()
}

/// A GIF of `frames` 1×1 images (more than one is an animation).
pub fn gif(frames: usize) -> Vec<u8> {
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

/// A GIF of two images whose first holds `first_frame_bytes` of image data: an animation
/// that a short prefix shows as one image.
pub fn gif_with_a_large_first_frame(first_frame_bytes: usize) -> Vec<u8> {
    let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02");
    let mut left = first_frame_bytes;
    while left > 0 {
        let n = left.min(255);
        g.push(n as u8);
        g.resize(g.len() + n, 0x44);
        left -= n;
    }
    g.push(0);
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
    g.push(0x3B);
    g
}

/// A 16-bit mono WAV at 8 kHz lasting `seconds` (silence).
pub fn wav(seconds: u32) -> Vec<u8> {
    let rate: u32 = 8_000;
    let data_len = rate * 2 * seconds;
    let mut w = Vec::with_capacity(44 + data_len as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0");
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * 2).to_le_bytes());
    w.extend_from_slice(b"\x02\0\x10\0data");
    w.extend_from_slice(&data_len.to_le_bytes());
    w.resize(w.len() + data_len as usize, 0);
    w
}

/// JSON Lines of `lines` small requests.
pub fn jsonl(lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| {
            format!(
                "{{\"custom_id\":\"r{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}}\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}
