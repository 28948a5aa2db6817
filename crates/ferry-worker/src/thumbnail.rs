//! Thumbnails within a memory budget per worker process.
//!
//! Decoding holds the whole picture in memory, and a small file can declare a huge one:
//! four 249 KB PNGs of 8000×8000 RGBA took a worker from 19 MB to 1.0 GB resident, past
//! the 512 Mi a Kubernetes worker may use, so it was killed, and killed again by the
//! retries. So before the bytes of an image are kept for a thumbnail, its header (in the
//! first [`HEADER_BYTES`] of the file) says what decoding it takes — the file itself, the
//! decoded picture, and what the format's decoder holds besides (see [`Header`]) — and
//! that much is reserved from `THUMBNAIL_MEMORY`, a semaphore counted in MiB that every
//! job of the process shares, until the decoder is done. The decoder's dimension limits
//! are the header's, a picture larger than the header promised is refused, and the
//! decoder's own allocations are limited to its share of the reservation (the PNG and
//! GIF decoders check that limit; for JPEG and WebP the share is estimated from the
//! header alone), so a file whose header lies fails to decode rather than take more.
//!
//! A job takes its reservation in one acquisition, while it holds no part of the budget,
//! and never adds to it, so jobs waiting for memory cannot deadlock each other; tokio's
//! semaphore is first in, first out, so a large image waits its turn but is not passed
//! for ever by small ones.
//!
//! An image that cannot be thumbnailed within the bound — its estimate is more than the
//! whole budget, it has more than `THUMBNAIL_MAX_PIXELS` pixels, its header is not in
//! its first [`HEADER_BYTES`], or it does not decode within its reservation — gets no
//! thumbnail, and its file is finished all the same: no error, so no retry.

use std::{io::Cursor, sync::Arc};

use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader,
    error::{LimitError, LimitErrorKind},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The image header must lie within this many bytes at the start of the file (it is the
/// most a finishing job holds before it has a reservation).
pub const HEADER_BYTES: u64 = MIB;
/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_SIDE: u32 = 320;
const MIB: u64 = 1024 * 1024;
/// What every decode takes whatever the picture's size: code tables, the thumbnail and
/// its JPEG.
const FIXED_BYTES: u64 = MIB;

/// The process's thumbnail settings and its decoding budget; clones share the budget.
#[derive(Clone, Debug)]
pub struct Thumbnails {
    budget: Arc<Semaphore>,
    budget_mib: u32,
    max_pixels: u64,
    max_bytes: u64,
}

/// Why an image gets no thumbnail.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// No PNG, JPEG, GIF or WebP header this module can read in the first bytes.
    #[error("no image header it can read in the first {HEADER_BYTES} bytes")]
    NoHeader,
    /// More pixels than `THUMBNAIL_MAX_PIXELS`.
    #[error("{pixels} pixels, more than THUMBNAIL_MAX_PIXELS ({max})")]
    TooManyPixels { pixels: u64, max: u64 },
    /// Decoding it would take more than the whole budget.
    #[error("decoding it would take {need_mib} MiB, more than THUMBNAIL_MEMORY ({budget_mib} MiB)")]
    OverBudget { need_mib: u64, budget_mib: u32 },
}

/// A thumbnail the budget can hold: the image's header and what decoding it takes.
#[derive(Clone, Debug)]
pub struct Plan {
    header: Header,
    file_bytes: u64,
    mib: u32,
}

impl Plan {
    /// MiB of the budget this thumbnail takes.
    pub fn mib(&self) -> u32 {
        self.mib
    }

    /// What the decoder may allocate besides the picture it returns.
    fn decoder_bytes(&self) -> u64 {
        let input = match self.header.format {
            // The JPEG decoder copies the file, and keeps copies of its metadata.
            ImageFormat::Jpeg => 2 * self.file_bytes,
            _ => 0,
        };
        self.header.working_bytes + input + FIXED_BYTES
    }
}

/// A plan's memory, taken from the budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    plan: Plan,
    _permit: OwnedSemaphorePermit,
}

impl Thumbnails {
    /// `memory` is rounded down to whole MiB (under 1 MiB: no thumbnails); images of
    /// more than `max_pixels` pixels or `max_bytes` bytes get none.
    pub fn new(memory: u64, max_pixels: u64, max_bytes: u64) -> Thumbnails {
        let budget_mib = u32::try_from(memory / MIB).unwrap_or(u32::MAX);
        Thumbnails {
            budget: Arc::new(Semaphore::new(budget_mib as usize)),
            budget_mib,
            max_pixels,
            max_bytes,
        }
    }

