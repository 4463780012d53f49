//! Series and samples as they travel from the scrape loop to remote write.
//!
//! A [`Series`] is created once per new series (on a scrape-cache miss) and shared by `Arc`;
//! its process-unique id is the series' ref in the WAL, where each remote resolves its labels
//! once per series. [`Batch`] is what crosses channels.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::labels::Labels;

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
    pub labels: Labels,
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
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Series { id, labels })
    }
}

/// Where scrape loops hand their batches: remote write (and later the WAL). Awaiting gives
/// back-pressure.
pub trait Appender: Send + Sync + 'static {
    fn append(&self, batch: Batch) -> impl std::future::Future<Output = ()> + Send;
}
