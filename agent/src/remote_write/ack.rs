//! Which WAL records a remote's backend has acknowledged, and the checkpoint that follows.
//!
//! Entry point: [`Tracker::issue`] hands out one [`RecordAck`] per sample record, shared by the
//! shards that got a part of it; when every part is acknowledged (sent, or rejected and counted)
//! and every earlier record too, the checkpoint moves past it. A part that was never acknowledged
//! (shutdown, crash) keeps the checkpoint before it, so the record is sent again after a restart.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::wal::{Pos, Wal};

pub struct Tracker {
    remote: String,
    wal: Arc<Wal>,
    /// Issued records, oldest first, with whether each is fully acknowledged.
    pending: Mutex<VecDeque<(Pos, bool)>>,
}

/// One record's share-out; each shard part calls [`complete`](Self::complete) once.
pub struct RecordAck {
    end: Pos,
    parts: AtomicUsize,
    tracker: Arc<Tracker>,
}

impl Tracker {
    pub fn new(remote: &str, wal: Arc<Wal>) -> Arc<Tracker> {
        Arc::new(Tracker { remote: remote.to_string(), wal, pending: Mutex::new(VecDeque::new()) })
    }

    /// Registers the record ending at `end`, split into `parts` shard parts (0: nothing to send,
    /// acknowledged at once).
    pub fn issue(self: &Arc<Self>, end: Pos, parts: usize) -> Arc<RecordAck> {
        self.lock().push_back((end, false));
        let ack = Arc::new(RecordAck { end, parts: AtomicUsize::new(parts), tracker: self.clone() });
        if parts == 0 {
            self.done(end);
        }
        ack
    }

    fn done(&self, end: Pos) {
        let mut pending = self.lock();
        if let Ok(i) = pending.binary_search_by_key(&end, |(p, _)| *p) {
            pending[i].1 = true;
        }
        let mut acked = None;
        while let Some(&(p, true)) = pending.front() {
            acked = Some(p);
            pending.pop_front();
        }
        // Committed under the lock so that checkpoints are written in order.
        if let Some(p) = acked {
            self.wal.commit(&self.remote, p);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Pos, bool)>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RecordAck {
    /// One part of the record is acknowledged.
    pub fn complete(&self) {
        if self.parts.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.tracker.done(self.end);
        }
    }
}
