//! Hands the series the WAL writer recorded to the remotes that read their records back, so a
//! remote resolves a series record to the scrape side's own [`Series`] instead of building a copy
//! (see `RemoteSeries`).
//!
//! Only records some remote has not read yet are held: each remote that shares series follows
//! the queue with a [`LiveCursor`], and a record every cursor has passed is let go. In steady
//! state (no new series, remotes caught up) the queue is empty; after a segment rotation it
//! holds the series written again until the remotes read them, milliseconds later. (A table of
//! every series by ref, which this replaced, cost 8 bytes a series for the life of the process.)
//!
//! A remote that falls far behind (its backend is down) must not pin every series written since:
//! the queue keeps at most the records of the current and the previous segment, and the
//! laggard decodes its own copy of a series it finds no longer queued.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use super::Pos;
use crate::series::Series;

#[derive(Default)]
pub struct LiveSeries(Mutex<Queue>);

#[derive(Default)]
struct Queue {
    /// Series records not yet read by every cursor: the position just after each, in WAL order.
    records: VecDeque<(Pos, Series)>,
    /// Each cursor's position: it has read every record ending at or before it.
    cursors: Vec<(u64, Pos)>,
    next_cursor: u64,
    /// Series records written in the current and in the previous segment (the bound on `records`).
    this_segment: usize,
    last_segment: usize,
}

/// The bound is never below this many records.
const SLACK: usize = 4096;

impl Queue {
    fn bound(&self) -> usize {
        (self.this_segment + self.last_segment).max(SLACK)
    }

    /// Lets go of the records every cursor has passed, and of the oldest beyond the bound.
    fn trim(&mut self) {
        let bound = self.bound();
        match self.cursors.iter().map(|c| c.1).min() {
            None => self.records.clear(),
            Some(min) => {
                while self.records.front().is_some_and(|(end, _)| *end <= min) || self.records.len() > bound {
                    self.records.pop_front();
                }
            }
        }
        if self.records.is_empty() && self.records.capacity() > SLACK {
            self.records = VecDeque::new(); // a burst (a rotation, the first scrapes) is over
        }
    }
}

impl LiveSeries {
    /// Locks the queue for a batch of [`Recorder::record`] calls.
    pub fn recorder(&self) -> Recorder<'_> {
        Recorder(self.lock())
    }

    /// A new segment starts.
    pub fn rotated(&self) {
        let mut q = self.lock();
        q.last_segment = std::mem::take(&mut q.this_segment);
        q.trim();
    }

    /// A cursor for a reader that starts after `from`.
    pub fn follow(self: &Arc<Self>, from: Pos) -> LiveCursor {
        let mut q = self.lock();
        let id = q.next_cursor;
        q.next_cursor += 1;
        q.cursors.push((id, from));
        LiveCursor { live: self.clone(), id }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Recorder<'a>(MutexGuard<'a, Queue>);

impl Recorder<'_> {
    /// `s`'s series record was written, ending at `end`.
    pub fn record(&mut self, end: Pos, s: &Series) {
        let q = &mut *self.0;
        q.this_segment += 1;
        if !q.cursors.is_empty() {
            q.records.push_back((end, s.clone()));
            if q.records.len() > q.bound() {
                q.trim();
            }
        }
    }
}

/// One reader's place in the queue; it reads the records in WAL order.
pub struct LiveCursor {
    live: Arc<LiveSeries>,
    id: u64,
}

impl LiveCursor {
    /// The series of ref `r` whose record ends at `end`, if this process wrote it and it is still
    /// queued. Every record up to `end` is then read, for this cursor.
    pub fn take(&self, end: Pos, r: u64) -> Option<Series> {
        let mut q = self.live.lock();
        let found = match q.records.binary_search_by_key(&end, |(p, _)| *p) {
            Ok(i) if q.records[i].1.id() == r => Some(q.records[i].1.clone()),
            _ => None,
        };
        if let Some(c) = q.cursors.iter_mut().find(|c| c.0 == self.id) {
            c.1 = c.1.max(end);
        }
        if q.records.front().is_some_and(|(p, _)| *p <= end) {
            q.trim();
        }
        found
    }
}

impl Drop for LiveCursor {
    fn drop(&mut self) {
        let mut q = self.live.lock();
        q.cursors.retain(|c| c.0 != self.id);
        q.trim();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::series::SeriesFactory;

    fn at(off: u64) -> Pos {
        Pos { seg: 1, off }
    }

    fn make(n: usize) -> Vec<Series> {
        let f = SeriesFactory::default();
        (0..n).map(|i| f.make(Labels::from_pairs([("__name__", i.to_string().as_str())]))).collect()
    }

    fn queued(live: &LiveSeries) -> usize {
        live.lock().records.len()
    }

    #[test]
    fn each_cursor_takes_the_recorded_series_and_what_all_passed_is_let_go() {
        let live = Arc::new(LiveSeries::default());
        let s = make(3);
        live.recorder().record(at(10), &s[0]);
        assert_eq!(queued(&live), 0, "nobody follows: nothing is held");
        let (a, b) = (live.follow(at(0)), live.follow(at(0)));
        let mut rec = live.recorder();
        for (i, s) in s.iter().enumerate() {
            rec.record(at(20 + i as u64 * 10), s);
        }
        drop(rec);
        assert!(Series::ptr_eq(&a.take(at(20), s[0].id()).unwrap(), &s[0]));
        assert!(a.take(at(30), s[0].id()).is_none(), "another ref at that place: not shared");
        assert_eq!(queued(&live), 3, "b has read none of them");
        assert!(Series::ptr_eq(&b.take(at(30), s[1].id()).unwrap(), &s[1]));
        assert_eq!(queued(&live), 1, "both passed the first two");
        drop(a);
        assert_eq!(queued(&live), 1, "b has not read the third");
        assert!(b.take(at(40), s[2].id()).is_some());
        assert_eq!(queued(&live), 0);
        drop(b);
        assert!(live.lock().cursors.is_empty());
    }

    #[test]
    fn a_cursor_that_falls_behind_does_not_pin_every_series() {
        let live = Arc::new(LiveSeries::default());
        let lagging = live.follow(at(0));
        let s = make(3 * SLACK);
        for (i, s) in s.iter().enumerate() {
            if i > 0 && i % SLACK == 0 {
                live.rotated();
            }
            live.recorder().record(at(1 + i as u64), s);
        }
        assert_eq!(queued(&live), 2 * SLACK, "bounded by two segments' records");
        assert!(lagging.take(at(1), s[0].id()).is_none(), "the oldest went; the laggard decodes its own");
        let last = s.len() as u64;
        assert!(lagging.take(at(last), s[s.len() - 1].id()).is_some(), "the newest are still shared");
        assert_eq!(queued(&live), 0);
    }
}
