//! Byte layouts of the archives Ferry streams: a zip whose exact length is known
//! before the first byte (entries are stored, sizes come from the blob store, CRCs
//! follow each entry in a data descriptor; ZIP64 when anything passes 4 GiB), and
//! ustar headers with PAX records for long names and huge files.
//!
//! No I/O here: the web process streams these bytes live, the worker writes the same
//! bytes into the blob store, and both produce identical archives.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Padding after a tar entry of `size` bytes.
pub fn tar_padding(size: u64) -> usize {
    ((512 - (size % 512)) % 512) as usize
}

/// Two zero blocks: the end of a tar archive.
pub const TAR_END: [u8; 1024] = [0; 1024];

const ZIP64_LIMIT: u64 = 0xFFFF_FFFF;

/// The layout of a zip of `files`: everything but the CRCs is known up front.
#[derive(Clone, Debug)]
pub struct ZipPlan {
    entries: Vec<ZipEntry>,
    central_size: u64,
    central_offset: u64,
    zip64_end: bool,
    total: u64,
    dos_time: (u16, u16),
}

#[derive(Clone, Debug)]
struct ZipEntry {
    name: Vec<u8>,
    size: u64,
    offset: u64,
    zip64: bool,
}

impl ZipEntry {
    fn local_header_len(&self) -> u64 {
        30 + self.name.len() as u64 + if self.zip64 { 20 } else { 0 }
    }
    fn descriptor_len(&self) -> u64 {
        if self.zip64 { 24 } else { 16 }
    }
    fn central_len(&self) -> u64 {
        46 + self.name.len() as u64 + if self.zip64 { 28 } else { 0 }
    }
}

impl ZipPlan {
    /// Lays out a zip of `files` (name, size), dated `when`.
    pub fn new(files: &[(String, u64)], when: DateTime<Utc>) -> ZipPlan {
        let mut offset = 0u64;
        let mut entries = Vec::with_capacity(files.len());
        for (name, size) in files {
            let size = *size;
            let entry = ZipEntry {
                name: name.as_bytes().to_vec(),
                size,
                offset,
                zip64: size >= ZIP64_LIMIT || offset >= ZIP64_LIMIT,
            };
            offset += entry.local_header_len() + size + entry.descriptor_len();
            entries.push(entry);
        }
        let central_offset = offset;
        let central_size: u64 = entries.iter().map(ZipEntry::central_len).sum();
        let zip64_end = entries.iter().any(|e| e.zip64)
            || central_offset >= ZIP64_LIMIT
            || central_size >= ZIP64_LIMIT
            || entries.len() >= 0xFFFF;
        let total = central_offset + central_size + if zip64_end { 56 + 20 } else { 0 } + 22;
        ZipPlan {
            entries,
            central_size,
            central_offset,
            zip64_end,
            total,
            dos_time: dos_time(when),
        }
    }

    /// Exact length of the archive in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Number of entries.
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// The local header of entry `i` (to send before its bytes).
    pub fn local_header(&self, i: usize) -> Vec<u8> {
        let e = &self.entries[i];
        let mut h = Vec::with_capacity(e.local_header_len() as usize);
        put32(&mut h, 0x0403_4b50);
        put16(&mut h, if e.zip64 { 45 } else { 20 });
        put16(&mut h, 0x0808); // sizes and CRC in the data descriptor; UTF-8 names
        put16(&mut h, 0); // stored
        put16(&mut h, self.dos_time.0);
        put16(&mut h, self.dos_time.1);
        put32(&mut h, 0);
        let unknown = if e.zip64 { 0xFFFF_FFFF } else { 0 };
        put32(&mut h, unknown);
        put32(&mut h, unknown);
        put16(&mut h, e.name.len() as u16);
        put16(&mut h, if e.zip64 { 20 } else { 0 });
        h.extend_from_slice(&e.name);
        if e.zip64 {
            put16(&mut h, 0x0001);
            put16(&mut h, 16);
            put64(&mut h, 0);
            put64(&mut h, 0);
        }
        h
    }

    /// The data descriptor of entry `i` (to send after its bytes).
    pub fn descriptor(&self, i: usize, crc: u32) -> Vec<u8> {
        let e = &self.entries[i];
        let mut d = Vec::with_capacity(24);
        put32(&mut d, 0x0807_4b50);
        put32(&mut d, crc);
        if e.zip64 {
            put64(&mut d, e.size);
            put64(&mut d, e.size);
        } else {
            put32(&mut d, e.size as u32);
            put32(&mut d, e.size as u32);
        }
        d
    }

