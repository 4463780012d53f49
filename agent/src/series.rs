//! Series and samples as they travel from the scrape loop to remote write.
//!
//! A [`Series`] is created once per new series (on a scrape-cache miss) and shared by `Arc`;
//! its process-unique id is the series' ref in the WAL, where each remote resolves its labels
//! once per series. [`Batch`] is what crosses channels.
//!
//! A series keeps its labels in one allocation, in their remote-write 1.0 encoding (see
//! [`encode::encode_labels`]): the label text plus six bytes a label, instead of a `Vec` of
//! `String` pairs (two allocations and 48 bytes of headers a label). The WAL's series record
//! copies the bytes as they are, and a remote that sends series unchanged shares them (see
//! [`RemoteSeries`](crate::remote_write::encode::RemoteSeries)), so a series' labels are held
//! once in the process. [`Series::labels`] decodes them for the rare reader
//! (staleness after a transform reload, `scrapelet scrape`, tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::labels::Labels;
use crate::remote_write::encode;

/// The bit pattern Prometheus uses to mark a series stale.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One series with its final (relabelled, sorted) labels.
#[derive(Debug)]
pub struct Series {
    /// Unique for the life of the process.
    pub id: u64,
    /// The labels in their remote-write 1.0 encoding (repeated `TimeSeries.labels`), in their own
    /// allocation so that a remote can share them without touching this `Series`' count.
    encoded: Arc<[u8]>,
    /// The WAL segment (by its process-unique token) whose series record for this series is
    /// written; 0: none. Kept here, next to the id the WAL reads anyway, instead of a set of
    /// ids in the WAL writer (a hash lookup and ~20 bytes a series).
    wal_token: AtomicU64,
}

impl Series {
    fn new(id: u64, labels: &Labels) -> Series {
        let mut encoded = Vec::new();
        encode::encode_labels(labels, &mut encoded);
        Series { id, encoded: encoded.into(), wal_token: AtomicU64::new(0) }
    }

    /// The encoded labels, shared.
    pub fn shared_labels(&self) -> Arc<[u8]> {
        self.encoded.clone()
    }

    /// The labels, decoded (allocates).
    pub fn labels(&self) -> Labels {
        encode::decode_labels(&self.encoded).unwrap_or_default()
    }

    /// The labels in their remote-write 1.0 encoding, as the WAL's series record carries them.
    pub fn encoded_labels(&self) -> &[u8] {
        &self.encoded
    }

    /// Marks the series recorded in the segment `token`; true if it was not yet (the caller
    /// writes its series record). Only the WAL writer calls this, under its lock.
    pub fn mark_recorded(&self, token: u64) -> bool {
        self.wal_token.swap(token, Ordering::Relaxed) != token
    }
}

/// One sample of one series.
#[derive(Clone, Debug)]
pub struct Sample {
    pub series: Arc<Series>,
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
    pub fn make(&self, labels: Labels) -> Arc<Series> {
        Arc::new(Series::new(self.next_id.fetch_add(1, Ordering::Relaxed), &labels))
    }
}

/// Where scrape loops hand their batches: remote write (and later the WAL). Awaiting gives
/// back-pressure.
pub trait Appender: Send + Sync + 'static {
    fn append(&self, batch: Batch) -> impl std::future::Future<Output = ()> + Send;
}
