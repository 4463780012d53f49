//! Segment files: naming (`wal-0000000001`), listing, and a [`Cursor`] that reads records from
//! one segment, possibly while it is still being written.
//!
//! A cursor only ever hands out whole, checksummed records; it reads at most up to the limit
//! it is given, so it never sees half of a write in progress.

use std::io::{self, Read, Seek, SeekFrom};
use std::time::SystemTime;

use cap_std::fs::{Dir, File};

use super::record::{self, Decoded, Record};

const PREFIX: &str = "wal-";
/// Bytes read from a segment per refill.
const READ_CHUNK: u64 = 1 << 20;

pub fn name(seg: u64) -> String {
    format!("{PREFIX}{seg:010}")
}

pub fn parse_name(name: &str) -> Option<u64> {
    name.strip_prefix(PREFIX).filter(|n| n.bytes().all(|b| b.is_ascii_digit())).and_then(|n| n.parse().ok())
}

/// One segment on disk.
#[derive(Clone, Debug)]
pub struct SegmentInfo {
    pub seg: u64,
    pub bytes: u64,
    pub modified: SystemTime,
}

/// The segments in `dir`, oldest first.
pub fn list(dir: &Dir) -> io::Result<Vec<SegmentInfo>> {
    let mut out = Vec::new();
    for entry in dir.entries()? {
        let entry = entry?;
        let Some(seg) = entry.file_name().to_str().and_then(parse_name) else { continue };
        let meta = entry.metadata()?;
        let modified = meta.modified().map(|t| t.into_std()).unwrap_or(SystemTime::UNIX_EPOCH);
        out.push(SegmentInfo { seg, bytes: meta.len(), modified });
    }
    out.sort_by_key(|s| s.seg);
    Ok(out)
}

/// What [`Cursor::next_record`] found.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// A record and the segment offset just after it.
    Record(Record, u64),
    /// No whole record before the read limit (yet).
    End,
    /// A checksum or format error at this offset; the rest of the segment cannot be trusted.
    Corrupt(u64),
}

/// Reads records from one segment, from offset 0.
pub struct Cursor {
    pub seg: u64,
    file: File,
    buf: Vec<u8>,
    /// Segment offset of `buf[0]`.
    base: u64,
    /// Bytes of `buf` already decoded.
    used: usize,
}

impl Cursor {
    pub fn open(dir: &Dir, seg: u64) -> io::Result<Cursor> {
        Cursor::open_at(dir, seg, 0)
    }

    /// A cursor whose first record starts at `off` (a record boundary: a reader's position).
    pub fn open_at(dir: &Dir, seg: u64, off: u64) -> io::Result<Cursor> {
        let file = dir.open(name(seg))?;
        Ok(Cursor { seg, file, buf: Vec::new(), base: off, used: 0 })
    }

    /// The segment offset of the next record.
    pub fn offset(&self) -> u64 {
        self.base + self.used as u64
    }

    /// Reads more of the file, up to segment offset `limit` (`u64::MAX`: to the end of file).
    /// Returns the number of bytes read.
    pub fn fill(&mut self, limit: u64) -> io::Result<usize> {
        self.buf.drain(..self.used);
        self.base += self.used as u64;
        self.used = 0;
        super::shrink_after_burst(&mut self.buf);
        let end = self.base + self.buf.len() as u64;
        let want = limit.saturating_sub(end).min(READ_CHUNK);
        if want == 0 {
            return Ok(0);
        }
        self.file.seek(SeekFrom::Start(end))?;
        let n = (&mut self.file).take(want).read_to_end(&mut self.buf)?;
        Ok(n)
    }

    /// The next whole record in what has been read.
    pub fn next_record(&mut self) -> Step {
        match record::decode(&self.buf[self.used..]) {
            Decoded::Record(r, n) => {
                self.used += n;
                Step::Record(r, self.offset())
            }
            Decoded::Incomplete => Step::End,
            Decoded::Corrupt => Step::Corrupt(self.offset()),
        }
    }

    /// Whether the next whole record in what has been read is a sample record, and the segment
    /// offset just after it, without checking or decoding it (see [`Cursor::skip`]).
    pub fn peek(&self) -> Option<(bool, u64)> {
        record::peek(&self.buf[self.used..]).map(|(samples, n)| (samples, self.offset() + n as u64))
    }

    /// Passes over the record [`Cursor::peek`] saw, which ends at `end`.
    pub fn skip(&mut self, end: u64) {
        self.used = (end - self.base) as usize;
    }

    /// Bytes read but not decoded: a torn tail once the file is known to be complete.
    pub fn leftover(&self) -> usize {
        self.buf.len() - self.used
    }
}

/// Whether segment `seg` holds a sample record after offset `from` (a record boundary). Reads
/// record headers only; a corrupt record ends the search.
pub fn has_samples_after(dir: &Dir, seg: u64, from: u64) -> io::Result<bool> {
    let mut c = Cursor::open_at(dir, seg, from)?;
    while c.fill(u64::MAX)? > 0 {
        while let Some((samples, end)) = c.peek() {
            if samples {
                return Ok(true);
            }
            c.skip(end);
        }
    }
    Ok(false)
}

/// Samples in segment `seg` in records ending after offset `from`: what a reader at `from` has
/// not read yet. Counting stops at a corrupt record.
pub fn count_samples(dir: &Dir, seg: u64, from: u64) -> io::Result<u64> {
    let mut c = Cursor::open(dir, seg)?;
    let mut n = 0;
    loop {
        let read = c.fill(u64::MAX)?;
        loop {
            match c.next_record() {
                Step::Record(Record::Samples(s), end) if end > from => n += s.len() as u64,
                Step::Record(..) => {}
                Step::End => break,
                Step::Corrupt(_) => return Ok(n),
            }
        }
        if read == 0 {
            return Ok(n);
        }
    }
}