    /// The central directory and end records, given every entry's CRC-32.
    pub fn central_directory(&self, crcs: &[u32]) -> Vec<u8> {
        let mut c = Vec::with_capacity((self.central_size + 98) as usize);
        for (e, crc) in self.entries.iter().zip(crcs) {
            put32(&mut c, 0x0201_4b50);
            put16(&mut c, (3 << 8) | 45); // made by: unix, spec 4.5
            put16(&mut c, if e.zip64 { 45 } else { 20 });
            put16(&mut c, 0x0808);
            put16(&mut c, 0);
            put16(&mut c, self.dos_time.0);
            put16(&mut c, self.dos_time.1);
            put32(&mut c, *crc);
            let (size, offset) = if e.zip64 {
                (0xFFFF_FFFF, 0xFFFF_FFFF)
            } else {
                (e.size as u32, e.offset as u32)
            };
            put32(&mut c, size);
            put32(&mut c, size);
            put16(&mut c, e.name.len() as u16);
            put16(&mut c, if e.zip64 { 28 } else { 0 });
            put16(&mut c, 0); // comment
            put16(&mut c, 0); // disk
            put16(&mut c, 0); // internal attributes
            put32(&mut c, 0o100644 << 16); // regular file, rw-r--r--
            put32(&mut c, offset);
            c.extend_from_slice(&e.name);
            if e.zip64 {
                put16(&mut c, 0x0001);
                put16(&mut c, 24);
                put64(&mut c, e.size);
                put64(&mut c, e.size);
                put64(&mut c, e.offset);
            }
        }
        let count = self.entries.len() as u64;
        if self.zip64_end {
            let zip64_end_offset = self.central_offset + self.central_size;
            put32(&mut c, 0x0606_4b50);
            put64(&mut c, 44);
            put16(&mut c, (3 << 8) | 45);
            put16(&mut c, 45);
            put32(&mut c, 0);
            put32(&mut c, 0);
            put64(&mut c, count);
            put64(&mut c, count);
            put64(&mut c, self.central_size);
            put64(&mut c, self.central_offset);
            put32(&mut c, 0x0706_4b50);
            put32(&mut c, 0);
            put64(&mut c, zip64_end_offset);
            put32(&mut c, 1);
        }
        put32(&mut c, 0x0605_4b50);
        put16(&mut c, 0);
        put16(&mut c, 0);
        let short_count = if self.zip64_end { 0xFFFF } else { count as u16 };
        put16(&mut c, short_count);
        put16(&mut c, short_count);
        put32(
            &mut c,
            if self.zip64_end {
                0xFFFF_FFFF
            } else {
                self.central_size as u32
            },
        );
        put32(
            &mut c,
            if self.zip64_end {
                0xFFFF_FFFF
            } else {
                self.central_offset as u32
            },
        );
        put16(&mut c, 0);
        c
    }
}

/// The ustar header(s) for one regular file; a PAX header first when the name or
/// size does not fit ustar's fields.
pub fn tar_headers(name: &str, size: u64, mtime: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(1536);
    let long_name = name.len() > 100;
    let big = size > 0o77777777777;
    if long_name || big {
        let mut records = Vec::new();
        if long_name {
            records.extend(pax_record("path", name));
        }
        if big {
            records.extend(pax_record("size", &size.to_string()));
        }
        out.extend(ustar_header(
            b"PaxHeader",
            records.len() as u64,
            mtime,
            b'x',
        ));
        out.extend_from_slice(&records);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    let short: Vec<u8> = name.as_bytes().iter().copied().take(100).collect();
    out.extend(ustar_header(
        &short,
        if big { 0 } else { size },
        mtime,
        b'0',
    ));
    out
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len = len.to_string().len() + body.len();
    }
    format!("{len}{body}").into_bytes()
}

fn ustar_header(name: &[u8], size: u64, mtime: u64, kind: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(format!("{:011o}\0", mtime.min(0o77777777777)).as_bytes());
    h[148..156].copy_from_slice(b"        ");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn dos_time(when: DateTime<Utc>) -> (u16, u16) {
    let year = when.year().clamp(1980, 2107) as u16;
    let time =
        ((when.hour() as u16) << 11) | ((when.minute() as u16) << 5) | (when.second() as u16 / 2);
    let date = ((year - 1980) << 9) | ((when.month() as u16) << 5) | when.day() as u16;
    (time, date)
}

fn put16(v: &mut Vec<u8>, n: u16) {
    v.extend_from_slice(&n.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, n: u32) {
    v.extend_from_slice(&n.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, n: u64) {
    v.extend_from_slice(&n.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_count_their_own_length() {
        let r = pax_record("path", "x");
        assert_eq!(String::from_utf8(r.clone()).unwrap(), "9 path=x\n");
        assert_eq!(r.len(), 9);
        let long = "é".repeat(60);
        let r = pax_record("path", &long);
        let text = String::from_utf8(r.clone()).unwrap();
        let declared: usize = text.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(declared, r.len());
    }

    #[test]
    fn ustar_checksums_are_valid() {
        let h = ustar_header(b"a.txt", 5, 0, b'0');
        let stored = u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap(), 8).unwrap();
        let mut copy = h;
        copy[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, copy.iter().map(|b| u32::from(*b)).sum::<u32>());
    }
}
