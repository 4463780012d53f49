//! Keeps the WAL small: deletes segments every remote has acknowledged, and drops the oldest
//! segments beyond `max_wal_bytes` / `max_wal_age` even if unsent, counting what each remote loses.
//!
//! Entry point: [`run`], called from [`Wal::maintain`] on a blocking thread. The head segment is
//! never removed. Disk reads (counting what a dropped segment held) happen without a lock: the
//! remotes' list is only held to copy it, a reader's position only to read or move it, so the
//! acknowledgements of the remote-write shards (which take the list) never wait for the disk.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tracing::{debug, warn};

use super::segment::{self, SegmentInfo};
use super::{Pos, Wal, lock};
use crate::metrics;

/// Why a segment is dropped before delivery (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Bytes,
    Age,
}

impl Limit {
    fn label(self) -> &'static str {
        match self {
            Limit::Bytes => "wal_full",
            Limit::Age => "wal_age",
        }
    }
}

pub fn run(wal: &Wal, now: SystemTime) {
    let mut segs = match segment::list(&wal.dir) {
        Ok(s) => s,
        Err(e) => return warn!(error = %e, "listing WAL segments failed"),
    };
    let head = wal.head();
    delete_delivered(wal, &mut segs, head);
    while let Some(limit) = over_limit(wal, &segs, head, now) {
        let seg = segs.remove(0);
        drop_unsent(wal, &seg, limit);
    }
    update_gauges(wal, &segs, head);
}

/// Removes the segments before every remote's acknowledged position.
fn delete_delivered(wal: &Wal, segs: &mut Vec<SegmentInfo>, head: Pos) {
    let min_acked = lock(&wal.remotes).iter().map(|r| r.acked.seg).min().unwrap_or(head.seg);
    segs.retain(|s| {
        if s.seg >= min_acked || s.seg >= head.seg {
            return true;
        }
        debug!(segment = s.seg, "WAL segment delivered everywhere; deleting");
        remove(wal, s.seg);
        false
    });
}

/// Which limit the oldest segment breaks, if it is not the head.
fn over_limit(wal: &Wal, segs: &[SegmentInfo], head: Pos, now: SystemTime) -> Option<Limit> {
    let oldest = segs.first().filter(|s| s.seg < head.seg)?;
    let total: u64 = segs.iter().map(|s| s.bytes).sum();
    let max = wal.cfg.max_wal_bytes;
    if max > 0 && total > max {
        return Some(Limit::Bytes);
    }
    let age = now.duration_since(oldest.modified).unwrap_or_default();
    wal.cfg.max_wal_age.filter(|max| age > *max).map(|_| Limit::Age)
}

/// Drops a segment some remote may not have read: counts its unread samples per remote and moves
/// readers inside it to the next segment.
fn drop_unsent(wal: &Wal, seg: &SegmentInfo, limit: Limit) {
    let mut lost_total = 0;
    for (name, read) in positions(wal) {
        let at = *lock(&read);
        if at.seg > seg.seg {
            continue;
        }
        // Counted from where the reader was a moment ago: a few samples it reads meanwhile may
        // be counted as lost too (the count is an upper bound; the samples are not resent).
        let from = if at.seg == seg.seg { at.off } else { 0 };
        let lost = segment::count_samples(&wal.dir, seg.seg, from).unwrap_or(0);
        let mut at = lock(&read);
        if at.seg == seg.seg {
            *at = Pos { seg: seg.seg + 1, off: 0 };
        }
        drop(at);
        metrics::get().rw_samples_dropped.with(&[&name, limit.label()]).add(lost);
        lost_total += lost;
    }
    let reason = limit.label();
    warn!(
        segment = seg.seg,
        bytes = seg.bytes,
        samples = lost_total,
        reason,
        "WAL limit reached: dropping the oldest segment"
    );
    remove(wal, seg.seg);
}

/// Each remote's name and read position, copied so that no lock is held while they are used.
fn positions(wal: &Wal) -> Vec<(String, Arc<Mutex<Pos>>)> {
    lock(&wal.remotes).iter().map(|r| (r.name.clone(), r.read.clone())).collect()
}

fn remove(wal: &Wal, seg: u64) {
    if let Err(e) = wal.dir.remove_file(segment::name(seg)) {
        warn!(segment = seg, error = %e, "deleting a WAL segment failed");
    }
}

fn update_gauges(wal: &Wal, segs: &[SegmentInfo], head: Pos) {
    let m = metrics::get();
    let total: u64 = segs.iter().map(|s| s.bytes).sum();
    wal.disk_bytes.store(total, std::sync::atomic::Ordering::Relaxed);
    m.wal_bytes.with(&[]).set(total as f64);
    m.wal_max_bytes.with(&[]).set(wal.cfg.max_wal_bytes as f64);
    m.wal_segments.with(&[]).set(segs.len() as f64);
    for (name, read) in positions(wal) {
        let read = *lock(&read);
        let behind: u64 = segs.iter().filter(|s| s.seg >= read.seg && s.seg < head.seg).map(|s| s.bytes).sum();
        let lag =
            (behind + head.off).saturating_sub(if read.seg < head.seg { read.off } else { read.off.min(head.off) });
        m.wal_reader_lag_bytes.with(&[&name]).set(lag as f64);
    }
}
