//! Which WAL records a remote's backend has acknowledged, and the checkpoint that follows.
//!
//! Entry point: [`Tracker::issue`] hands out one [`RecordAck`] per sample record, shared by the
//! shards that got a part of it; a shard hands back the parts of each request it finished with
//! [`Tracker::complete`]. When every part of a record is acknowledged (sent, or rejected and
//! counted) and every earlier record too, the checkpoint moves past it. A part that was never
//! acknowledged (shutdown, crash) keeps the checkpoint before it, so the record is sent again after
//! a restart.
//!
//! The checkpoint also records, per shard, up to where that shard has every one of its parts
//! acknowledged (a shard's parts are sent in order, and a record it got no part of is nothing it
//! owes): after a crash, what a shard that ran ahead of the others had sent is not sent again.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::wal::checkpoint::Checkpoint;
use crate::wal::{Pos, Wal};

pub struct Tracker {
    remote: String,
    wal: Arc<Wal>,
    state: Mutex<State>,
}

struct State {
    /// Issued records, oldest first, with whether each is fully acknowledged.
    pending: VecDeque<(Pos, bool)>,
    /// Per shard, its parts not yet acknowledged, oldest first: (the record's end, the end of the
    /// record issued before it).
    parts: Vec<VecDeque<(Pos, Pos)>>,
    /// The end of the last record issued (where reading started, before any).
    last_issued: Pos,
    /// Everything before this is acknowledged.
    acked: Pos,
}

/// One record's share-out; each shard part is handed back once, through [`Tracker::complete`].
pub struct RecordAck {
    end: Pos,
    parts: AtomicUsize,
}

impl Tracker {
    /// A tracker for a remote that starts reading at `start` with `shards` shards.
    pub fn new(remote: &str, wal: Arc<Wal>, start: Pos, shards: usize) -> Arc<Tracker> {
        let parts = (0..shards).map(|_| VecDeque::new()).collect();
        let state = State { pending: VecDeque::new(), parts, last_issued: start, acked: start };
        Arc::new(Tracker { remote: remote.to_string(), wal, state: Mutex::new(state) })
    }

    /// Registers the record ending at `end`, with a part for each of `shards` (none: nothing to
    /// send, acknowledged at once).
    pub fn issue(&self, end: Pos, shards: &[usize]) -> Arc<RecordAck> {
        let mut s = self.lock();
        s.pending.push_back((end, shards.is_empty()));
        let prev = std::mem::replace(&mut s.last_issued, end);
        for &i in shards {
            s.parts[i].push_back((end, prev));
        }
        if shards.is_empty() {
            self.advance(&mut s);
        }
        Arc::new(RecordAck { end, parts: AtomicUsize::new(shards.len()) })
    }

    /// Shard `shard` has finished with `acks` (its parts, in the order it got them).
    pub fn complete(&self, shard: usize, acks: impl IntoIterator<Item = Arc<RecordAck>>) {
        let mut s = self.lock();
        for ack in acks {
            let own = s.parts[shard].pop_front();
            debug_assert_eq!(own.map(|p| p.0), Some(ack.end), "a shard completes its parts in order");
            if ack.parts.fetch_sub(1, Ordering::AcqRel) == 1
                && let Ok(i) = s.pending.binary_search_by_key(&ack.end, |(p, _)| *p)
            {
                s.pending[i].1 = true;
            }
        }
        self.advance(&mut s);
    }

    /// Sets the number of shards; only between shard sets, when every part is acknowledged.
    pub fn resize(&self, shards: usize) {
        let mut s = self.lock();
        debug_assert!(s.parts.iter().all(VecDeque::is_empty), "resized with parts outstanding");
        s.parts = (0..shards).map(|_| VecDeque::new()).collect();
    }

    /// Moves the checkpoint past the acknowledged prefix and writes it, with each shard's
    /// position. Written under the lock so that checkpoints are written in order.
    fn advance(&self, s: &mut State) {
        while let Some(&(p, true)) = s.pending.front() {
            s.acked = p;
            s.pending.pop_front();
        }
        let shard_pos = |q: &VecDeque<(Pos, Pos)>| q.front().map_or(s.last_issued, |p| p.1).max(s.acked);
        let checkpoint = Checkpoint { pos: s.acked, shards: s.parts.iter().map(shard_pos).collect() };
        self.wal.commit(&self.remote, &checkpoint);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