    /// Whether a file of `size` bytes whose bytes say it is `content_type` is one to
    /// make a thumbnail of.
    pub fn wanted(&self, content_type: &str, size: u64) -> bool {
        size <= self.max_bytes
            && self.budget_mib > 0
            && matches!(
                content_type,
                "image/png" | "image/jpeg" | "image/gif" | "image/webp"
            )
    }

    /// What a thumbnail of the image whose file (`file_bytes` long) starts with `head`
    /// takes, or why it gets none.
    pub fn plan(&self, head: &[u8], file_bytes: u64) -> Result<Plan, Skip> {
        let header = Header::read(head).ok_or(Skip::NoHeader)?;
        let pixels = u64::from(header.width) * u64::from(header.height);
        if pixels > self.max_pixels {
            return Err(Skip::TooManyPixels {
                pixels,
                max: self.max_pixels,
            });
        }
        let mut plan = Plan {
            header,
            file_bytes,
            mib: 0,
        };
        let need = file_bytes
            .saturating_add(plan.header.output_bytes)
            .saturating_add(plan.decoder_bytes());
        let need_mib = need.div_ceil(MIB);
        plan.mib = match u32::try_from(need_mib) {
            Ok(mib) if mib <= self.budget_mib => mib,
            _ => {
                return Err(Skip::OverBudget {
                    need_mib,
                    budget_mib: self.budget_mib,
                });
            }
        };
        Ok(plan)
    }

    /// Waits until the plan's memory is free in the budget, then takes it.
    pub async fn reserve(&self, plan: Plan) -> Reservation {
        let permit = self
            .budget
            .clone()
            .acquire_many_owned(plan.mib)
            .await
            .expect("the thumbnail budget is never closed");
        Reservation {
            plan,
            _permit: permit,
        }
    }
}

impl Reservation {
    /// Decodes `file` (the whole file the plan was made for) within the reservation and
    /// encodes a JPEG of at most 320×320. Blocking; the memory is given back when it
    /// returns.
    pub fn make(self, file: Vec<u8>) -> Result<Vec<u8>, ImageError> {
        let header = &self.plan.header;
        let mut reader = ImageReader::with_format(Cursor::new(file.as_slice()), header.format);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(header.width);
        limits.max_image_height = Some(header.height);
        limits.max_alloc = Some(self.plan.decoder_bytes());
        reader.limits(limits);
        let decoder = reader.into_decoder()?;
        if decoder.total_bytes() > header.output_bytes {
            return Err(ImageError::Limits(LimitError::from_kind(
                LimitErrorKind::InsufficientMemory,
            )));
        }
        let image = DynamicImage::from_decoder(decoder)?;
        drop(file);
        let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
        drop(image);
        let mut out = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        encoder.encode_image(&small)?;
        Ok(out)
    }
}

/// What an image's header says about decoding it. The estimates follow the decoders in
/// the `image` crate (png, zune-jpeg, gif, image-webp) and err on the large side.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Header {
    format: ImageFormat,
    width: u32,
    height: u32,
    /// The decoded picture, as the decoder returns it (at most).
    output_bytes: u64,
    /// What the decoder holds besides the picture and the file, at most.
    working_bytes: u64,
}

impl Header {
    /// The header of a PNG, JPEG, GIF or WebP file that starts with `head`.
    fn read(head: &[u8]) -> Option<Header> {
        let header = png(head)
            .or_else(|| jpeg(head))
            .or_else(|| gif(head))
            .or_else(|| webp(head))?;
        (header.width > 0 && header.height > 0).then_some(header)
    }
}

