//! One remote's queue: a pump that reads the WAL from the remote's checkpoint, resolves each
//! series for this remote once per segment (or, caught up and sending labels unchanged, takes the
//! batches the writer hands over: `wal::live`), and routes samples to shards by series ref (so a
//! series' samples stay in order), with one acknowledgement per WAL record part. Once the remote
//! speaks remote write 1.0 the pump encodes the samples itself, in pieces of at most
//! `max_samples_per_send`, so a series' label bytes are read once while they are at hand.
//!
//! Entry point: [`Queue::start`]. The pump runs between `min_shards` and `max_shards` shards,
//! reconsidering the count every 10 s as Prometheus does ([`sharding`](super::sharding)), and
//! adding shards sooner when it trails the writer by nearly what the hand-over holds (by less
//! before the first update); a series
//! always goes to the shard of its label hash, and resharding drains every shard before the new
//! ones start, so a series' samples reach the backend in order, across restarts too (replayed and
//! new samples of a series hash alike). Each shard holds at most `capacity` queued samples, and
//! never more than one request's worth, plus the request it is sending; when
//! shards are full the pump waits and the backlog stays in the WAL on disk, not in memory.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{Instrument, error, info, warn};

use super::ack::{RecordAck, Tracker};
use super::config::RemoteWriteConfig;
use super::encode::{Encoded, QueuedSample, RemoteSeries, SeriesRules, push_series_hashed};
use super::refs::RefMap;
use super::shard::{Chunk, Part, RemoteCtx, Shard};
use super::sharding::{EARLY_AFTER, UPDATE_INTERVAL};
use super::stats::{DropReason, RemoteMetrics};
use super::transport::Transport;
use crate::labels::Labels;
use crate::series::{Sample, Series};
use crate::wal::{AT_RISK, Event, FALLING_BEHIND, Reader, RefSample, Wal};

/// The sending side of one shard.
struct ShardHandle {
    tx: mpsc::UnboundedSender<Chunk>,
    permits: Arc<Semaphore>,
}

/// Signals from the writer to one remote's pump.
#[derive(Clone)]
pub struct Signals {
    /// True once no more samples will be appended: read to the head, then stop.
    pub draining: watch::Receiver<bool>,
    /// True when the shutdown deadline has passed: stop at once.
    pub cancel: watch::Receiver<bool>,
}

pub struct Queue;

impl Queue {
    /// Spawns the pump of one remote into `tasks`; the pump runs its own shards.
    pub fn start<T: Transport>(
        cfg: &RemoteWriteConfig,
        external_labels: Labels,
        transport: T,
        mut reader: Reader,
        wal: Arc<Wal>,
        signals: Signals,
        tasks: &mut JoinSet<()>,
    ) {
        let q = &cfg.queue_config;
        let metrics = Arc::new(RemoteMetrics::new(&cfg.name));
        let (min, max) = (q.min_shards.max(1), q.max_shards.max(q.min_shards).max(1));
        let tracker = Tracker::new(&cfg.name, wal.clone(), reader.position(), min);
        let ctx = Arc::new(RemoteCtx::new(cfg, transport, metrics.clone(), tracker));
        let max_read = q.max_samples_per_send.max(1);
        // At most one request's worth: more only holds memory (the shard takes it when its request
        // is answered and sends it at once, while the pump queues the next one); the backlog
        // belongs in the WAL. (Less, as Prometheus, makes requests wait out their deadline.)
        let capacity = q.capacity.clamp(1, max_read).min(u32::MAX as usize);
        metrics.shard_bounds(min, max);
        let shards = Shards::spawn(&ctx, min, capacity, &signals.cancel);
        let rules = SeriesRules { external_labels, write_relabel_configs: cfg.write_relabel_configs.clone() };
        if rules.is_identity() {
            reader.share_live(); // the labels it sends are the scrape side's own
        }
        let resume = reader.shards_acked().to_vec();
        let pump = Pump {
            resume,
            wal,
            reader: Arc::new(std::sync::Mutex::new(reader)),
            rules,
            series: RefMap::default(),
            shards,
            ctx,
            bounds: (min, max),
            next_update: Instant::now() + UPDATE_INTERVAL,
            next_early: Instant::now() + EARLY_AFTER,
            updated: false,
            capacity,
            max_read,
            bytes_per_sample: 0,
            metrics,
            signals,
        };
        let span = tracing::info_span!("remote_write_queue", remote = %cfg.name);
        tasks.spawn(pump.run().instrument(span));
    }
}

/// The running shards of one remote.
struct Shards {
    handles: Vec<ShardHandle>,
    tasks: JoinSet<()>,
}

