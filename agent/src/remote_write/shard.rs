//! One shard: takes chunks of samples from its queue, batches them into requests of up to
//! `max_samples_per_send` (or whatever arrived within `batch_send_deadline`), and sends one
//! request at a time, retrying until it is accepted, rejected or shutdown cancels it.
//!
//! Entry point: [`Shard::run`]. A shard never drops a sample without counting it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until};
use tracing::{debug, warn};

use super::config::QueueConfig;
use super::encode::RequestBuilder;
use super::retry::{Backoff, Outcome, classify, status_class};
use super::stats::{DropReason, RemoteMetrics};
use super::transport::{Response, Transport, TransportError};
use crate::series::Sample;

/// What a shard shares with the rest of its remote's queue.
pub struct RemoteCtx<T> {
    pub name: String,
    /// The remote's position in the config: its slot in every series.
    pub index: usize,
    pub queue: QueueConfig,
    pub transport: T,
    pub metrics: Arc<RemoteMetrics>,
}

/// How one batch ended.
enum Delivery {
    Sent,
    Rejected,
    Cancelled,
}

pub struct Shard<T> {
    pub ctx: Arc<RemoteCtx<T>>,
    pub rx: mpsc::UnboundedReceiver<Vec<Sample>>,
    /// Returned to as chunks are taken, bounding what waits in `rx`.
    pub permits: Arc<Semaphore>,
    /// Becomes true when the shutdown deadline has passed.
    pub cancel: watch::Receiver<bool>,
    pub req: RequestBuilder,
    /// When the batch being filled must go out.
    pub batch_deadline: Option<Instant>,
}

impl<T: Transport> Shard<T> {
    pub fn new(
        ctx: Arc<RemoteCtx<T>>,
        rx: mpsc::UnboundedReceiver<Vec<Sample>>,
        permits: Arc<Semaphore>,
        cancel: watch::Receiver<bool>,
    ) -> Self {
        Shard { ctx, rx, permits, cancel, req: RequestBuilder::default(), batch_deadline: None }
    }

    /// Runs until the queue is closed and everything in it is sent, rejected or (after the
    /// shutdown deadline) dropped.
    pub async fn run(mut self) {
        loop {
            let deadline = self.batch_deadline;
            tokio::select! {
                biased;
                chunk = self.rx.recv() => match chunk {
                    Some(chunk) => self.take(chunk).await,
                    None => break,
                },
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => self.flush().await,
            }
        }
        self.flush().await;
    }

    async fn take(&mut self, chunk: Vec<Sample>) {
        let n = chunk.len();
        for s in chunk {
            // The queue only routes series whose slot is filled and kept.
            let Some(Some(Some(labels))) = s.series.per_remote.get(self.ctx.index).map(|slot| slot.get()) else {
                continue;
            };
            if self.req.is_empty() {
                self.batch_deadline = Some(Instant::now() + self.ctx.queue.batch_send_deadline);
            }
            self.req.push(labels, s.t, s.v);
            if self.req.len() >= self.ctx.queue.max_samples_per_send {
                self.flush().await;
            }
        }
        self.permits.add_permits(n);
    }

    async fn flush(&mut self) {
        if self.req.is_empty() {
            return;
        }
        let (n, highest) = (self.req.len(), self.req.highest_timestamp());
        let body = self.req.finish();
        self.batch_deadline = None;
        let len = body.len();
        let delivery = self.deliver(body, n).await;
        let m = &self.ctx.metrics;
        match delivery {
            Delivery::Sent => m.accepted(n, len, highest),
            Delivery::Rejected => m.dropped(DropReason::Http4xx).add(n as u64),
            Delivery::Cancelled => m.dropped(DropReason::Shutdown).add(n as u64),
        }
        m.queue.add(-(n as f64));
    }

    /// Sends one batch until it is accepted, rejected or cancelled.
    async fn deliver(&mut self, body: Bytes, n: usize) -> Delivery {
        let (ctx, cancel) = (&self.ctx, &mut self.cancel);
        let mut backoff = Backoff::new(ctx.queue.min_backoff, ctx.queue.max_backoff);
        loop {
            if *cancel.borrow() {
                return Delivery::Cancelled;
            }
            let result = tokio::select! {
                r = ctx.transport.send(body.clone()) => r,
                () = cancelled(cancel) => return Delivery::Cancelled,
            };
            ctx.metrics.request(status_class(&result));
            let retry_after = match classify(&result) {
                Outcome::Sent => return Delivery::Sent,
                Outcome::Reject { status } => {
                    let message = result.map(|r| r.message).unwrap_or_default();
                    warn!(remote = %ctx.name, status, samples = n, message, "batch rejected, dropped");
                    ctx.metrics.failed.add(n as u64);
                    return Delivery::Rejected;
                }
                Outcome::Retry { retry_after } => retry_after,
            };
            ctx.metrics.failed.add(n as u64);
            let wait = backoff.next_wait(retry_after);
            log_retry(&ctx.name, &result, wait);
            tokio::select! {
                () = sleep(wait) => {}
                () = cancelled(cancel) => return Delivery::Cancelled,
            }
            ctx.metrics.retried.add(n as u64);
        }
    }
}

fn log_retry(remote: &str, result: &Result<Response, TransportError>, wait: Duration) {
    match result {
        Ok(r) => warn!(remote, status = r.status, ?wait, message = %r.message, "batch failed, retrying"),
        Err(e) => warn!(remote, error = %e, ?wait, "batch failed, retrying"),
    }
}

/// Resolves once the shutdown deadline has passed (or the writer is gone).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        debug!("remote writer dropped without shutdown");
    }
}
