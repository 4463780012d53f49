//! One shard: takes chunks of samples from its queue, batches them into requests of up to
//! `max_samples_per_send` (or whatever arrived within `batch_send_deadline`), and sends one
//! request at a time, retrying until it is accepted, rejected or shutdown cancels it.
//!
//! Entry point: [`Shard::run`]. A chunk's WAL record part is acknowledged only once every sample
//! of it is in an accepted (or rejected and counted) request; a cancelled request acknowledges
//! nothing, so its samples stay in the WAL for the next start.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until};
use tracing::{debug, info, warn};

use super::ack::{RecordAck, Tracker};
use super::config::{Protocol, QueueConfig, RemoteWriteConfig};
use super::encode::{Compressed, QueuedSample, RequestBuilder};
use super::encode_v2;
use super::retry::{Backoff, Outcome, classify, status_class};
use super::sharding::Throughput;
use super::stats::{DropReason, RemoteMetrics};
use super::transport::{Response, Transport, TransportError};

/// What a shard shares with the rest of its remote's queue.
pub struct RemoteCtx<T> {
    pub name: String,
    pub queue: QueueConfig,
    pub transport: T,
    pub metrics: Arc<RemoteMetrics>,
    /// Configured for 2.0 and not (yet) fallen back to 1.0 (the pump reads it too).
    pub v2: Arc<AtomicBool>,
    /// What the shard count is computed from (the shards count requests into it).
    pub throughput: Throughput,
    /// Where shards hand back the record parts they finished.
    pub tracker: Arc<Tracker>,
}

impl<T> RemoteCtx<T> {
    pub fn new(cfg: &RemoteWriteConfig, transport: T, metrics: Arc<RemoteMetrics>, tracker: Arc<Tracker>) -> Self {
        let v2 = cfg.protocol == Protocol::V2;
        metrics.protocol.set(if v2 { 2.0 } else { 1.0 });
        RemoteCtx {
            name: cfg.name.clone(),
            queue: cfg.queue_config.clone(),
            transport,
            metrics,
            v2: Arc::new(AtomicBool::new(v2)),
            throughput: Throughput::default(),
            tracker,
        }
    }

    fn protocol(&self) -> Protocol {
        if self.v2.load(Ordering::Relaxed) { Protocol::V2 } else { Protocol::V1 }
    }

    /// Samples older than this (ms) are not sent (`sample_age_limit`); `i64::MIN` without a limit.
    pub fn oldest_to_send(&self) -> i64 {
        match self.queue.sample_age_limit {
            Some(limit) => crate::series::now_ms() - limit.as_millis() as i64,
            None => i64::MIN,
        }
    }

    fn fall_back(&self, why: &str) {
        if self.v2.swap(false, Ordering::Relaxed) {
            info!(remote = %self.name, why, "backend does not take remote write 2.0; using 1.0");
            self.metrics.protocol.set(1.0);
        }
    }
}

/// Samples of one WAL record for one shard.
pub struct Chunk {
    pub part: Part,
    pub ack: Arc<RecordAck>,
    /// Queue permits this chunk holds, returned when the shard takes it.
    pub permits: usize,
}

/// A chunk's samples: queued one by one (remote write 2.0, which needs the series to build its
/// symbols table), or already encoded as 1.0 and compressed (at most `max_samples_per_send`).
pub enum Part {
    Samples(Vec<QueuedSample>),
    Encoded(Compressed),
}