impl Shards {
    fn spawn<T: Transport>(
        ctx: &Arc<RemoteCtx<T>>,
        n: usize,
        capacity: usize,
        cancel: &watch::Receiver<bool>,
    ) -> Shards {
        let mut tasks = JoinSet::new();
        ctx.tracker.resize(n);
        let handles = (0..n).map(|i| spawn_shard(ctx, i, capacity, cancel, &mut tasks)).collect();
        ctx.metrics.shards.set(n as f64);
        Shards { handles, tasks }
    }

    fn len(&self) -> usize {
        self.handles.len()
    }

    /// The shard of a series (by its labels, so the same after a restart).
    fn of(&self, series: &Series) -> usize {
        match self.handles.len() {
            1 => 0,
            n => (series.label_hash() % n as u64) as usize,
        }
    }

    /// Closes the shards' queues and waits until each has sent what it held (or was cancelled).
    async fn stop(&mut self) {
        self.handles.clear();
        while let Some(r) = self.tasks.join_next().await {
            if let Err(e) = r {
                error!(error = %e, "remote write shard failed");
            }
        }
    }
}

struct Pump<T> {
    wal: Arc<Wal>,
    /// Only the pump reads; shared with the blocking thread it reads from disk on.
    reader: Arc<std::sync::Mutex<Reader>>,
    /// The checkpoint's per-shard positions (see [`Reader::shards_acked`]), until the replay is
    /// past them: samples they say were acknowledged are not sent again.
    resume: Vec<crate::wal::Pos>,
    rules: SeriesRules,
    /// The series of the segment being read, by ref (or [`RemoteSeries::dropped`]).
    series: RefMap<RemoteSeries>,
    shards: Shards,
    ctx: Arc<RemoteCtx<T>>,
    /// `min_shards`, `max_shards`.
    bounds: (usize, usize),
    /// When the shard count is reconsidered next.
    next_update: Instant,
    /// When a queue falling behind may add shards before that, next.
    next_early: Instant,
    /// Whether the shard count has been reconsidered at an update yet.
    updated: bool,
    /// Queued samples per shard.
    capacity: usize,
    max_read: usize,
    /// Encoded bytes per sample in the last record (to size the next pieces).
    bytes_per_sample: usize,
    metrics: Arc<RemoteMetrics>,
    signals: Signals,
}

