//! The write-ahead log: every appended sample is written to a segment file in the data directory
//! before the scrape loop's `append` returns; each remote reads it at its own pace and records
//! what its backend acknowledged in a checkpoint; fully delivered segments are deleted.
//!
//! Entry point: [`Wal::open`], then [`Wal::append`] (scrape side), [`Wal::attach`] +
//! [`Reader::read`] + [`Wal::commit`] (one per remote) and [`Wal::maintain`] (timer).
//!
//! **Format.** `wal/wal-NNNNNNNNNN` segments of records (see [`record`]): a 9-byte header
//! (length, CRC32, kind) and a payload. A series record (`ref`, labels) is written the first time a
//! series appears *in the current segment*; a sample record holds one appended batch as
//! (ref, t delta, value) triples, about 11 bytes a sample. The ref is the series' process-unique
//! id; refs only need to be unique within a segment, because every segment carries the series
//! records it uses and one segment is only ever written by one process (a start always opens a
//! new segment). So refs survive restarts without a series checkpoint, and deleting a segment
//! never orphans a sample.
//!
//! **Durability.** Records are written with `write(2)` before `append` returns: after `kill -9`
//! (the process dies, the kernel keeps its page cache) every appended sample survives. The head
//! segment is `fdatasync`ed every `fsync_interval` (default 1s) and on rotation: after a power
//! loss or kernel crash up to `fsync_interval` of samples can be lost, and a torn record at the
//! end of a segment is detected by its checksum, counted and skipped. Per-append fsync would
//! cost a disk flush per scrape; one per second bounds the loss at the cost of no throughput.
//!
//! **Delivery.** A remote's checkpoint holds the position up to which every record is
//! acknowledged (sent, or rejected with a counted 4xx). After a restart a remote resumes there:
//! samples after the checkpoint that the backend had in fact accepted are sent again
//! (at-least-once; counted in `scrapelet_wal_replayed_samples_total`, which bounds them).
//!
//! **Bounds.** Segments beyond `max_wal_bytes` or older than `max_wal_age` are dropped oldest
//! first even if unsent; their unread samples are counted per remote with reason `wal_full` /
//! `wal_age`. The head segment counts too: it is closed once it holds half of `max_wal_bytes`
//! (series records included), and an append that takes the WAL past the limit wakes retention at
//! once, so the directory stays within `max_wal_bytes` plus what is appended while retention runs
//! (as long as one append's series records and samples fit in half the limit). Never: a panic on
//! bad disk content, or an unbounded directory.

pub mod checkpoint;
pub mod config;
mod live;
mod reader;
pub mod record;
mod retention;
pub mod segment;
#[cfg(test)]
mod tests;
mod writer;

use std::io;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cap_std::fs::Dir;
use tokio::sync::watch;
use tracing::{info, warn};

pub use config::WalConfig;
pub use live::{AT_RISK, FALLING_BEHIND};
pub use reader::{Event, Reader};
pub use record::RefSample;

use crate::metrics::{self, Counter};
use crate::series::Batch;
use live::Handover;
use writer::Writer;

/// The subdirectory of the data directory that holds the WAL.
pub const WAL_DIR: &str = "wal";

/// A position in the WAL: a segment and a byte offset in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub seg: u64,
    pub off: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("opening the WAL directory: {0}")]
    OpenDir(io::Error),
    #[error("listing WAL segments: {0}")]
    List(io::Error),
    #[error("creating WAL segment {seg}: {source}")]
    CreateSegment { seg: u64, source: io::Error },
    #[error("reading the WAL checkpoint of remote {remote}: {source}")]
    Checkpoint { remote: String, source: io::Error },
}

/// One remote's progress, as retention and deletion see it.
struct RemoteState {
    name: String,
    read: Arc<Mutex<Pos>>,
    acked: Pos,
    checkpoint: checkpoint::Writer,
}