impl Part {
    pub fn len(&self) -> usize {
        match self {
            Part::Samples(s) => s.len(),
            Part::Encoded(e) => e.samples,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How one batch ended.
enum Delivery {
    Sent,
    Rejected,
    /// Every sample grew older than `sample_age_limit` while the request was retried.
    TooOld,
    Cancelled,
    /// A 2.0 request the backend cannot read: send it again as 1.0.
    Downgrade(&'static str),
}

pub struct Shard<T> {
    ctx: Arc<RemoteCtx<T>>,
    /// This shard's number (its series are those whose label hash gives it).
    index: usize,
    rx: mpsc::UnboundedReceiver<Chunk>,
    permits: Arc<Semaphore>,
    cancel: watch::Receiver<bool>,
    req: RequestBuilder,
    batch: Vec<QueuedSample>,
    /// Samples of encoded parts already in `req` (never together with a non-empty `batch`).
    encoded: usize,
    /// Record parts wholly inside `batch` or earlier requests, acknowledged with the next flush.
    acks: Vec<Arc<RecordAck>>,
    batch_deadline: Option<Instant>,
}

impl<T: Transport> Shard<T> {
    pub fn new(
        ctx: Arc<RemoteCtx<T>>,
        index: usize,
        rx: mpsc::UnboundedReceiver<Chunk>,
        permits: Arc<Semaphore>,
        cancel: watch::Receiver<bool>,
    ) -> Self {
        let (req, batch, acks) = (RequestBuilder::default(), Vec::new(), Vec::new());
        Shard { ctx, index, rx, permits, cancel, req, batch, encoded: 0, acks, batch_deadline: None }
    }

    /// Runs until the queue is closed and everything in it is sent or rejected, or cancelled.
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
            if *self.cancel.borrow() {
                return;
            }
        }
        self.flush().await;
    }

    async fn take(&mut self, chunk: Chunk) {
        self.permits.add_permits(chunk.permits);
        let max = self.ctx.queue.max_samples_per_send;
        match chunk.part {
            Part::Samples(samples) => {
                if self.encoded > 0 {
                    self.flush().await;
                }
                for s in samples {
                    self.start_batch();
                    self.batch.push(s);
                    if self.batch.len() >= max {
                        self.flush().await;
                    }
                }
            }
            Part::Encoded(piece) => {
                if !self.batch.is_empty() || (self.encoded > 0 && self.encoded + piece.samples > max) {
                    self.flush().await;
                }
                self.start_batch();
                self.encoded += piece.samples;
                self.req.push_encoded(piece);
                if self.encoded >= max {
                    self.flush().await;
                }
            }
        }
        self.acks.push(chunk.ack);
        if self.batch.is_empty() && self.encoded == 0 {
            self.flush().await; // the chunk's last sample went out with a full request
        }
    }

    /// Starts the batch deadline if the batch is empty.
    fn start_batch(&mut self) {
        if self.batch.is_empty() && self.encoded == 0 {
            self.batch_deadline = Some(Instant::now() + self.ctx.queue.batch_send_deadline);
        }
    }

    async fn flush(&mut self) {
        if self.batch.is_empty() && self.encoded == 0 {
            // Parts with no samples left (all sent in earlier requests) are done.
            self.ctx.tracker.complete(self.index, self.acks.drain(..));
            return;
        }
        self.batch_deadline = None;
        let n = self.batch.len() + self.encoded;
        let (delivery, len, highest) = if self.encoded > 0 {
            let highest = self.req.highest_timestamp();
            let body = self.req.finish();
            let len = body.len();
            (self.deliver(body, Protocol::V1, n, highest).await, len, highest)
        } else {
            let highest = self.batch.iter().map(|s| s.t).max().unwrap_or(i64::MIN);
            loop {
                let protocol = self.ctx.protocol();
                let body = self.encode(protocol);
                let len = body.len();
                match self.deliver(body, protocol, n, highest).await {
                    Delivery::Downgrade(why) => self.ctx.fall_back(why),
                    d => break (d, len, highest),
                }
            }
        };
        let m = &self.ctx.metrics;
        match delivery {
            Delivery::Sent => m.accepted(n, len, highest),
            Delivery::Rejected => m.dropped(DropReason::Http4xx).add(n as u64),
            Delivery::TooOld => m.dropped(DropReason::TooOld).add(n as u64),
            Delivery::Cancelled | Delivery::Downgrade(_) => return, // left in the WAL for the next start
        }
        m.queue.add(-(n as f64));
        self.batch.clear();
        self.encoded = 0;
        self.ctx.tracker.complete(self.index, self.acks.drain(..));
    }

    fn encode(&mut self, protocol: Protocol) -> Bytes {
        match protocol {
            Protocol::V1 => self.batch.iter().for_each(|s| self.req.push(s.series.series(), s.t, s.v)),
            Protocol::V2 => self.req.encode_with(self.batch.len(), |raw| encode_v2::encode_request(&self.batch, raw)),
        }
        self.req.finish()
    }

    /// Sends one batch until it is accepted, rejected or cancelled, or (with `sample_age_limit`)
    /// until its newest sample, at `highest` ms, is too old to send.
    async fn deliver(&mut self, body: Bytes, protocol: Protocol, n: usize, highest: i64) -> Delivery {
        let (ctx, cancel) = (&self.ctx, &mut self.cancel);
        let mut backoff = Backoff::new(ctx.queue.min_backoff, ctx.queue.max_backoff);
        let began = Instant::now();
        loop {
            if *cancel.borrow() {
                return Delivery::Cancelled;
            }
            if highest < ctx.oldest_to_send() {
                warn!(remote = %ctx.name, samples = n, "batch older than sample_age_limit, dropped");
                return Delivery::TooOld;
            }
            let result = tokio::select! {
                r = ctx.transport.send(body.clone(), protocol) => r,
                () = cancelled(cancel) => return Delivery::Cancelled,
            };
            ctx.metrics.request(status_class(&result));
            if let Some(why) = downgrade(protocol, &result) {
                return Delivery::Downgrade(why);
            }
            let retry_after = match classify(&result) {
                Outcome::Sent => {
                    ctx.throughput.sent(n, began.elapsed());
                    return Delivery::Sent;
                }
                Outcome::Reject { status } => {
                    let message = result.map(|r| r.message).unwrap_or_default();
                    warn!(remote = %ctx.name, status, samples = n, message, "batch rejected, dropped");
                    ctx.metrics.failed.add(n as u64);
                    ctx.throughput.sent(n, began.elapsed());
                    return Delivery::Rejected;
                }
                Outcome::Retry { retry_after } => retry_after,
            };
            ctx.metrics.failed.add(n as u64);
            let wait = backoff.next_wait(retry_after);
            ctx.throughput.retrying(wait);
            log_retry(&ctx.name, &result, wait);
            tokio::select! {
                () = sleep(wait) => {}
                () = cancelled(cancel) => return Delivery::Cancelled,
            }
            ctx.metrics.retried.add(n as u64);
        }
    }
}

/// Whether a 2.0 request must be sent again as 1.0: the backend said 415, or it accepted the
/// request without the `Samples-Written` header every 2.x receiver sends (a 1.x receiver reads a
/// 2.0 body as an empty request and answers 204, storing nothing).
fn downgrade(protocol: Protocol, result: &Result<Response, TransportError>) -> Option<&'static str> {
    let Ok(r) = result else { return None };
    match protocol {
        Protocol::V2 if r.status == 415 => Some("415 Unsupported Media Type"),
        Protocol::V2 if (200..300).contains(&r.status) && r.samples_written.is_none() => {
            Some("2xx without X-Prometheus-Remote-Write-Samples-Written")
        }
        _ => None,
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