fn pixels(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height)
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// PNG: the signature, then IHDR (width, height, bit depth, colour type).
fn png(head: &[u8]) -> Option<Header> {
    if !head.starts_with(b"\x89PNG\r\n\x1a\n") || head.get(12..16)? != b"IHDR" {
        return None;
    }
    let (width, height) = (be32(head, 16)?, be32(head, 20)?);
    let (depth, colour) = (*head.get(24)?, *head.get(25)?);
    // Palettes and bit depths under 8 are expanded to 8 bits a sample, and a
    // transparent colour (a tRNS chunk, further on) to an alpha channel.
    let channels = match colour {
        0 | 4 => 2,
        2 | 3 | 6 => 4,
        _ => return None,
    };
    let sample = if depth == 16 { 2 } else { 1 };
    Some(Header {
        format: ImageFormat::Png,
        width,
        height,
        output_bytes: pixels(width, height) * channels * sample,
        // The row being unfiltered and the one before it (at most 8 bytes a pixel);
        // the inflater and the chunks it keeps are held to the allocation limit.
        working_bytes: 2 * (u64::from(width) * 8 + 1),
    })
}

/// GIF: the logical screen's size. The picture is that many RGBA pixels.
fn gif(head: &[u8]) -> Option<Header> {
    if !(head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a")) {
        return None;
    }
    let (width, height) = (le16(head, 6)?, le16(head, 8)?);
    let output_bytes = pixels(width, height) * 4;
    Some(Header {
        format: ImageFormat::Gif,
        width,
        height,
        output_bytes,
        // A first frame that does not fill the screen is decoded into a buffer of its
        // own first (the decoder holds it to the allocation limit).
        working_bytes: output_bytes,
    })
}

/// WebP: the size from the first chunk — a lossy or lossless bitstream, or the
/// extended header's canvas.
fn webp(head: &[u8]) -> Option<Header> {
    if !head.starts_with(b"RIFF") || head.get(8..12)? != b"WEBP" {
        return None;
    }
    let (width, height, alpha, animated) = match head.get(12..16)? {
        b"VP8 " => {
            if head.get(23..26)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            (
                le16(head, 26)? & 0x3fff,
                le16(head, 28)? & 0x3fff,
                false,
                false,
            )
        }
        b"VP8L" => {
            if *head.get(20)? != 0x2f {
                return None;
            }
            let bits = le32(head, 21)?;
            let width = 1 + (bits & 0x3fff);
            let height = 1 + ((bits >> 14) & 0x3fff);
            (width, height, (bits >> 28) & 1 == 1, false)
        }
        b"VP8X" => {
            let flags = *head.get(20)?;
            let width = 1 + le24(head, 24)?;
            let height = 1 + le24(head, 27)?;
            (width, height, flags & 0x10 != 0, flags & 0x02 != 0)
        }
        _ => return None,
    };
    let pixels = pixels(width, height);
    let channels = if alpha || animated { 4 } else { 3 };
    Some(Header {
        format: ImageFormat::WebP,
        width,
        height,
        output_bytes: pixels * channels,
        // Lossy: the YUV planes (1.5 bytes a pixel) and an alpha plane decoded as
        // lossless ARGB (5); lossless: the ARGB picture (4). An animation's first frame
        // is composed on a canvas of its own, from a frame buffer (8 more).
        working_bytes: pixels * if animated { 16 } else { 8 },
    })
}

/// JPEG: the frame header (SOF: size, components and their sampling) and how many
/// components the first scan (SOS) carries. A progressive JPEG, or one whose first scan
/// does not carry every component, is decoded from coefficient planes of the whole
/// picture (two bytes a coefficient); an interleaved sequential one a row of blocks at
/// a time.
fn jpeg(head: &[u8]) -> Option<Header> {
    if !head.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut frame = None;
    let first_scan = jpeg_segments(head, &mut frame);
    frame.map(|frame: JpegFrame| frame.header(first_scan))
}

/// Walks the segments up to the first scan, recording the frame header; returns how many
/// components the first scan carries (`None` if `head` ends before it).
fn jpeg_segments(head: &[u8], frame: &mut Option<JpegFrame>) -> Option<u8> {
    let mut at = 2;
    loop {
        if *head.get(at)? != 0xff {
            return None;
        }
        while *head.get(at)? == 0xff {
            at += 1; // fill bytes
        }
        let code = head[at];
        at += 1;
        if matches!(code, 0x01 | 0xd0..=0xd7) {
            continue; // no length, no content
        }
        let len = usize::try_from(be16(head, at)?).ok()?;
        let segment = head.get(at + 2..at + len.max(2))?;
        match code {
            0xc0..=0xcf if !matches!(code, 0xc4 | 0xc8 | 0xcc) => {
                *frame = JpegFrame::read(code, segment);
            }
            0xda => return segment.first().copied(),
            0xd9 => return None,
            _ => {}
        }
        at += len;
    }
}

