//! A WAL segment's bytes, as a torn write or a corrupt disk leaves them: decoded record by
//! record the way a reader does, never past the end, and `peek` agreeing with `decode` on every
//! record's length. The first byte's low bit set frames the rest as one record with a correct
//! header and checksum (kind byte, payload), so the payload decoders are reached too.

use scrapelet::wal::record::{Decoded, decode, peek};

/// The record header: payload length (u32 LE), CRC32 of kind + payload (u32 LE), kind.
const HEADER: usize = 9;

pub fn wal_records(data: &[u8]) {
    let (mode, rest) = super::split_mode(data);
    let framed;
    let buf = if mode & 1 == 1 && !rest.is_empty() {
        let (kind, payload) = (rest[0], &rest[1..]);
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(&[kind]);
        crc.update(payload);
        record.extend_from_slice(&crc.finalize().to_le_bytes());
        record.push(kind);
        record.extend_from_slice(payload);
        framed = record;
        &framed[..]
    } else {
        rest
    };
    let mut at = 0;
    while at < buf.len() {
        match decode(&buf[at..]) {
            Decoded::Record(_, n) => {
                assert!(n >= HEADER && at + n <= buf.len(), "record of {n} bytes at {at} in {}", buf.len());
                assert_eq!(peek(&buf[at..]).map(|(_, len)| len), Some(n), "peek and decode disagree at {at}");
                at += n;
            }
            Decoded::Incomplete | Decoded::Corrupt => break,
        }
    }
}
