//! The packed part of the viewer's data: what grows with the run (a few
//! integers a record, the sentences, the sibling-set notes) in a form a
//! page of a million events can carry and the script can read quickly.
//!
//! Layout, before deflating: ten sections, each its byte length (an
//! unsigned LEB128 varint) then its bytes. First the eight columns of
//! [`Columns`], one varint a record (`dt` unsigned; the others zigzag, so
//! -1 costs one byte), then the sentences and the sibling-set notes as
//! JSON arrays. The whole is deflated as one zlib stream (RFC 1950, which
//! the browser's `DecompressionStream("deflate")` reads) and written in
//! base64, at the fastest level: on the README's first run (21 MB before
//! deflating, 617,518 records) level 6 took 2.4 s for 18% fewer bytes
//! than level 1's 0.4 s. About 14 bytes a record reach the page, where
//! the JSON columns and sentences took 48.

use super::{Columns, ViewerData};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;

/// Appends one JSON entry to a comma-separated list of them.
pub(super) fn append(list: &mut Vec<u8>, entry: &impl Serialize) {
    if !list.is_empty() {
        list.push(b',');
    }
    // Numbers and strings only: serialising into memory cannot fail.
    let _ = serde_json::to_writer(&mut *list, entry);
}

/// A comma-separated list of JSON entries, parsed back.
pub(super) fn entries<T: DeserializeOwned>(list: &[u8]) -> Vec<T> {
    let mut text = Vec::with_capacity(list.len() + 2);
    text.push(b'[');
    text.extend_from_slice(list);
    text.push(b']');
    serde_json::from_slice(&text).unwrap_or_default()
}

fn zigzag(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> u64 {
    u64::from((64 - v.max(1).leading_zeros()).div_ceil(7))
}

/// One section: its length, then its bytes, written through a small
/// buffer so a long column is never copied whole.
fn section(z: &mut impl Write, values: impl Iterator<Item = u64> + Clone) -> std::io::Result<()> {
    let mut buffer = Vec::with_capacity(1 << 16);
    varint(values.clone().map(varint_len).sum(), &mut buffer);
    for v in values {
        varint(v, &mut buffer);
        if buffer.len() >= (1 << 16) - 10 {
            z.write_all(&buffer)?;
            buffer.clear();
        }
    }
    z.write_all(&buffer)
}

fn text(z: &mut impl Write, list: &[u8]) -> std::io::Result<()> {
    let mut length = Vec::new();
    varint(list.len() as u64 + 2, &mut length);
    z.write_all(&length)?;
    z.write_all(b"[")?;
    z.write_all(list)?;
    z.write_all(b"]")
}

fn deflate(data: &ViewerData) -> std::io::Result<Vec<u8>> {
    let c: &Columns = &data.columns;
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    section(&mut z, c.dt.iter().copied())?;
    for column in [&c.kind, &c.a, &c.b, &c.x, &c.y, &c.key, &c.fate] {
        section(&mut z, column.iter().map(|&v| zigzag(v)))?;
    }
    text(&mut z, &data.sentences_json)?;
    text(&mut z, &data.stored_json)?;
    z.finish()
}

/// The packed part, in base64.
pub(super) fn pack(data: &ViewerData) -> String {
    // Deflating into memory cannot fail.
    crate::report::html::base64(&deflate(data).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_read_as_the_script_reads_them() {
        let mut out = Vec::new();
        for v in [0, 1, 127, 128, 300, 1 << 40] {
            varint(v, &mut out);
            assert_eq!(
                varint_len(v),
                if v < 128 {
                    1
                } else {
                    (64 - v.leading_zeros()).div_ceil(7) as u64
                }
            );
        }
        assert_eq!(&out[..5], [0, 1, 127, 0x80, 1]);
        assert_eq!(&out[5..7], [0xac, 0x02], "300");
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)], [0, 1, 2, 3]);
        assert_eq!(zigzag(i32::MIN), u64::from(u32::MAX));
    }

    #[test]
    fn entries_read_back_what_was_appended() {
        let mut list = Vec::new();
        append(&mut list, &(3usize, "a \"quoted\" </script>"));
        append(&mut list, &(9usize, "b"));
        let back: Vec<(usize, String)> = entries(&list);
        assert_eq!(
            back,
            [(3, "a \"quoted\" </script>".to_string()), (9, "b".into())]
        );
    }
}
