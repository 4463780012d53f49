//! One remote's reading side of the WAL: follows the segments from the remote's checkpoint to the
//! head, handing out series and sample records as [`Event`]s.
//!
//! Entry point: [`Reader::read`]. The read position is shared with retention (which may move it
//! past a segment it drops); the reader holds its lock while reading so the two never race.
//! Torn or corrupt records are counted and the rest of their segment skipped, never fatal.

use std::io::{self, ErrorKind};
use std::sync::{Arc, Mutex};

use cap_std::fs::Dir;
use tracing::warn;

use super::live::{AT_RISK, LiveCursor};
use super::record::{Record, RefSample};
use super::segment::{self, Cursor, Step};
use super::{Pos, Wal};
use crate::metrics::Counter;
use crate::series::{Batch, Series};

/// What the reader found, in WAL order.
#[derive(Debug)]
pub enum Event {
    /// A new segment starts: refs from the previous one mean nothing any more.
    Segment,
    /// A series record: its ref, and its labels in their remote-write 1.0 encoding or, if the
    /// reader shares live series ([`Reader::share_live`]) and found it, the scrape side's series
    /// of it (`rw1` is then empty: a remote falling out of the queues reads every series record
    /// of the segment at once, and must not hold a copy of each).
    Series { r#ref: u64, rw1: Box<[u8]>, live: Option<Series> },
    /// Samples of one record; `end` is the WAL position just after it.
    Samples { end: Pos, samples: Vec<RefSample>, replayed: bool },
    /// The batch this process appended as the record ending at `end`, handed over (see
    /// [`Reader::share_live`]); no series records come before it.
    LiveSamples { end: Pos, batch: Arc<Batch> },
    /// A reader that fell behind and read from disk has caught up with the writer's queue: the
    /// batches are handed over again, and the segment's series table is not needed any more.
    Rejoined,
}

impl Event {
    fn series(r#ref: u64, rw1: Box<[u8]>, live: Option<Series>) -> Event {
        let rw1 = if live.is_some() { Box::default() } else { rw1 };
        Event::Series { r#ref, rw1, live }
    }
}

pub struct Reader {
    pub(super) wal: Arc<Wal>,
    pub(super) remote: String,
    /// The next record to read; retention moves it forward when it drops a segment.
    pub(super) pos: Arc<Mutex<Pos>>,
    pub(super) cursor: Option<Cursor>,
    /// Sample records in the cursor's segment ending at or before this were acknowledged before a
    /// restart: their series records are read, the samples are not sent again.
    pub(super) skip_until: u64,
    /// The head when this reader started: samples before it were written by an earlier process.
    pub(super) replay_end: Pos,
    /// From the checkpoint: per shard of the remote's last run, the position before which that
    /// shard's samples were all acknowledged (see [`Reader::shards_acked`]).
    pub(super) shards_acked: Vec<Pos>,
    pub(super) corrupt: Arc<Counter>,
    /// Following the writer's queues (see [`Reader::share_live`]).
    pub(super) live: Option<Shared>,
}

pub(super) struct Shared {
    series: LiveCursor<Series>,
    samples: LiveCursor<Arc<Batch>>,
    /// The cursor's segment is read from the queues: sample records as the batches appended,
    /// series records passed over (a caught-up remote needs no table of them).
    now: bool,
}

impl Shared {
    /// Trails the writer's sample queue by enough that it may fall out of it.
    fn at_risk(&self) -> bool {
        self.samples.unread() >= AT_RISK
    }
}

impl Reader {
    /// Hands over what this process wrote, while it is queued (see `live`): the batches of its
    /// sample records ([`Event::LiveSamples`]) and the series of its series records: for a
    /// remote that sends the labels as they are.
    pub fn share_live(&mut self) {
        let from = *self.pos.lock().unwrap_or_else(|e| e.into_inner());
        let (series, samples) = (self.wal.live.series.follow(from), self.wal.live.samples.follow(from));
        self.live = Some(Shared { series, samples, now: false });
    }