#[derive(Debug)]
struct JpegFrame {
    progressive: bool,
    width: u32,
    height: u32,
    /// Horizontal and vertical sampling factor of each component.
    sampling: Vec<(u32, u32)>,
}

impl JpegFrame {
    fn read(code: u8, segment: &[u8]) -> Option<JpegFrame> {
        let height = be16(segment, 1)?;
        let width = be16(segment, 3)?;
        let count = usize::from(*segment.get(5)?);
        if !(1..=4).contains(&count) {
            return None;
        }
        let sampling = (0..count)
            .map(|i| {
                let factors = *segment.get(6 + 3 * i + 1)?;
                let (h, v) = (u32::from(factors >> 4), u32::from(factors & 0x0f));
                ((1..=4).contains(&h) && (1..=4).contains(&v)).then_some((h, v))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(JpegFrame {
            progressive: matches!(code, 0xc2 | 0xc6 | 0xca | 0xce),
            width,
            height,
            sampling,
        })
    }

    fn header(&self, first_scan: Option<u8>) -> Header {
        let components = self.sampling.len() as u64;
        let h_max = self.sampling.iter().map(|s| s.0).max().unwrap_or(1);
        let v_max = self.sampling.iter().map(|s| s.1).max().unwrap_or(1);
        let mcus_x = u64::from(self.width.div_ceil(8 * h_max));
        let mcus_y = u64::from(self.height.div_ceil(8 * v_max));
        let whole_picture = self.progressive || first_scan != Some(components as u8);
        let planes: u64 = if whole_picture {
            self.sampling
                .iter()
                .map(|&(h, v)| 128 * mcus_x * mcus_y * u64::from(h * v))
                .sum()
        } else {
            0
        };
        // A row of blocks per component: coefficients, samples and the upsampler's
        // rows, 16 bits each.
        let padded_width = mcus_x * 8 * u64::from(h_max);
        let rows = padded_width * 8 * u64::from(v_max) * 2 * 4 * components;
        // One component is grey; three are RGB; four (CMYK, YCCK) become RGB, counted
        // as four.
        let channels = match components {
            1 => 1,
            4 => 4,
            _ => 3,
        };
        Header {
            format: ImageFormat::Jpeg,
            width: self.width,
            height: self.height,
            output_bytes: pixels(self.width, self.height) * channels,
            working_bytes: planes + rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn rgba(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8, 200])
        }))
    }

    fn thumbnails() -> Thumbnails {
        Thumbnails::new(128 * MIB, 40_000_000, 20 * MIB)
    }

    #[test]
    fn the_header_of_every_format_gives_the_size_and_a_picture_at_least_as_large_as_decoded() {
        let rgb = DynamicImage::ImageRgb8(rgba(300, 200).to_rgb8());
        let files = [
            (encode(rgba(300, 200), ImageFormat::Png), ImageFormat::Png),
            (encode(rgb.clone(), ImageFormat::Png), ImageFormat::Png),
            (encode(rgb.clone(), ImageFormat::Jpeg), ImageFormat::Jpeg),
            (
                encode(DynamicImage::ImageLuma8(rgb.to_luma8()), ImageFormat::Jpeg),
                ImageFormat::Jpeg,
            ),
            (encode(rgba(300, 200), ImageFormat::Gif), ImageFormat::Gif),
            (encode(rgba(300, 200), ImageFormat::WebP), ImageFormat::WebP),
            (encode(rgb, ImageFormat::WebP), ImageFormat::WebP),
        ];
        for (file, format) in files {
            let header = Header::read(&file).unwrap();
            assert_eq!(header.format, format);
            assert_eq!((header.width, header.height), (300, 200), "{format:?}");
            let decoded = image::load_from_memory(&file).unwrap();
            assert!(
                header.output_bytes >= decoded.as_bytes().len() as u64,
                "{format:?}: {} < {}",
                header.output_bytes,
                decoded.as_bytes().len()
            );
        }
    }

    #[test]
    fn a_reservation_makes_a_thumbnail_of_every_format_within_its_limits() {
        let thumbnails = thumbnails();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::Gif,
            ImageFormat::WebP,
        ] {
            let picture = match format {
                ImageFormat::Jpeg => DynamicImage::ImageRgb8(rgba(600, 400).to_rgb8()),
                _ => rgba(600, 400),
            };
            let file = encode(picture, format);
            let plan = thumbnails.plan(&file, file.len() as u64).unwrap();
            let reservation = runtime.block_on(thumbnails.reserve(plan));
            let jpeg = reservation.make(file).unwrap();
            let thumbnail = image::load_from_memory(&jpeg).unwrap();
            assert_eq!(
                (thumbnail.width(), thumbnail.height()),
                (320, 213),
                "{format:?}"
            );
        }
    }

    /// The IHDR of a PNG of `side`×`side` RGBA pixels: the rest of the file does not
    /// matter.
    fn png_header(side: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&side.to_be_bytes());
        png.extend_from_slice(&side.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0]);
        png
    }

    #[test]
    fn an_image_over_the_budget_or_the_pixel_limit_or_without_a_header_gets_no_plan() {
        // 144,000,000 bytes of picture, the file, two rows and the fixed part.
        assert_eq!(
            thumbnails().plan(&png_header(6000), 140_000).unwrap_err(),
            Skip::OverBudget {
                need_mib: 139,
                budget_mib: 128
            }
        );
        assert_eq!(
            thumbnails().plan(&png_header(4800), 90_000).unwrap().mib(),
            90
        );
        assert_eq!(
            thumbnails().plan(&png_header(8000), 249_000).unwrap_err(),
            Skip::TooManyPixels {
                pixels: 64_000_000,
                max: 40_000_000
            }
        );
        assert_eq!(
            thumbnails()
                .plan(b"GIF89a\xff\xff\xff\xff", 1000)
                .unwrap_err(),
            Skip::TooManyPixels {
                pixels: 65535 * 65535,
                max: 40_000_000
            }
        );
        assert_eq!(
            thumbnails().plan(b"not an image", 12).unwrap_err(),
            Skip::NoHeader
        );
        let off = Thumbnails::new(MIB - 1, 40_000_000, 20 * MIB);
        assert!(!off.wanted("image/png", 100));
        assert!(thumbnails().wanted("image/png", 20 * MIB));
        assert!(!thumbnails().wanted("image/png", 20 * MIB + 1));
        assert!(!thumbnails().wanted("image/svg+xml", 100));
    }

    #[test]
    fn a_progressive_jpeg_reserves_its_coefficient_planes_and_a_sequential_one_does_not() {
        let rgb = DynamicImage::ImageRgb8(rgba(1600, 1200).to_rgb8());
        let sequential = encode(rgb, ImageFormat::Jpeg);
        let at = sequential
            .windows(2)
            .position(|w| w == [0xff, 0xc0])
            .expect("a baseline frame header");
        let mut progressive = sequential.clone();
        progressive[at + 1] = 0xc2;
        let sequential = Header::read(&sequential).unwrap();
        let progressive = Header::read(&progressive).unwrap();
        assert_eq!(sequential.output_bytes, 1600 * 1200 * 3);
        assert!(sequential.working_bytes < MIB, "{sequential:?}");
        // Three components: at least two bytes per coefficient of each.
        assert!(
            progressive.working_bytes >= 1600 * 1200 * 2 * 3 / 2,
            "{progressive:?}"
        );
    }

    #[test]
    fn reservations_are_taken_whole_and_in_turn_so_jobs_never_deadlock() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            // Four jobs that each need three quarters of a 16 MiB budget.
            let thumbnails = Thumbnails::new(16 * MIB, 40_000_000, 20 * MIB);
            let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let jobs: Vec<_> = (0..4)
                .map(|_| {
                    let (thumbnails, running, most) =
                        (thumbnails.clone(), running.clone(), most.clone());
                    tokio::spawn(async move {
                        let plan = Plan {
                            header: Header {
                                format: ImageFormat::Png,
                                width: 1,
                                height: 1,
                                output_bytes: 0,
                                working_bytes: 0,
                            },
                            file_bytes: 0,
                            mib: 12,
                        };
                        let _reservation = thumbnails.reserve(plan).await;
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        running.fetch_sub(1, SeqCst);
                    })
                })
                .collect();
            tokio::time::timeout(std::time::Duration::from_secs(10), async {
                for job in jobs {
                    job.await.unwrap();
                }
            })
            .await
            .expect("every job got its turn");
            assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
            assert_eq!(thumbnails.budget.available_permits(), 16);
        });
    }
}
