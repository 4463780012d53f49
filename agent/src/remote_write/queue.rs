//! One remote's queue: resolves each sample's series for this remote (cached), routes it to a
//! shard by series id so a series' samples stay in order, and waits when a shard is full.
//!
//! Entry point: [`Queue::start`]. Sharding is fixed at `max(min_shards, 1)` shards for the life of
//! the queue (no dynamic resharding yet). Each shard holds at most `capacity` queued samples plus
//! the request it is building, so memory is bounded and a slow backend slows `append` down.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::config::RemoteWriteConfig;
use super::encode::{SeriesRules, cached_labels};
use super::shard::{RemoteCtx, Shard};
use super::stats::{DropReason, RemoteMetrics};
use super::transport::Transport;
use crate::labels::Labels;
use crate::series::Sample;

/// The sending side of one shard.
struct ShardHandle {
    tx: mpsc::UnboundedSender<Vec<Sample>>,
    permits: Arc<Semaphore>,
}

/// The appending side of one remote's queue; dropping it lets the shards drain and stop.
pub struct Queue {
    index: usize,
    rules: SeriesRules,
    capacity: usize,
    shards: Vec<ShardHandle>,
    metrics: Arc<RemoteMetrics>,
}

impl Queue {
    /// Spawns the shards of remote number `index` into `tasks`.
    pub fn start<T: Transport>(
        index: usize,
        cfg: &RemoteWriteConfig,
        external_labels: Labels,
        transport: T,
        cancel: &watch::Receiver<bool>,
        tasks: &mut JoinSet<()>,
    ) -> Queue {
        let q = &cfg.queue_config;
        let metrics = Arc::new(RemoteMetrics::new(&cfg.name));
        let ctx = Arc::new(RemoteCtx {
            name: cfg.name.clone(),
            index,
            queue: q.clone(),
            transport,
            metrics: metrics.clone(),
        });
        let n = q.min_shards.max(1);
        let capacity = q.capacity.clamp(1, u32::MAX as usize);
        let shards = (0..n).map(|i| spawn_shard(&ctx, i, capacity, cancel, tasks)).collect();
        ctx.metrics.shards.set(n as f64);
        let rules = SeriesRules { external_labels, write_relabel_configs: cfg.write_relabel_configs.clone() };
        Queue { index, rules, capacity, shards, metrics }
    }

    /// Queues the samples this remote keeps; waits while a shard is full.
    pub async fn append(&self, batch: &[Sample]) {
        let n = self.shards.len();
        let mut parts: Vec<Vec<Sample>> = (0..n).map(|_| Vec::new()).collect();
        for s in batch {
            match cached_labels(&s.series, self.index, &self.rules) {
                Ok(Some(_)) => parts[(s.series.id % n as u64) as usize].push(s.clone()),
                Ok(None) => {} // dropped by write_relabel_configs, as configured
                Err(_) => self.metrics.dropped(DropReason::NoSlot).inc(),
            }
        }
        for (shard, part) in self.shards.iter().zip(parts) {
            self.send(shard, part).await;
        }
    }

    async fn send(&self, shard: &ShardHandle, mut part: Vec<Sample>) {
        while !part.is_empty() {
            let rest = part.split_off(part.len().min(self.capacity));
            let n = part.len();
            // Permits are never closed; an error would mean the shard is gone.
            let queued = match shard.permits.acquire_many(n as u32).await {
                Ok(p) => {
                    p.forget();
                    self.metrics.queue.add(n as f64);
                    shard.tx.send(part).is_ok()
                }
                Err(_) => false,
            };
            if !queued {
                self.metrics.dropped(DropReason::Shutdown).add(n as u64);
            }
            part = rest;
        }
    }
}

fn spawn_shard<T: Transport>(
    ctx: &Arc<RemoteCtx<T>>,
    i: usize,
    capacity: usize,
    cancel: &watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) -> ShardHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let permits = Arc::new(Semaphore::new(capacity));
    let shard = Shard::new(ctx.clone(), rx, permits.clone(), cancel.clone());
    let span = tracing::info_span!("remote_write_shard", remote = %ctx.name, shard = i);
    tasks.spawn(shard.run().instrument(span));
    ShardHandle { tx, permits }
}
