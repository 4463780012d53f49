//! The WAL's record format: a 9-byte header (payload length, CRC32 of kind + payload, kind) and
//! a payload. Series records carry a ref and its labels (in their remote-write 1.0 encoding, as
//! the series holds them; segments of earlier versions, with length-prefixed names and values,
//! are still read); sample records carry (ref, t, v) triples.
//!
//! Entry points: [`encode_series`], [`encode_samples`], [`decode`]. Decoding never panics on bad
//! input: a short buffer is [`Decoded::Incomplete`], a checksum or shape error is [`Decoded::Corrupt`].

use crate::labels::Labels;
use crate::series::Series;
use crate::series::rw1::{self, put_varint};

/// `len: u32 LE`, `crc: u32 LE`, `kind: u8`.
pub const HEADER: usize = 9;
/// A record longer than this is taken as corruption (a torn length field), not allocated.
pub const MAX_PAYLOAD: usize = 64 << 20;

/// Labels as label count, then length-prefixed names and values (written by earlier versions).
const KIND_SERIES_V1: u8 = 1;
const KIND_SAMPLES: u8 = 2;
/// Labels in their remote-write 1.0 encoding.
const KIND_SERIES: u8 = 3;

/// One sample as the WAL stores it: the series' ref in this segment, ms timestamp, value bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefSample {
    pub r#ref: u64,
    pub t: i64,
    pub v: f64,
}

#[derive(Debug, PartialEq)]
pub enum Record {
    /// Labels in their remote-write 1.0 encoding (checked well-formed).
    Series {
        r#ref: u64,
        rw1: Box<[u8]>,
    },
    Samples(Vec<RefSample>),
}

/// What [`decode`] found at the start of a buffer.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// A whole record and the bytes it took.
    Record(Record, usize),
    /// The buffer ends inside a record (a write in progress, or a torn tail after a crash).
    Incomplete,
    /// A checksum mismatch or a malformed payload.
    Corrupt,
}