pub struct Wal {
    dir: Dir,
    cfg: WalConfig,
    writer: Mutex<Writer>,
    /// Hands the series and batches the writer records to the remotes (see `live`).
    live: Handover,
    head: watch::Sender<Pos>,
    /// The newest sample timestamp appended (ms), for the per-remote lag gauge.
    newest_ms: AtomicI64,
    /// Samples appended by this process (the ingestion rate remote write shards by).
    appended: AtomicU64,
    /// The WAL's bytes on disk as retention last listed them, plus what was appended since.
    disk_bytes: AtomicU64,
    /// Woken when an append takes the WAL past `max_wal_bytes`: retention runs at once instead of
    /// at the next tick, so the disk use stays within the limit plus what is written meanwhile.
    over_limit: tokio::sync::Notify,
    remotes: Mutex<Vec<RemoteState>>,
    samples_written: Arc<Counter>,
    bytes_written: Arc<Counter>,
    write_errors: Arc<Counter>,
}

impl Wal {
    /// Opens (creating it if needed) `wal/` in the data directory and starts a new head segment
    /// after the existing ones.
    pub fn open(data: &Dir, cfg: WalConfig) -> Result<Arc<Wal>, WalError> {
        data.create_dir_all(WAL_DIR).map_err(WalError::OpenDir)?;
        let dir = data.open_dir(WAL_DIR).map_err(WalError::OpenDir)?;
        let existing = segment::list(&dir).map_err(WalError::List)?;
        let seg = existing.last().map_or(1, |s| s.seg + 1);
        let on_disk: u64 = existing.iter().map(|s| s.bytes).sum();
        if !existing.is_empty() {
            info!(segments = existing.len(), bytes = on_disk, "WAL found: unsent samples will be replayed");
        }
        let shared = Arc::new(dir.try_clone().map_err(WalError::OpenDir)?);
        let live = Handover::default();
        let writer = Writer::create(shared, seg, cfg.effective_segment_bytes(), cfg.max_wal_bytes / 2, live.clone())
            .map_err(|source| WalError::CreateSegment { seg, source })?;
        let m = metrics::get();
        Ok(Arc::new(Wal {
            dir,
            cfg,
            head: watch::Sender::new(writer.head()),
            writer: Mutex::new(writer),
            live,
            newest_ms: AtomicI64::new(i64::MIN),
            appended: AtomicU64::new(0),
            disk_bytes: AtomicU64::new(on_disk),
            over_limit: tokio::sync::Notify::new(),
            remotes: Mutex::new(Vec::new()),
            samples_written: m.wal_samples_written.with(&[]),
            bytes_written: m.wal_bytes_written.with(&[]),
            write_errors: m.wal_write_errors.with(&[]),
        }))
    }

