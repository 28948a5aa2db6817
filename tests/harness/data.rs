//! Test data: deterministic bytes and the encodings the protocols need.

use base64::Engine;

/// One mebibyte.
pub const MIB: usize = 1024 * 1024;

/// Deterministic incompressible bytes (xorshift64 from `seed`).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Standard base64 (tus `Upload-Metadata` values, `Upload-Checksum` digests).
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The SHA-256 of `bytes` in lower-case hex, as Ferry reports digests.
pub fn sha_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A multipart form as `curl -F filedata=@name` builds it: one `filedata` part per
/// `(name, bytes)`, in order.
pub fn files_form<N: Into<String>>(
    files: impl IntoIterator<Item = (N, Vec<u8>)>,
) -> reqwest::multipart::Form {
    files
        .into_iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, bytes)| {
            form.part(
                "filedata",
                reqwest::multipart::Part::bytes(bytes).file_name(name.into()),
            )
        })
}

/// A `width`×`height` PNG of a smooth gradient, as a photo-like image for the
/// thumbnail jobs.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