/// Appends a series record.
pub fn encode_series(out: &mut Vec<u8>, r#ref: u64, labels: &Labels) {
    let mut encoded = Vec::new();
    rw1::encode_labels(labels, &mut encoded);
    encode_series_encoded(out, r#ref, &encoded);
}

/// Appends a series record for labels already in their remote-write 1.0 encoding.
pub fn encode_series_encoded(out: &mut Vec<u8>, r#ref: u64, encoded_labels: &[u8]) {
    let start = begin(out, KIND_SERIES);
    put_varint(out, r#ref);
    out.extend_from_slice(encoded_labels);
    finish(out, start);
}

/// Appends the series record of `series` (its id as the ref).
pub fn encode_series_of(out: &mut Vec<u8>, series: &Series) {
    let start = begin(out, KIND_SERIES);
    put_varint(out, series.id());
    series.write_rw1(out);
    finish(out, start);
}

/// Appends one sample record for `samples` (timestamps stored as deltas from the first).
pub fn encode_samples(out: &mut Vec<u8>, samples: impl ExactSizeIterator<Item = RefSample>) {
    let start = begin(out, KIND_SAMPLES);
    put_varint(out, samples.len() as u64);
    let mut base = None;
    for s in samples {
        let base = *base.get_or_insert_with(|| {
            put_varint(out, zigzag(s.t));
            s.t
        });
        put_varint(out, s.r#ref);
        put_varint(out, zigzag(s.t.wrapping_sub(base)));
        out.extend_from_slice(&s.v.to_bits().to_le_bytes());
    }
    finish(out, start);
}

fn begin(out: &mut Vec<u8>, kind: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER - 1]);
    out.push(kind);
    start
}

fn finish(out: &mut [u8], start: usize) {
    let len = (out.len() - start - HEADER) as u32;
    let crc = crc32fast::hash(&out[start + HEADER - 1..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// The payload length of the whole record at the start of `buf`, from its header (unchecked).
fn whole(buf: &[u8]) -> Result<usize, Decoded> {
    let header = buf.get(..HEADER).ok_or(Decoded::Incomplete)?;
    let len = u32::from_le_bytes(header[0..4].try_into().unwrap_or_default()) as usize;
    if len > MAX_PAYLOAD {
        return Err(Decoded::Corrupt);
    }
    if buf.len() < HEADER + len {
        return Err(Decoded::Incomplete);
    }
    Ok(len)
}

/// Whether the record at the start of `buf` is a sample record, and its length, without checking
/// or decoding it; `None` if `buf` does not hold all of it (or its length is out of bounds).
pub fn peek(buf: &[u8]) -> Option<(bool, usize)> {
    whole(buf).ok().map(|len| (buf[HEADER - 1] == KIND_SAMPLES, HEADER + len))
}

/// Decodes the record at the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded {
    let len = match whole(buf) {
        Ok(len) => len,
        Err(d) => return d,
    };
    let crc = u32::from_le_bytes(buf[4..8].try_into().unwrap_or_default());
    let body = &buf[HEADER - 1..HEADER + len];
    if crc32fast::hash(body) != crc {
        return Decoded::Corrupt;
    }
    let mut p = Payload(&body[1..]);
    let record = match body[0] {
        KIND_SERIES => p.series(),
        KIND_SERIES_V1 => p.series_v1(),
        KIND_SAMPLES => p.samples(),
        _ => None,
    };
    match record {
        Some(r) if p.0.is_empty() => Decoded::Record(r, HEADER + len),
        _ => Decoded::Corrupt,
    }
}

/// A cursor over a payload; every read is bounds-checked.
struct Payload<'a>(&'a [u8]);

impl Payload<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for (i, &b) in self.0.iter().enumerate().take(10) {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.0 = &self.0[i + 1..];
                return Some(v);
            }
        }
        None
    }

    fn str(&mut self) -> Option<String> {
        let n = usize::try_from(self.varint()?).ok().filter(|n| *n <= self.0.len())?;
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }

    fn series(&mut self) -> Option<Record> {
        let r#ref = self.varint()?;
        let rw1 = std::mem::take(&mut self.0);
        rw1::well_formed(rw1).then(|| Record::Series { r#ref, rw1: rw1.into() })
    }

    fn series_v1(&mut self) -> Option<Record> {
        let r#ref = self.varint()?;
        let mut rw1 = Vec::new();
        rw1::encode_labels(&self.labels()?, &mut rw1);
        Some(Record::Series { r#ref, rw1: rw1.into() })
    }

    fn labels(&mut self) -> Option<Labels> {
        let n = self.varint()? as usize;
        let mut pairs = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            pairs.push((self.str()?, self.str()?));
        }
        Some(Labels::from_pairs(pairs))
    }

    fn samples(&mut self) -> Option<Record> {
        let n = self.varint()? as usize;
        let mut out = Vec::with_capacity(n.min(self.0.len() / 10 + 1));
        let base = if n > 0 { unzigzag(self.varint()?) } else { 0 };
        for _ in 0..n {
            let r#ref = self.varint()?;
            let t = base.wrapping_add(unzigzag(self.varint()?));
            let (v, rest) = self.0.split_first_chunk::<8>()?;
            self.0 = rest;
            out.push(RefSample { r#ref, t, v: f64::from_bits(u64::from_le_bytes(*v)) });
        }
        Some(Record::Samples(out))
    }
}

#[cfg(test)]
fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw1(labels: &Labels) -> Box<[u8]> {
        let mut out = Vec::new();
        rw1::encode_labels(labels, &mut out);
        out.into()
    }

    fn sample(r#ref: u64, t: i64, v: f64) -> RefSample {
        RefSample { r#ref, t, v }
    }

    #[test]
    fn records_round_trip() {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        let samples = [sample(7, 1_700_000_000_000, 1.5), sample(300, 1_699_999_999_000, f64::NAN), sample(1, -4, 0.0)];
        let mut buf = Vec::new();
        encode_series(&mut buf, 7, &labels);
        let first = buf.len();
        encode_samples(&mut buf, samples.iter().copied());
        let rw1 = rw1(&labels);
        assert_eq!(decode(&buf), Decoded::Record(Record::Series { r#ref: 7, rw1 }, first));
        let Decoded::Record(Record::Samples(got), n) = decode(&buf[first..]) else { panic!("samples") };
        assert_eq!(n, buf.len() - first);
        assert_eq!(got[0], samples[0]);
        assert_eq!((got[1].t, got[1].v.to_bits()), (samples[1].t, samples[1].v.to_bits()));
        assert_eq!(got[2], samples[2]);
    }

    #[test]
    fn series_records_of_earlier_versions_are_read() {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        let mut buf = Vec::new();
        let start = begin(&mut buf, KIND_SERIES_V1);
        put_varint(&mut buf, 9);
        put_varint(&mut buf, labels.len() as u64);
        for l in &labels {
            put_str(&mut buf, &l.name);
            put_str(&mut buf, &l.value);
        }
        finish(&mut buf, start);
        assert_eq!(decode(&buf), Decoded::Record(Record::Series { r#ref: 9, rw1: rw1(&labels) }, buf.len()));
    }

    #[test]
    fn a_series_record_with_malformed_labels_is_corrupt() {
        for bad in [&b"\x0a\x05\x0a\x01a\x12"[..], b"\x12\x00", b"\x0a\x05\x0a\x01a\x0a\x00"] {
            let mut buf = Vec::new();
            encode_series_encoded(&mut buf, 1, bad);
            assert_eq!(decode(&buf), Decoded::Corrupt, "{bad:?}");
        }
    }

    #[test]
    fn a_short_buffer_is_incomplete_and_a_flipped_bit_is_corrupt() {
        let mut buf = Vec::new();
        encode_samples(&mut buf, [sample(1, 10, 2.0)].into_iter());
        for cut in 0..buf.len() {
            assert_eq!(decode(&buf[..cut]), Decoded::Incomplete, "cut at {cut}");
        }
        for i in 4..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert_eq!(decode(&bad), Decoded::Corrupt, "bit flipped in byte {i}");
        }
        let mut huge = buf.clone();
        huge[3] = 0xff;
        assert_eq!(decode(&huge), Decoded::Corrupt);
    }
}