    /// Writes a batch; when this returns `Ok` the samples survive a crash of the process.
    pub fn append(&self, batch: Batch) -> io::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let (samples, newest) = (batch.len() as u64, batch.iter().map(|s| s.t).max().unwrap_or(i64::MIN));
        let mut w = lock(&self.writer);
        let before = w.head();
        let head = w.append(batch).inspect_err(|_| self.write_errors.inc())?;
        drop(w);
        let written = if head.seg == before.seg { head.off - before.off } else { head.off };
        self.bytes_written.add(written);
        let on_disk = self.disk_bytes.fetch_add(written, Ordering::Relaxed) + written;
        if self.cfg.max_wal_bytes > 0 && on_disk > self.cfg.max_wal_bytes {
            self.over_limit.notify_one();
        }
        self.samples_written.add(samples);
        self.appended.fetch_add(samples, Ordering::Relaxed);
        self.newest_ms.fetch_max(newest, Ordering::Relaxed);
        self.head.send_replace(head);
        Ok(())
    }

    /// Where the next record will be written.
    pub fn head(&self) -> Pos {
        *self.head.borrow()
    }

    /// Changes whenever records are appended.
    pub fn subscribe(&self) -> watch::Receiver<Pos> {
        self.head.subscribe()
    }

    /// The newest sample timestamp appended by this process (ms), `i64::MIN` if none.
    pub fn newest_timestamp_ms(&self) -> i64 {
        self.newest_ms.load(Ordering::Relaxed)
    }

    /// Samples appended by this process so far.
    pub fn samples_appended(&self) -> u64 {
        self.appended.load(Ordering::Relaxed)
    }

    pub fn config(&self) -> &WalConfig {
        &self.cfg
    }

    /// A reader for `remote`, starting after its checkpoint (or at the oldest segment).
    pub fn attach(self: &Arc<Self>, remote: &str) -> Result<Reader, WalError> {
        let err = |source| WalError::Checkpoint { remote: remote.to_string(), source };
        let acked = checkpoint::read(&self.dir, remote).map_err(err)?;
        let oldest = segment::list(&self.dir).map_err(WalError::List)?.first().map_or(self.head().seg, |s| s.seg);
        let (start, shards_acked) = match acked {
            Some(c) if c.pos.seg >= oldest => (c.pos, c.shards),
            _ => (Pos { seg: oldest, off: 0 }, Vec::new()),
        };
        let read = Arc::new(Mutex::new(start));
        let checkpoint = checkpoint::Writer::new(&self.dir, remote).map_err(err)?;
        let mut remotes = lock(&self.remotes);
        remotes.retain(|r| r.name != remote);
        remotes.push(RemoteState { name: remote.to_string(), read: read.clone(), acked: start, checkpoint });
        if start < self.head() {
            info!(remote, segment = start.seg, offset = start.off, "replaying the WAL from the checkpoint");
        }
        let corrupt = metrics::get().wal_corrupt_records.with(&[remote]);
        Ok(Reader {
            wal: self.clone(),
            remote: remote.to_string(),
            pos: read,
            cursor: None,
            skip_until: 0,
            replay_end: self.head(),
            shards_acked,
            corrupt,
            live: None,
        })
    }

    /// Records what `remote`'s backend has acknowledged (one `pwrite`, under the remotes' lock,
    /// which nothing holds for longer).
    pub fn commit(&self, remote: &str, checkpoint: &checkpoint::Checkpoint) {
        let mut remotes = lock(&self.remotes);
        let Some(r) = remotes.iter_mut().find(|r| r.name == remote) else { return };
        r.acked = r.acked.max(checkpoint.pos);
        if let Err(e) = r.checkpoint.write(&self.dir, checkpoint) {
            warn!(remote, error = %e, "writing the WAL checkpoint failed; a restart may resend more");
        }
    }

    /// Deletes the checkpoints of remotes no longer configured, so they hold no segments.
    pub fn forget_other_remotes(&self, keep: &[&str]) {
        for name in checkpoint::stale(&self.dir, keep).unwrap_or_default() {
            info!(file = %name, "removing the WAL checkpoint of a remote no longer configured");
            if let Err(e) = self.dir.remove_file(&name) {
                warn!(file = %name, error = %e, "removing a stale WAL checkpoint failed");
            }
        }
    }

    /// Flushes the head segment to disk (the timer's half of the fsync policy).
    pub fn sync(&self) {
        let file = lock(&self.writer).head_file();
        if let Err(e) = file.and_then(|f| f.sync_data()) {
            warn!(error = %e, "fsync of the WAL head segment failed");
        }
    }

    /// Resolves when an append took the WAL past `max_wal_bytes` (run [`maintain`](Self::maintain)).
    pub async fn over_limit(&self) {
        self.over_limit.notified().await
    }

    /// Periodic upkeep: fsync, delete delivered segments, enforce the limits, update gauges.
    pub fn maintain(&self) {
        self.sync();
        retention::run(self, std::time::SystemTime::now());
    }
}

/// Gives back a buffer's room beyond four times what it holds (and 64 KiB): a burst (the series
/// records of the first scrapes, a replay) must not keep its buffer for the life of the process.
fn shrink_after_burst(buf: &mut Vec<u8>) {
    let keep = buf.len().max(64 << 10);
    if buf.capacity() > 4 * keep {
        buf.shrink_to(keep);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
