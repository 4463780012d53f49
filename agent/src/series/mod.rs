//! Series and samples as they travel from the scrape loop to remote write.
//!
//! A [`Series`] is created once per new series (on a scrape-cache miss) and shared: it is a
//! counted handle, cloning it is a reference count. Its process-unique id is the series' ref in
//! the WAL, where each remote resolves its labels once per series. [`Batch`] is what crosses
//! channels.
//!
//! A series is one allocation: its id, WAL bookkeeping and a list of pointers to its label
//! pairs, each interned process-wide in its remote-write 1.0 encoding ([`pairs`]). Encoding the
//! series for remote write or the WAL concatenates the pairs' bytes ([`Series::write_rw1`]);
//! [`Series::labels`] decodes them for the rare reader (staleness after a transform reload,
//! `scrapelet scrape`, tests).

pub mod pairs;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use triomphe::ThinArc;

use crate::labels::Labels;
use crate::remote_write::encode;
use pairs::{Interner, Pair};

/// The bit pattern Prometheus uses to mark a series stale.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One series with its final (relabelled, sorted) labels: a counted handle (8 bytes).
#[derive(Clone)]
pub struct Series(ThinArc<Head, Pair>);

/// 16 bytes: with the count and the slice's length, a series of 7 labels is 88 bytes.
struct Head {
    /// Unique for the life of the process (0: a remote's own series, never in the WAL).
    id: u64,
    /// The WAL segment (by its process-unique token) whose series record for this series is
    /// written; 0: none. Kept here, next to the id the WAL reads anyway, instead of a set of
    /// ids in the WAL writer (a hash lookup and ~20 bytes a series).
    wal_token: AtomicU32,
    /// Bytes of the labels' remote-write 1.0 encoding (the pairs' bytes together).
    rw1_len: u32,
}

impl Series {
    /// A series with `labels`, interned.
    pub fn new(id: u64, labels: &Labels) -> Series {
        let mut interner = Interner::lock();
        let mut buf = Vec::new();
        let pairs: Vec<Pair> = labels
            .iter()
            .map(|l| {
                buf.clear();
                encode::encode_label(&l.name, &l.value, &mut buf);
                interner.pair(&buf)
            })
            .collect();
        drop(interner);
        Series::from_pairs(id, pairs)
    }

    /// A series from labels in their remote-write 1.0 encoding (a WAL series record); `None` if
    /// they are malformed.
    pub fn from_rw1(id: u64, rw1: &[u8]) -> Option<Series> {
        let mut interner = Interner::lock();
        let mut pairs = Vec::new();
        for label in encode::label_messages(rw1) {
            pairs.push(interner.pair(label?));
        }
        drop(interner);
        Some(Series::from_pairs(id, pairs))
    }

    fn from_pairs(id: u64, pairs: Vec<Pair>) -> Series {
        let rw1_len = pairs.iter().map(|p| p.bytes().len()).sum::<usize>() as u32;
        let head = Head { id, wal_token: AtomicU32::new(0), rw1_len };
        Series(ThinArc::from_header_and_iter(head, pairs.into_iter()))
    }

    pub fn id(&self) -> u64 {
        self.0.header.header.id
    }

    /// The labels, decoded (allocates).
    pub fn labels(&self) -> Labels {
        encode::decode_labels(&self.to_rw1()).unwrap_or_default()
    }

    /// Bytes of the labels' remote-write 1.0 encoding.
    pub fn rw1_len(&self) -> usize {
        self.0.header.header.rw1_len as usize
    }

    /// Appends the labels in their remote-write 1.0 encoding (repeated `TimeSeries.labels`), as
    /// requests and the WAL's series records carry them.
    pub fn write_rw1(&self, out: &mut Vec<u8>) {
        for p in &self.0.slice {
            out.extend_from_slice(p.bytes());
        }
    }

    /// The labels' remote-write 1.0 encoding (allocates).
    pub fn to_rw1(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rw1_len());
        self.write_rw1(&mut out);
        out
    }

    /// The (name, value) pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.0.slice.iter().flat_map(|p| encode::pairs(p.bytes()))
    }

    /// Identifies the series' allocation.
    pub fn addr(&self) -> *const u8 {
        self.0.slice.as_ptr().cast()
    }

    /// Whether `a` and `b` are the same series (one allocation).
    pub fn ptr_eq(a: &Series, b: &Series) -> bool {
        a.addr() == b.addr()
    }

    /// Whether a handle other than this one exists.
    pub fn is_shared(&self) -> bool {
        ThinArc::strong_count(&self.0) > 1
    }

    /// Marks the series recorded in the segment `token`; true if it was not yet (the caller
    /// writes its series record). Only the WAL writer calls this, under its lock, so a load then
    /// a store is enough; the steady state (already recorded) only loads, leaving the line clean.
    pub fn mark_recorded(&self, token: u32) -> bool {
        let mark = &self.0.header.header.wal_token;
        if mark.load(Ordering::Relaxed) == token {
            return false;
        }
        mark.store(token, Ordering::Relaxed);
        true
    }
}

impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Series({}, {})", self.id(), self.labels())
    }
}

/// One sample of one series.
#[derive(Clone, Debug)]
pub struct Sample {
    pub series: Series,
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    pub v: f64,
}

pub type Batch = Vec<Sample>;

/// Makes series with process-unique ids.
#[derive(Debug)]
pub struct SeriesFactory {
    next_id: AtomicU64,
}

impl Default for SeriesFactory {
    fn default() -> Self {
        SeriesFactory { next_id: AtomicU64::new(1) }
    }
}

impl SeriesFactory {
    pub fn make(&self, labels: Labels) -> Series {
        Series::new(self.next_id.fetch_add(1, Ordering::Relaxed), &labels)
    }
}

/// Where scrape loops hand their batches: remote write (and later the WAL). Awaiting gives
/// back-pressure.
pub trait Appender: Send + Sync + 'static {
    fn append(&self, batch: Batch) -> impl std::future::Future<Output = ()> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_round_trips_its_labels_and_stays_small() {
        assert_eq!(std::mem::size_of::<Head>(), 16);
        assert_eq!(std::mem::size_of::<Option<Series>>(), 8);
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a"), ("x", "1")]);
        let s = Series::new(7, &labels);
        let mut rw1 = Vec::new();
        encode::encode_labels(&labels, &mut rw1);
        assert_eq!((s.id(), s.to_rw1(), s.rw1_len(), s.labels()), (7, rw1.clone(), rw1.len(), labels));
        let again = Series::from_rw1(8, &rw1).unwrap();
        assert_eq!(again.0.slice[1].bytes().as_ptr(), s.0.slice[1].bytes().as_ptr(), "pairs are shared");
        assert!(Series::from_rw1(9, &rw1[..rw1.len() - 1]).is_none());
        assert!(s.mark_recorded(3) && !s.mark_recorded(3) && s.mark_recorded(4));
    }
}
