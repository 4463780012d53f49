//! Remote write 1.0: batches samples per remote, encodes protobuf + snappy, sends with shards,
//! retries retryable failures with backoff and counts every drop.
//!
//! Entry points: [`RemoteWriteConfig::parse`] for one `remote_write:` entry; [`RemoteWriter`]
//! runs one queue per entry and takes [`Batch`]es from the scrape loops. The path of a sample:
//! [`queue`] (series labels encoded once per remote, routed by series id) → [`shard`] (batching,
//! [`encode`], [`retry`]) → [`transport`] (the shared HTTP client).

pub mod config;
pub mod encode;
pub mod proto;
pub mod queue;
pub mod retry;
pub mod shard;
pub mod stats;
pub mod transport;

#[cfg(test)]
mod tests;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{error, warn};

pub use config::{QueueConfig, RemoteWriteConfig, default_name};
pub use transport::{HttpTransport, Response, Transport, TransportError};

use crate::labels::Labels;
use crate::series::Batch;
use queue::Queue;

/// The running queues, one per remote, in config order (the index is the series' slot).
pub struct RemoteWriter {
    queues: Vec<Queue>,
    shards: JoinSet<()>,
    cancel: watch::Sender<bool>,
}

impl RemoteWriter {
    /// Starts one queue per config. `external_labels` are added to every series before write
    /// relabelling (a series' own label wins over an external one of the same name).
    /// Must be called inside a tokio runtime.
    pub fn start(configs: &[RemoteWriteConfig], external_labels: Labels) -> RemoteWriter {
        RemoteWriter::start_with(configs, external_labels, HttpTransport::new)
    }

    /// [`start`](Self::start) with the transports made by `transport` (tests use a fake one).
    pub fn start_with<T: Transport>(
        configs: &[RemoteWriteConfig],
        external_labels: Labels,
        mut transport: impl FnMut(&RemoteWriteConfig) -> T,
    ) -> RemoteWriter {
        let (cancel, cancel_rx) = watch::channel(false);
        let mut shards = JoinSet::new();
        let queues = configs
            .iter()
            .enumerate()
            .map(|(i, cfg)| {
                let t = transport(cfg);
                Queue::start(i, cfg, external_labels.clone(), t, &cancel_rx, &mut shards)
            })
            .collect();
        RemoteWriter { queues, shards, cancel }
    }

    /// Queues a batch for every remote; waits when a queue is full (back-pressure).
    pub async fn append(&self, batch: Batch) {
        for q in &self.queues {
            q.append(&batch).await;
        }
    }

    /// Stops taking samples and sends what is queued, giving up after `deadline`: whatever is
    /// still unsent then is dropped and counted with reason `shutdown`.
    pub async fn shutdown(mut self, deadline: Duration) {
        self.queues.clear();
        let mut shards = std::mem::take(&mut self.shards);
        let drained = tokio::time::timeout(deadline, join_all(&mut shards)).await;
        if drained.is_err() {
            warn!(?deadline, "remote write shutdown deadline passed, dropping unsent samples");
            let _ = self.cancel.send(true);
            join_all(&mut shards).await;
        }
    }
}

impl Drop for RemoteWriter {
    /// Without [`shutdown`](Self::shutdown) the shards are left to finish on their own: they stop
    /// sending at once and count what they still hold as dropped (`shutdown`), never silently.
    fn drop(&mut self) {
        let _ = self.cancel.send(true);
        self.shards.detach_all();
    }
}

async fn join_all(set: &mut JoinSet<()>) {
    while let Some(r) = set.join_next().await {
        if let Err(e) = r {
            error!(error = %e, "remote write shard failed");
        }
    }
}

impl crate::series::Appender for RemoteWriter {
    async fn append(&self, batch: Batch) {
        RemoteWriter::append(self, batch).await
    }
}