impl<T: Transport> Pump<T> {
    async fn run(mut self) {
        let mut head = self.wal.subscribe();
        let mut events = Vec::new();
        loop {
            let _ = *head.borrow_and_update();
            let cancelled = *self.signals.cancel.borrow();
            if cancelled {
                break;
            }
            let now = Instant::now();
            if now >= self.next_update {
                self.update_shards().await;
            } else if now >= self.next_early && self.falling_behind() {
                self.next_early = now + EARLY_AFTER;
                self.scale_up_early().await;
            }
            if let Err(e) = self.read(&mut events).await {
                // Not "caught up": a drain must not end on a failed read.
                warn!(error = %e, "reading the WAL failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            self.metrics.set_lag(self.wal.newest_timestamp_ms());
            if events.is_empty() {
                let draining = *self.signals.draining.borrow();
                if draining {
                    break; // caught up with a WAL nobody appends to: the shards drain and stop
                }
                self.wait(&mut head).await;
                continue;
            }
            for event in events.drain(..) {
                self.handle(event).await;
            }
            if events.capacity() > 1 << 14 {
                events = Vec::new(); // a segment's series records, read back at once: not kept
            }
        }
        self.shards.stop().await;
    }

    /// Reads the next events: on the worker while the reader takes the writer's batches, on a
    /// blocking thread when it reads and decodes from disk (a remote catching up must not hold
    /// up the scrapes).
    async fn read(&mut self, events: &mut Vec<Event>) -> std::io::Result<()> {
        let max = self.max_read;
        {
            let mut reader = lock(&self.reader);
            if reader.reads_live() {
                return reader.read(events, max);
            }
        }
        let (reader, mut out) = (self.reader.clone(), std::mem::take(events));
        let read = tokio::task::spawn_blocking(move || {
            let r = lock(&reader).read(&mut out, max);
            (r, out)
        });
        let (result, out) = read.await.map_err(std::io::Error::other)?;
        *events = out;
        result
    }

    /// Prometheus' shard update: a new count from the rates of the last intervals; a change
    /// drains the running shards before the new ones start (a series' samples stay in order).
    async fn update_shards(&mut self) {
        self.next_update = Instant::now() + UPDATE_INTERVAL;
        self.updated = true;
        let (min, max) = self.bounds;
        let (current, appended) = (self.shards.len(), self.wal.samples_appended());
        let (desired, n) = self.ctx.throughput.next_shards(current, appended, self.delay(), min, max);
        self.metrics.shards_desired.set(desired);
        if n != current {
            info!(from = current, to = n, desired, "remote write resharding");
            self.reshard(n).await;
        }
    }

    /// Whether the reader trails the writer's hand-over by enough to add shards before the next
    /// update: [`AT_RISK`] of it, or before the first update (rates without a history, the
    /// first scrapes, every series new) already [`FALLING_BEHIND`]. Not lower after it: a queue
    /// at a distance trails by tens of thousands of samples in steady state, and a second's rates
    /// would undo the update's count.
    fn falling_behind(&self) -> bool {
        let trigger = if self.updated { AT_RISK } else { FALLING_BEHIND };
        lock(&self.reader).unread_samples() >= trigger
    }

    /// More shards before the next update, if the rates since the last one call for them: the
    /// reader is falling behind the writer's hand-over (see `Throughput::early_shards`).
    async fn scale_up_early(&mut self) {
        let (min, max) = self.bounds;
        let (current, appended) = (self.shards.len(), self.wal.samples_appended());
        if let Some(n) = self.ctx.throughput.early_shards(current, appended, self.delay(), min, max) {
            info!(from = current, to = n, "remote write resharding before the update: falling behind");
            self.reshard(n).await;
        }
    }

    /// Newest appended minus newest sent timestamp, in seconds.
    fn delay(&self) -> f64 {
        let (newest, sent) = (self.wal.newest_timestamp_ms(), self.metrics.highest_sent_ms());
        if newest == i64::MIN || sent == i64::MIN { 0.0 } else { (newest - sent).max(0) as f64 / 1e3 }
    }

    async fn reshard(&mut self, n: usize) {
        self.shards.stop().await;
        self.shards = Shards::spawn(&self.ctx, n, self.capacity, &self.signals.cancel);
    }

    async fn wait(&mut self, head: &mut watch::Receiver<crate::wal::Pos>) {
        let (draining, cancel) = (&mut self.signals.draining, &mut self.signals.cancel);
        let head_gone = tokio::select! {
            r = head.changed() => r.is_err(),
            r = draining.wait_for(|d| *d) => r.is_err(),
            r = cancel.wait_for(|c| *c) => r.is_err(),
            () = tokio::time::sleep_until(self.next_update) => false,
        };
        if head_gone {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Segment | Event::Rejoined => self.series.clear(),
            Event::Series { r#ref, rw1, live } => {
                let series = RemoteSeries::for_record(&rw1, &self.rules, live);
                self.series.insert(r#ref, series.unwrap_or_else(RemoteSeries::dropped));
            }
            Event::Samples { end, samples, replayed } => {
                if replayed {
                    self.metrics.replayed.add(samples.len() as u64);
                }
                self.queue_record(end, Samples::Decoded(&samples)).await
            }
            Event::LiveSamples { end, batch } => self.queue_record(end, Samples::Live(&batch)).await,
        }
    }

    /// Queues the samples of the record ending at `end`, with one acknowledgement for it.
    async fn queue_record(&mut self, end: crate::wal::Pos, samples: Samples<'_>) {
        if self.resume.iter().max().is_some_and(|last| end > *last) {
            self.resume = Vec::new(); // the replay is past what the last run's shards had sent
        }
        let v2 = self.ctx.v2.load(Ordering::Relaxed);
        let parts = if v2 { self.split(samples, end) } else { self.encode(samples, end) };
        let shards: Vec<usize> = parts.iter().filter(|(_, p)| !p.is_empty()).map(|(i, _)| *i).collect();
        let ack = self.ctx.tracker.issue(end, &shards);
        for (i, part) in parts.into_iter().filter(|(_, p)| !p.is_empty()) {
            self.send(i, part, &ack).await;
        }
    }

    /// The samples this remote keeps, one list per shard: (shard, part).
    fn split(&self, samples: Samples<'_>, end: crate::wal::Pos) -> Vec<(usize, Part)> {
        let n = self.shards.len();
        let mut parts: Vec<Vec<QueuedSample>> = (0..n).map(|_| Vec::new()).collect();
        let shards = &self.shards;
        self.each_kept(samples, end, |series, t, v| {
            parts[shards.of(series)].push(QueuedSample { series: RemoteSeries::shared(series), t, v });
        });
        parts.into_iter().map(Part::Samples).enumerate().collect()
    }

    /// The samples this remote keeps, encoded as remote write 1.0, in pieces of at most
    /// `max_samples_per_send` per shard, each compressed at once (a shard's queue holds them
    /// compressed, and its request is put together from them without another copy): (shard, part).
    ///
    /// Pieces are sized up front from the bytes a sample took so far (growing a piece by doubling
    /// copied every label byte twice more).
    fn encode(&mut self, samples: Samples<'_>, end: crate::wal::Pos) -> Vec<(usize, Part)> {
        let n = self.shards.len();
        let per_piece = (samples.len() / n + 1).min(self.max_read);
        let capacity = per_piece * (self.bytes_per_sample + self.bytes_per_sample / 8 + 16);
        let mut open: Vec<Encoded> = (0..n).map(|_| Encoded::with_capacity(capacity)).collect();
        let mut parts = Vec::new();
        let mut one = Vec::new();
        self.each_kept(samples, end, |series, t, v| {
            // The shard comes from the label bytes read while encoding (read once, not twice).
            let shard = if n == 1 {
                open[0].push(series, t, v);
                0
            } else {
                one.clear();
                let shard = (push_series_hashed(&mut one, series, t, v) % n as u64) as usize;
                open[shard].push_encoded_one(&one, t);
                shard
            };
            if open[shard].samples >= self.max_read {
                parts.push((shard, Part::Encoded(open[shard].compress()))); // its buffer is filled again
            }
        });
        parts.extend(open.iter_mut().map(|piece| Part::Encoded(piece.compress())).enumerate());
        let (bytes, kept) = parts.iter().fold((0, 0), |(b, k), (_, p)| match p {
            Part::Encoded(e) => (b + e.raw_len(), k + e.samples),
            Part::Samples(_) => (b, k),
        });
        if let Some(per_sample) = bytes.checked_div(kept) {
            self.bytes_per_sample = per_sample;
        }
        parts
    }

    /// Calls `f(series, t, v)` for each sample of the record ending at `end` whose series this
    /// remote sends, that is not older than `sample_age_limit`, and that the last run's shards had
    /// not had acknowledged (a replay after a crash). The caller picks the shard
    /// ([`Shards::of`], or from the bytes it encodes).
    fn each_kept(&self, samples: Samples<'_>, end: crate::wal::Pos, mut f: impl FnMut(&Series, i64, f64)) {
        let oldest = self.ctx.oldest_to_send();
        let (mut too_old, resume) = (0, &self.resume[..]);
        let mut keep = |series: &Series, t: i64, v: f64| {
            if t < oldest {
                too_old += 1;
            } else if resume.is_empty() || end > resume[(series.label_hash() % resume.len() as u64) as usize] {
                f(series, t, v);
            }
        };
        match samples {
            Samples::Decoded(samples) => {
                let mut dropped = 0;
                for s in samples {
                    match self.series.get(s.r#ref) {
                        Some(series) if series.is_dropped() => dropped += 1, // by write_relabel_configs
                        Some(series) => keep(series.series(), s.t, s.v),
                        None => self.metrics.dropped(DropReason::UnknownSeries).inc(),
                    }
                }
                self.ctx.throughput.data_dropped.incr(dropped);
            }
            // Shared only with a remote whose rules keep every series as it is.
            Samples::Live(batch) => batch.iter().for_each(|s| keep(&s.series, s.t, s.v)),
        }
        if too_old > 0 {
            self.metrics.dropped(DropReason::TooOld).add(too_old);
        }
    }

    async fn send(&self, shard: usize, part: Part, ack: &Arc<RecordAck>) {
        let shard = &self.shards.handles[shard];
        let samples = part.len();
        let n = samples.min(self.capacity) as u32;
        let mut cancel = self.signals.cancel.clone();
        let permits = tokio::select! {
            p = shard.permits.acquire_many(n) => p,
            r = cancel.wait_for(|c| *c) => { let _ = r.is_ok(); return },
        };
        // Permits are never closed; an error would mean the shard is gone (and the record stays
        // unacknowledged, so it is sent again after a restart).
        let Ok(p) = permits else { return };
        p.forget();
        self.metrics.queue.add(samples as f64);
        let _ = shard.tx.send(Chunk { part, ack: ack.clone(), permits: n as usize });
    }
}

/// The samples of one WAL record.
#[derive(Clone, Copy)]
enum Samples<'a> {
    /// Read back from disk: series by ref in this segment.
    Decoded(&'a [RefSample]),
    /// Handed over by the writer.
    Live(&'a [Sample]),
}

impl Samples<'_> {
    fn len(&self) -> usize {
        match self {
            Samples::Decoded(s) => s.len(),
            Samples::Live(s) => s.len(),
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
    let shard = Shard::new(ctx.clone(), i, rx, permits.clone(), cancel.clone());
    let span = tracing::info_span!("remote_write_shard", remote = %ctx.name, shard = i);
    tasks.spawn(shard.run().instrument(span));
    ShardHandle { tx, permits }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
