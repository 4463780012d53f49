//! Hands what the WAL writer just wrote to the remotes that read it back: the series of its
//! series records and the batches of its sample records, so a remote that is caught up sends the
//! scrape side's own series and samples instead of decoding copies from disk.
//!
//! Only records some remote has not read yet are held: each remote that shares them follows the
//! queue with a [`LiveCursor`], and a record every cursor has passed is let go. In steady state
//! (remotes caught up) a queue holds the last few records, for milliseconds. A caught-up remote
//! needs no table of the segment's series by ref (8 bytes a series), and no sample decoding.
//!
//! A remote that falls far behind (its backend is down) must not pin what was written since:
//! the series queue keeps at most the records of the current and the previous segment, the
//! sample queue at most [`SAMPLES_HELD`] samples. The laggard decodes what it no longer finds
//! queued, from disk, as a remote that does not share does, and takes the queued batches again
//! once it has caught up with them (its table of the segment's series is then let go). A reader
//! that trails by more than [`AT_RISK`] samples keeps its place in the series queue instead of
//! passing the series records over, so that if it falls out it finds the scrape side's series
//! there (8 bytes each) instead of making a copy of every series of the segment from disk.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use super::Pos;
use crate::series::{Batch, Series};

/// Samples the sample queue holds at most (about 6 MB of batches).
pub const SAMPLES_HELD: usize = 1 << 18;
/// A reader this many samples behind may fall out of the sample queue: it keeps the series
/// records it passes queued (see the module's documentation). A remote keeping up at a distance
/// trails by less (shards' worth of requests in flight: 40,000 samples at 200 ms and 100,000
/// samples/s), so that it holds no series.
pub const AT_RISK: usize = SAMPLES_HELD / 2;
/// A reader this many samples behind, before its remote's first shard update, is falling
/// behind: the remote may add shards at once (`remote_write::sharding`), well before the reader
/// is [`AT_RISK`] (where it holds series: at the first scrapes, every series is new).
pub const FALLING_BEHIND: usize = AT_RISK / 4;

/// The series records written (each with its series).
pub type LiveSeries = Live<Series>;
/// The sample records written (each with its batch).
pub type LiveSamples = Live<Arc<Batch>>;

/// What a queued record counts for against the queue's bound.
pub trait Held: Clone {
    fn weight(&self) -> usize;
}

impl Held for Series {
    fn weight(&self) -> usize {
        1
    }
}

impl Held for Arc<Batch> {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// How much a queue may hold for cursors that have not read it.
#[derive(Clone, Copy)]
enum Bound {
    /// The records of the current and the previous segment (never below [`SLACK`]).
    TwoSegments,
    /// This much weight.
    Weight(usize),
}

/// The series bound is never below this many records.
const SLACK: usize = 4096;

pub struct Live<T>(Mutex<Queue<T>>);

/// Both queues: the writer records into them, each sharing reader follows them.
#[derive(Clone, Default)]
pub struct Handover {
    pub series: Arc<LiveSeries>,
    pub samples: Arc<LiveSamples>,
}

impl Handover {
    /// A new segment starts.
    pub fn rotated(&self) {
        self.series.rotated();
        self.samples.rotated();
    }
}

impl Default for LiveSeries {
    fn default() -> Self {
        Live::new(Bound::TwoSegments)
    }
}

impl Default for LiveSamples {
    fn default() -> Self {
        Live::new(Bound::Weight(SAMPLES_HELD))
    }
}

struct Queue<T> {
    /// Records not yet read by every cursor: the position just after each, in WAL order.
    records: VecDeque<(Pos, T)>,
    /// The weight of `records`.
    weight: usize,
    /// Each cursor's position: it has read every record ending at or before it.
    cursors: Vec<(u64, Pos)>,
    next_cursor: u64,
    bound: Bound,
    /// Weight written in the current and in the previous segment.
    this_segment: usize,
    last_segment: usize,
    /// The end of the newest record let go (or never queued) before every cursor had read it.
    lost_through: Pos,
}

impl<T: Held> Queue<T> {
    fn limit(&self) -> usize {
        match self.bound {
            Bound::TwoSegments => (self.this_segment + self.last_segment).max(SLACK),
            Bound::Weight(w) => w,
        }
    }

    /// Lets go of the records every cursor has passed, and of the oldest beyond the bound.
    fn trim(&mut self) {
        let (limit, min) = (self.limit(), self.cursors.iter().map(|c| c.1).min());
        while let Some((end, t)) = self.records.front() {
            let read_by_all = min.is_none_or(|m| *end <= m);
            if !read_by_all && self.weight <= limit {
                break;
            }
            if !read_by_all {
                self.lost_through = self.lost_through.max(*end);
            }
            self.weight -= t.weight();
            self.records.pop_front();
        }
        if self.records.is_empty() && self.records.capacity() > SLACK {
            self.records = VecDeque::new(); // a burst (a rotation, the first scrapes) is over
        }
    }
}

impl<T: Held> Live<T> {
    fn new(bound: Bound) -> Self {
        Live(Mutex::new(Queue {
            records: VecDeque::new(),
            weight: 0,
            cursors: Vec::new(),
            next_cursor: 0,
            bound,
            this_segment: 0,
            last_segment: 0,
            lost_through: Pos::default(),
        }))
    }

    /// Locks the queue for a batch of [`Recorder::record`] calls.
    pub fn recorder(&self) -> Recorder<'_, T> {
        Recorder(self.lock())
    }

    /// A new segment starts.
    pub fn rotated(&self) {
        let mut q = self.lock();
        q.last_segment = std::mem::take(&mut q.this_segment);
        q.trim();
    }