    /// Where the next read starts.
    pub fn position(&self) -> Pos {
        *self.pos.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Per remote-write shard of the run that wrote the checkpoint (a series' shard is its label
    /// hash modulo their number): the position before which every sample of that shard was
    /// acknowledged. Samples of records ending there or before need not be sent again. Empty
    /// when the checkpoint says nothing about shards.
    pub fn shards_acked(&self) -> &[Pos] {
        &self.shards_acked
    }

    /// Whether this reader shares the writer's queues and trails them by enough samples that it
    /// may fall out of them (and read from disk) if it does not speed up.
    pub fn at_risk(&self) -> bool {
        self.live.as_ref().is_some_and(Shared::at_risk)
    }

    /// Samples of the writer's hand-over this reader has not read (0 if it does not share it).
    pub fn unread_samples(&self) -> usize {
        self.live.as_ref().map_or(0, |l| l.samples.unread())
    }

    /// Whether the next read takes the writer's queued batches (no sample decoding, no reads
    /// beyond record headers, which the page cache holds): cheap enough for a runtime worker.
    pub fn reads_live(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.now)
    }

    /// Appends events to `out` until about `max_samples` samples are read or the head is reached.
    pub fn read(&mut self, out: &mut Vec<Event>, max_samples: usize) -> io::Result<()> {
        let head = self.wal.head();
        let shared = self.pos.clone();
        let mut pos = shared.lock().unwrap_or_else(|e| e.into_inner());
        let mut samples = 0;
        while samples < max_samples {
            if !self.on_segment(&mut pos, head, out)? {
                return Ok(());
            }
            let Some(c) = self.cursor.as_mut() else { continue }; // moved past a segment: open the next
            if let Some(live) = self.live.as_mut().filter(|l| !l.now)
                && c.seg >= self.replay_end.seg
                && live.samples.holds_all_after(*pos)
            {
                live.now = true; // caught up: back to the batches as appended
                out.push(Event::Rejoined);
            }
            if let Some(live) = self.live.as_mut().filter(|l| l.now)
                && let Some((is_samples, end)) = c.peek()
            {
                let at = Pos { seg: c.seg, off: end };
                let unsent = is_samples && end > self.skip_until;
                match if unsent { live.samples.take(at, |_| true) } else { None } {
                    Some(batch) => {
                        pos.off = end;
                        samples += batch.len();
                        out.push(Event::LiveSamples { end: at, batch });
                    }
                    None if unsent => {
                        // No longer queued (this remote fell behind): from here on this segment
                        // is read from disk, which needs the series recorded before.
                        live.now = false;
                        series_before(&self.wal.dir, c.seg, c.offset(), &live.series, out)?;
                        continue;
                    }
                    None if is_samples => {
                        live.samples.take(at, |_| false); // acknowledged before a restart
                        pos.off = end.max(self.skip_until);
                    }
                    None if !live.at_risk() => {
                        live.series.take(at, |_| false); // passed over
                    }
                    None => {} // kept queued, in case this reader falls out (see `live`)
                }
                c.skip(end);
                continue;
            }
            if let Some((true, end)) = c.peek()
                && end <= self.skip_until
            {
                // A sample record acknowledged before a restart: passed over without decoding.
                if let Some(l) = &self.live {
                    l.samples.take(Pos { seg: c.seg, off: end }, |_| false);
                }
                pos.off = self.skip_until;
                c.skip(end);
                continue;
            }
            match c.next_record() {
                Step::Record(Record::Series { r#ref, rw1 }, end) => {
                    let at = Pos { seg: c.seg, off: end };
                    let live = self.live.as_ref().and_then(|l| l.series.take(at, |s| s.id() == r#ref));
                    out.push(Event::series(r#ref, rw1, live))
                }
                Step::Record(Record::Samples(s), end) => {
                    if let Some(l) = &self.live {
                        l.samples.take(Pos { seg: c.seg, off: end }, |_| false); // read from disk
                    }
                    pos.off = end.max(self.skip_until);
                    if end > self.skip_until {
                        samples += s.len();
                        let end = Pos { seg: c.seg, off: end };
                        out.push(Event::Samples { end, samples: s, replayed: end < self.replay_end });
                    }
                }
                Step::End => {
                    let limit = if c.seg == head.seg { head.off } else { u64::MAX };
                    if c.fill(limit)? == 0 && !self.segment_done(&mut pos, head)? {
                        return Ok(());
                    }
                }
                Step::Corrupt(at) => self.corrupt_at(&mut pos, head, at)?,
            }
        }
        Ok(())
    }

    /// Makes sure the cursor reads `pos.seg`; false if there is nothing to read yet.
    fn on_segment(&mut self, pos: &mut Pos, head: Pos, out: &mut Vec<Event>) -> io::Result<bool> {
        if self.cursor.as_ref().is_some_and(|c| c.seg == pos.seg) {
            return Ok(true);
        }
        // A segment of an earlier process whose every sample was acknowledged before the restart
        // is passed over: its series records would only be materialised to be thrown away.
        let acked_all = || segment::has_samples_after(&self.wal.dir, pos.seg, pos.off).map(|some| !some);
        if pos.off > 0 && pos.seg < self.replay_end.seg && pos.seg < head.seg && acked_all().unwrap_or(false) {
            return self.skip_to_next(pos, head);
        }
        match Cursor::open(&self.wal.dir, pos.seg) {
            Ok(c) => {
                self.skip_until = pos.off;
                self.cursor = Some(c);
                // Read from the queues if every batch of this segment is still there (and so
                // written by this process); a series record is needed only if one is missing.
                let own = pos.seg >= self.replay_end.seg;
                if let Some(l) = self.live.as_mut() {
                    l.now = own && l.samples.holds_all_after(*pos);
                }
                out.push(Event::Segment);
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound && pos.seg < head.seg => self.skip_to_next(pos, head),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The cursor's segment has no more bytes. If it is complete (older than the head), moves on
    /// to the next segment (counting a torn tail); false if there is nothing more to read now.
    fn segment_done(&mut self, pos: &mut Pos, head: Pos) -> io::Result<bool> {
        let Some(c) = self.cursor.as_ref() else { return Ok(false) };
        if c.seg >= head.seg {
            return Ok(false);
        }
        if c.leftover() > 0 {
            self.corrupt.inc();
            warn!(remote = %self.remote, segment = c.seg, bytes = c.leftover(), "torn WAL record at segment end skipped");
        }
        self.skip_to_next(pos, head)
    }

    fn corrupt_at(&mut self, pos: &mut Pos, head: Pos, at: u64) -> io::Result<()> {
        let seg = pos.seg;
        self.corrupt.inc();
        warn!(remote = %self.remote, segment = seg, offset = at, "corrupt WAL record; skipping the rest of its segment");
        if seg < head.seg {
            self.skip_to_next(pos, head)?;
        } else {
            // Only a disk fault can do this to the head; resume at what is written next.
            *pos = head;
            self.skip_until = head.off;
            self.cursor = None;
        }
        Ok(())
    }

    /// Moves to the oldest segment after `pos.seg` (segments may have been deleted).
    fn skip_to_next(&mut self, pos: &mut Pos, head: Pos) -> io::Result<bool> {
        self.cursor = None;
        let next = segment::list(&self.wal.dir)?.into_iter().map(|s| s.seg).find(|s| *s > pos.seg);
        *pos = Pos { seg: next.unwrap_or(head.seg).min(head.seg).max(pos.seg + 1), off: 0 };
        Ok(pos.seg <= head.seg)
    }
}

/// The series records of segment `seg` before offset `upto`, as events: what a reader that passed
/// over them needs when it starts reading the segment's samples from disk.
fn series_before(dir: &Dir, seg: u64, upto: u64, live: &LiveCursor<Series>, out: &mut Vec<Event>) -> io::Result<()> {
    let mut c = Cursor::open(dir, seg)?;
    loop {
        match c.next_record() {
            Step::Record(Record::Series { r#ref, rw1 }, end) => {
                let live = live.take(Pos { seg, off: end }, |s| s.id() == r#ref);
                out.push(Event::series(r#ref, rw1, live));
            }
            Step::Record(..) => {}
            Step::End if c.fill(upto)? > 0 => {}
            Step::End | Step::Corrupt(_) => return Ok(()),
        }
    }
}
