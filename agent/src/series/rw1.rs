//! The labels of a series in their remote-write 1.0 encoding: repeated `TimeSeries.labels`
//! fields (`Label` messages). It is a series' storage format (each label pair is interned in
//! this form, see `series::pairs`), a WAL series record's payload, and the label bytes of a
//! remote-write 1.0 request, which copies them as they are.
//!
//! Entry points: [`encode_label`] / [`encode_labels`] write the form; [`label_messages`],
//! [`pairs`], [`well_formed`] and [`decode_labels`] read it. The protobuf wire pieces it is made
//! of ([`put_varint`], [`put_bytes`], [`varint_len`]) serve the request encoders and the WAL too.

// Safe code: `series` allows unsafe code for its layout only.
#![deny(unsafe_code)]

use crate::labels::Labels;

/// `WriteRequest.timeseries`, `TimeSeries.labels` and `Label.name` (field 1, length-delimited).
pub const TAG_1_LEN: u8 = 0x0a;
/// `TimeSeries.samples` and `Label.value` (field 2, length-delimited).
pub const TAG_2_LEN: u8 = 0x12;

/// Appends `labels` as repeated `TimeSeries.labels` fields.
pub fn encode_labels(labels: &Labels, out: &mut Vec<u8>) {
    for l in labels {
        encode_label(&l.name, &l.value, out);
    }
}

/// Appends one `TimeSeries.labels` field (a `Label` message).
#[inline]
pub fn encode_label(name: &str, value: &str, out: &mut Vec<u8>) {
    let inner = field_len(name.len()) + field_len(value.len());
    out.push(TAG_1_LEN);
    put_varint(out, inner as u64);
    put_bytes(out, TAG_1_LEN, name.as_bytes());
    put_bytes(out, TAG_2_LEN, value.as_bytes());
}

/// The `Label` messages (tag, length and fields) of labels in [`encode_labels`]' form, each
/// checked for well-formed tags and lengths (UTF-8 is not checked); `None` for a malformed one.
pub fn label_messages(mut rest: &[u8]) -> impl Iterator<Item = Option<&[u8]>> {
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let all = rest;
        let well_formed = field(rest).filter(|_| rest[0] == TAG_1_LEN).and_then(|(label, tail)| {
            let (_, after) = field(label).filter(|_| label[0] == TAG_1_LEN)?;
            field(after).filter(|(_, end)| after[0] == TAG_2_LEN && end.is_empty())?;
            Some(tail)
        });
        match well_formed {
            Some(tail) => {
                rest = tail;
                Some(Some(&all[..all.len() - tail.len()]))
            }
            None => {
                rest = &[];
                Some(None)
            }
        }
    })
}

/// The (name, value) pairs of labels in [`encode_labels`]' form; stops at the first malformed one.
pub fn pairs(mut rest: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    std::iter::from_fn(move || {
        let (label, tail) = field(rest)?;
        rest = tail;
        let (name, after) = field(label)?;
        Some((name, field(after)?.0))
    })
}

/// Whether `b` is well-formed [`encode_labels`] output (tags and lengths; UTF-8 is not checked).
pub fn well_formed(b: &[u8]) -> bool {
    label_messages(b).all(|m| m.is_some())
}

/// Decodes [`encode_labels`]' form strictly (tags, lengths, UTF-8, nothing left over).
pub fn decode_labels(mut rest: &[u8]) -> Option<Labels> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (label, tail) = field(rest).filter(|_| rest[0] == TAG_1_LEN)?;
        let (name, after) = field(label).filter(|_| label[0] == TAG_1_LEN)?;
        let (value, end) = field(after).filter(|_| after[0] == TAG_2_LEN)?;
        if !end.is_empty() {
            return None;
        }
        out.push((std::str::from_utf8(name).ok()?, std::str::from_utf8(value).ok()?));
        rest = tail;
    }
    Some(Labels::from_pairs(out))
}

/// Splits a length-delimited field (tag, varint length, bytes) off the front of `b`.
fn field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len = 0usize;
    for (i, &byte) in b.get(1..)?.iter().enumerate().take(5) {
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            let rest = &b[i + 2..];
            return (len <= rest.len()).then(|| rest.split_at(len));
        }
    }
    None
}

/// Bytes of a length-delimited field of `len` bytes, tag included.
#[inline]
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Appends a length-delimited field: `tag`, the length of `b` as a varint, `b`.
#[inline]
pub fn put_bytes(out: &mut Vec<u8>, tag: u8, b: &[u8]) {
    out.push(tag);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends `v` as a protobuf varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of `v` as a protobuf varint.
#[inline]
pub fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_messages_split_well_formed_labels_and_flag_the_first_bad_one() {
        let mut rw1 = Vec::new();
        encode_labels(&Labels::from_pairs([("a", "1"), ("bb", "2")]), &mut rw1);
        let messages: Vec<_> = label_messages(&rw1).collect();
        assert_eq!(messages, [Some(&b"\x0a\x06\x0a\x01a\x12\x011"[..]), Some(&b"\x0a\x07\x0a\x02bb\x12\x012"[..])]);
        assert!(well_formed(&rw1) && well_formed(b""));
        rw1.push(0x0a);
        assert_eq!(label_messages(&rw1).last(), Some(None));
        assert!(!well_formed(&rw1));
        assert!(!well_formed(b"\x12\x06\x0a\x01a\x12\x011"), "wrong tag");
    }

    #[test]
    fn varint_lengths_match_encoding() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
    }
}
