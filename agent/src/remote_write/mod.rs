//! Remote write: every appended batch goes to the [WAL](crate::wal) first; one queue per remote
//! reads it from that remote's checkpoint, encodes protobuf + snappy (1.0, or 2.0 with fallback),
//! sends with shards, retries retryable failures with backoff and counts every drop.
//!
//! Entry points: [`RemoteWriteConfig::parse`] for one `remote_write:` entry; [`RemoteWriter`]
//! runs one queue per entry and takes [`Batch`]es from the scrape loops. The path of a sample:
//! [`Wal::append`] → [`queue`] (WAL reader, series resolved once per segment, routed by ref) →
//! [`shard`] (batching, [`encode`] / [`encode_v2`], [`retry`]) → [`transport`] → [`ack`]
//! (checkpoint).

pub mod ack;
pub mod config;
pub mod encode;
pub mod encode_v2;
#[cfg(test)]
mod proto;
pub mod queue;
pub mod refs;
pub mod retry;
pub mod shard;
pub mod sharding;
pub mod stats;
pub mod transport;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{error, warn};

pub use config::{Protocol, QueueConfig, RemoteWriteConfig, default_name};
pub use transport::{HttpTransport, Response, Transport, TransportError};

use crate::labels::Labels;
use crate::series::Batch;
use crate::wal::{Wal, WalError};
use queue::{Queue, Signals};
use stats::{DropReason, RemoteMetrics};

/// The running queues, one per remote, in config order, all reading one WAL.
pub struct RemoteWriter {
    wal: Arc<Wal>,
    remotes: Vec<Arc<RemoteMetrics>>,
    /// Taken by [`shutdown`](Self::shutdown), which only needs a shared reference (scrape loops
    /// and the targets page may still hold the writer).
    tasks: std::sync::Mutex<JoinSet<()>>,
    maintenance: JoinHandle<()>,
    draining: watch::Sender<bool>,
    cancel: watch::Sender<bool>,
}

impl RemoteWriter {
    /// Starts one queue per config, each resuming from its checkpoint in `wal`. `external_labels`
    /// are added to every series before write relabelling (a series' own label wins).
    /// Must be called inside a tokio runtime.
    pub fn start(
        configs: &[RemoteWriteConfig],
        external_labels: Labels,
        wal: Arc<Wal>,
    ) -> Result<RemoteWriter, WalError> {
        RemoteWriter::start_with(configs, external_labels, wal, HttpTransport::new)
    }

    /// [`start`](Self::start) with the transports made by `transport` (tests use a fake one).
    pub fn start_with<T: Transport>(
        configs: &[RemoteWriteConfig],
        external_labels: Labels,
        wal: Arc<Wal>,
        mut transport: impl FnMut(&RemoteWriteConfig) -> T,
    ) -> Result<RemoteWriter, WalError> {
        let names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
        wal.forget_other_remotes(&names);
        let (draining, draining_rx) = watch::channel(false);
        let (cancel, cancel_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut remotes = Vec::new();
        for cfg in configs {
            let reader = wal.attach(&cfg.name)?;
            let signals = Signals { draining: draining_rx.clone(), cancel: cancel_rx.clone() };
            Queue::start(cfg, external_labels.clone(), transport(cfg), reader, wal.clone(), signals, &mut tasks);
            remotes.push(Arc::new(RemoteMetrics::new(&cfg.name)));
        }
        let maintenance = tokio::spawn(maintain(wal.clone()));
        let tasks = std::sync::Mutex::new(tasks);
        Ok(RemoteWriter { wal, remotes, tasks, maintenance, draining, cancel })
    }

    /// Writes the batch to the WAL (nothing to do without remotes). Never waits for a backend:
    /// the WAL holds the backlog, bounded by `max_wal_bytes`.
    pub async fn append(&self, batch: Batch) {
        if self.remotes.is_empty() {
            return;
        }
        let samples = batch.len();
        if let Err(e) = self.wal.append(batch) {
            error!(error = %e, samples, "WAL write failed; samples dropped");
            for m in &self.remotes {
                m.dropped(DropReason::WalWrite).add(samples as u64);
            }
        }
    }

    /// Stops taking samples and sends what the WAL holds, giving up after `deadline`: whatever is
    /// unsent then stays in the WAL and is sent after the next start.
    pub async fn shutdown(&self, deadline: Duration) {
        let _ = self.draining.send(true);
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        if tokio::time::timeout(deadline, join_all(&mut tasks)).await.is_err() {
            warn!(?deadline, "remote write shutdown deadline passed; unsent samples stay in the WAL");
            let _ = self.cancel.send(true);
            join_all(&mut tasks).await;
        }
        self.maintenance.abort();
        self.wal.maintain();
    }
}

impl Drop for RemoteWriter {
    /// Without [`shutdown`](Self::shutdown) the queues stop at once; what they held stays in the WAL.
    fn drop(&mut self) {
        let _ = self.cancel.send(true);
        self.tasks.get_mut().unwrap_or_else(|e| e.into_inner()).detach_all();
        self.maintenance.abort();
    }
}

/// The WAL's timer: fsync, deletion of delivered segments, limits, gauges; at once when an
/// append takes the WAL past its size limit.
async fn maintain(wal: Arc<Wal>) {
    let mut tick = tokio::time::interval(wal.config().fsync_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = wal.over_limit() => {}
        }
        // An fsync can take a while: not on a worker, where scrapes would wait for it.
        let wal = wal.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || wal.maintain()).await {
            error!(error = %e, "WAL maintenance failed");
        }
    }
}

async fn join_all(set: &mut JoinSet<()>) {
    while let Some(r) = set.join_next().await {
        if let Err(e) = r {
            error!(error = %e, "remote write task failed");
        }
    }
}

impl crate::series::Appender for RemoteWriter {
    async fn append(&self, batch: Batch) {
        RemoteWriter::append(self, batch).await
    }
}