    /// A cursor for a reader that starts after `from`.
    pub fn follow(self: &Arc<Self>, from: Pos) -> LiveCursor<T> {
        let mut q = self.lock();
        let id = q.next_cursor;
        q.next_cursor += 1;
        q.cursors.push((id, from));
        LiveCursor { live: self.clone(), id }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Recorder<'a, T>(MutexGuard<'a, Queue<T>>);

impl<T: Held> Recorder<'_, T> {
    /// A record holding `t` was written, ending at `end`.
    pub fn record(&mut self, end: Pos, t: T) {
        let q = &mut *self.0;
        let weight = t.weight();
        q.this_segment += weight;
        if q.cursors.is_empty() {
            q.lost_through = end; // a cursor that starts earlier will not find it
            return;
        }
        q.records.push_back((end, t));
        q.weight += weight;
        if q.weight > q.limit() {
            q.trim();
        }
    }
}

/// One reader's place in a queue; it reads the records in WAL order.
pub struct LiveCursor<T: Held> {
    live: Arc<Live<T>>,
    id: u64,
}

impl<T: Held> LiveCursor<T> {
    /// What the record ending at `end` holds, if this process wrote it, it is still queued and
    /// `is_it` agrees. Every record up to `end` is then read, for this cursor.
    pub fn take(&self, end: Pos, is_it: impl FnOnce(&T) -> bool) -> Option<T> {
        let mut q = self.live.lock();
        let found = match q.records.binary_search_by_key(&end, |(p, _)| *p) {
            Ok(i) if is_it(&q.records[i].1) => Some(q.records[i].1.clone()),
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

    /// The weight queued that some cursor has not read: for a remote's reader (in practice the
    /// only cursor of a sample queue), how far it trails the writer.
    pub fn unread(&self) -> usize {
        self.live.lock().weight
    }

    /// Whether every record this process wrote ending after `from` is still queued (or not
    /// written yet), so a reader at `from` will find each one.
    pub fn holds_all_after(&self, from: Pos) -> bool {
        self.live.lock().lost_through <= from
    }
}

impl<T: Held> Drop for LiveCursor<T> {
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
    use crate::series::{Sample, SeriesFactory};

    fn at(off: u64) -> Pos {
        Pos { seg: 1, off }
    }

    fn make(n: usize) -> Vec<Series> {
        let f = SeriesFactory::default();
        (0..n).map(|i| f.make(Labels::from_pairs([("__name__", i.to_string().as_str())]))).collect()
    }

    fn queued<T: Held>(live: &Live<T>) -> usize {
        live.lock().records.len()
    }

    fn id_is(r: u64) -> impl FnOnce(&Series) -> bool {
        move |s| s.id() == r
    }

    #[test]
    fn each_cursor_takes_the_recorded_series_and_what_all_passed_is_let_go() {
        let live = Arc::new(LiveSeries::default());
        let s = make(3);
        live.recorder().record(at(10), s[0].clone());
        assert_eq!(queued(&live), 0, "nobody follows: nothing is held");
        let (a, b) = (live.follow(at(10)), live.follow(at(10)));
        let mut rec = live.recorder();
        for (i, s) in s.iter().enumerate() {
            rec.record(at(20 + i as u64 * 10), s.clone());
        }
        drop(rec);
        assert!(!a.holds_all_after(at(0)), "the first record was written before anyone followed");
        assert!(a.holds_all_after(at(10)));
        assert!(Series::ptr_eq(&a.take(at(20), id_is(s[0].id())).unwrap(), &s[0]));
        assert!(a.take(at(30), id_is(s[0].id())).is_none(), "another ref at that place: not shared");
        assert_eq!(queued(&live), 3, "b has read none of them");
        assert!(Series::ptr_eq(&b.take(at(30), id_is(s[1].id())).unwrap(), &s[1]));
        assert_eq!(queued(&live), 1, "both passed the first two");
        drop(a);
        assert_eq!(queued(&live), 1, "b has not read the third");
        assert!(b.take(at(40), id_is(s[2].id())).is_some());
        assert_eq!(queued(&live), 0);
        assert!(b.holds_all_after(at(10)), "records every cursor read are not lost");
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
            live.recorder().record(at(1 + i as u64), s.clone());
        }
        assert_eq!(queued(&live), 2 * SLACK, "bounded by two segments' records");
        assert!(!lagging.holds_all_after(at(0)));
        assert!(lagging.holds_all_after(at(SLACK as u64)), "the oldest kept follow the last one let go");
        assert!(lagging.take(at(1), id_is(s[0].id())).is_none(), "the oldest went; the laggard decodes its own");
        let last = s.len() as u64;
        assert!(lagging.take(at(last), id_is(s[s.len() - 1].id())).is_some(), "the newest are still shared");
        assert_eq!(queued(&live), 0);
    }

    #[test]
    fn the_sample_queue_holds_batches_up_to_its_bound_in_samples() {
        let live = Arc::new(LiveSamples::default());
        let cursor = live.follow(at(0));
        let s = make(1).pop().unwrap();
        let batch = |n: usize| Arc::new((0..n).map(|i| Sample { series: s.clone(), t: i as i64, v: 0.0 }).collect());
        let per = SAMPLES_HELD / 4;
        for i in 1..=6 {
            live.recorder().record(at(i), batch(per));
        }
        assert_eq!(queued(&live), 4, "six batches of a quarter of the bound: the oldest two went");
        assert!(cursor.take(at(2), |_| true).is_none());
        assert!(!cursor.holds_all_after(at(1)) && cursor.holds_all_after(at(2)));
        let b = cursor.take(at(3), |_| true).expect("still queued");
        assert_eq!(b.len(), per);
        assert_eq!(queued(&live), 3);
    }
}
