//! One remote's self-metrics, resolved once when its queue starts so the send path only does
//! atomic adds.
//!
//! Entry point: [`RemoteMetrics::new`]. Label values are bounded: the remote's name, a drop reason
//! from [`DropReason`] and a status class.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::metrics::{self, Counter, Gauge};

/// Why samples were given up on (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The backend answered with a status that is not retried (4xx other than 429, 3xx).
    Http4xx,
    /// Still queued or being retried when the shutdown deadline passed.
    Shutdown,
    /// A WAL sample whose series record is missing (it was in a corrupt part of the segment).
    UnknownSeries,
    /// The WAL could not write the batch (disk full, I/O error).
    WalWrite,
    /// Older than `sample_age_limit` when read, or when its request was to be retried.
    TooOld,
}

impl DropReason {
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Http4xx => "http_4xx",
            DropReason::Shutdown => "shutdown",
            DropReason::UnknownSeries => "unknown_series",
            DropReason::WalWrite => "wal_write",
            DropReason::TooOld => "too_old",
        }
    }
}

pub struct RemoteMetrics {
    name: String,
    pub sent: Arc<Counter>,
    pub failed: Arc<Counter>,
    pub retried: Arc<Counter>,
    pub bytes: Arc<Counter>,
    pub queue: Arc<Gauge>,
    pub shards: Arc<Gauge>,
    /// The unrounded count the last shard update asked for.
    pub shards_desired: Arc<Gauge>,
    shards_min: Arc<Gauge>,
    shards_max: Arc<Gauge>,
    dropped_4xx: Arc<Counter>,
    dropped_shutdown: Arc<Counter>,
    dropped_unknown: Arc<Counter>,
    dropped_wal_write: Arc<Counter>,
    dropped_too_old: Arc<Counter>,
    /// Samples re-read after a restart (possible duplicates).
    pub replayed: Arc<Counter>,
    /// 1 or 2.
    pub protocol: Arc<Gauge>,
    highest_sent: Arc<Gauge>,
    lag: Arc<Gauge>,
    highest_sent_ms: AtomicI64,
}

impl RemoteMetrics {
    pub fn new(name: &str) -> Self {
        let m = metrics::get();
        let r = &[name];
        RemoteMetrics {
            name: name.to_string(),
            sent: m.rw_samples_sent.with(r),
            failed: m.rw_samples_failed.with(r),
            retried: m.rw_samples_retried.with(r),
            bytes: m.rw_bytes_sent.with(r),
            queue: m.rw_queue_samples.with(r),
            shards: m.rw_shards.with(r),
            shards_desired: m.rw_shards_desired.with(r),
            shards_min: m.rw_shards_min.with(r),
            shards_max: m.rw_shards_max.with(r),
            dropped_4xx: m.rw_samples_dropped.with(&[name, DropReason::Http4xx.label()]),
            dropped_shutdown: m.rw_samples_dropped.with(&[name, DropReason::Shutdown.label()]),
            dropped_unknown: m.rw_samples_dropped.with(&[name, DropReason::UnknownSeries.label()]),
            dropped_wal_write: m.rw_samples_dropped.with(&[name, DropReason::WalWrite.label()]),
            dropped_too_old: m.rw_samples_dropped.with(&[name, DropReason::TooOld.label()]),
            replayed: m.wal_replayed_samples.with(r),
            protocol: m.rw_protocol.with(r),
            highest_sent: m.rw_highest_sent_timestamp.with(r),
            lag: m.rw_highest_sent_lag.with(r),
            highest_sent_ms: AtomicI64::new(i64::MIN),
        }
    }

    pub fn dropped(&self, reason: DropReason) -> &Counter {
        match reason {
            DropReason::Http4xx => &self.dropped_4xx,
            DropReason::Shutdown => &self.dropped_shutdown,
            DropReason::UnknownSeries => &self.dropped_unknown,
            DropReason::WalWrite => &self.dropped_wal_write,
            DropReason::TooOld => &self.dropped_too_old,
        }
    }

    /// The configured shard bounds (`min_shards`, `max_shards`).
    pub fn shard_bounds(&self, min: usize, max: usize) {
        self.shards_min.set(min as f64);
        self.shards_max.set(max as f64);
    }

    /// The newest sample timestamp the backend accepted (ms), `i64::MIN` if none.
    pub fn highest_sent_ms(&self) -> i64 {
        self.highest_sent_ms.load(Ordering::Relaxed)
    }

    /// Sets the lag gauge: the newest appended timestamp minus the newest sent one (0 if none).
    pub fn set_lag(&self, newest_appended_ms: i64) {
        let sent = self.highest_sent_ms.load(Ordering::Relaxed);
        let lag = if newest_appended_ms == i64::MIN || sent == i64::MIN {
            0.0
        } else {
            (newest_appended_ms - sent).max(0) as f64 / 1000.0
        };
        self.lag.set(lag);
    }

    /// Counts one request by status class (`2xx`, `4xx`, `5xx`, `network`, ...).
    pub fn request(&self, class: &str) {
        metrics::get().rw_requests.with(&[&self.name, class]).inc();
    }

    /// A batch was accepted: its samples, compressed size and newest timestamp (ms).
    pub fn accepted(&self, samples: usize, bytes: usize, highest_ms: i64) {
        self.sent.add(samples as u64);
        self.bytes.add(bytes as u64);
        // Set from the shared maximum, so a slower shard cannot move the gauge back for long.
        if self.highest_sent_ms.fetch_max(highest_ms, Ordering::Relaxed) < highest_ms {
            self.highest_sent.set(self.highest_sent_ms.load(Ordering::Relaxed) as f64 / 1000.0);
        }
    }
}
