//! The series the WAL writer recorded in this process, by ref: a remote reading a series record
//! back resolves it to the scrape side's own [`Series`] instead of building a copy (see
//! `RemoteSeries`).
//!
//! The table holds a handle of each series (8 bytes). A series nothing else holds any more (its
//! target's cache let go, its samples are sent) is swept at the next segment rotation, or when the
//! table has doubled since the last sweep, whichever comes first: under churn the table stays
//! within twice the live series. Refs are handed out in sequence, so the table is a [`RefMap`].

use std::sync::{Mutex, MutexGuard};

use crate::remote_write::refs::RefMap;
use crate::series::Series;

#[derive(Default)]
pub struct LiveSeries(Mutex<Table>);

#[derive(Default)]
struct Table {
    map: RefMap<Series>,
    /// Entries left by the last sweep.
    kept: usize,
}

impl Table {
    fn sweep(&mut self) {
        self.map.retain(Series::is_shared);
        self.kept = self.map.len();
    }
}

impl LiveSeries {
    /// Locks the table for a batch of [`Recorder::record`] calls.
    pub fn recorder(&self) -> Recorder<'_> {
        Recorder(self.lock())
    }

    /// The series of `r`, if this process recorded it since the last sweep it survived.
    pub fn get(&self, r: u64) -> Option<Series> {
        self.lock().map.get(r).cloned()
    }

    /// Forgets the series nothing else holds any more.
    pub fn sweep(&self) {
        self.lock().sweep();
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Recorder<'a>(MutexGuard<'a, Table>);

impl Recorder<'_> {
    pub fn record(&mut self, s: &Series) {
        let t = &mut *self.0;
        if t.map.get(s.id()).is_none() {
            t.map.insert(s.id(), s.clone());
            if t.map.len() > 2 * t.kept + 4096 {
                t.sweep();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::series::SeriesFactory;

    #[test]
    fn resolves_recorded_series_and_sweeps_unheld_ones() {
        let (live, f) = (LiveSeries::default(), SeriesFactory::default());
        let a = f.make(Labels::from_pairs([("__name__", "a")]));
        let b = f.make(Labels::from_pairs([("__name__", "b")]));
        let mut rec = live.recorder();
        rec.record(&a);
        rec.record(&b);
        rec.record(&a);
        drop(rec);
        assert!(Series::ptr_eq(&live.get(a.id()).unwrap(), &a));
        let b_id = b.id();
        drop(b);
        assert!(live.get(b_id).is_some(), "kept until the sweep: its record may still be read");
        live.sweep();
        assert!(live.get(b_id).is_none(), "swept once nothing else holds it");
        assert_eq!(live.lock().map.len(), 1);
        assert!(live.get(12345).is_none());
    }

    #[test]
    fn a_growing_table_sweeps_itself() {
        let (live, f) = (LiveSeries::default(), SeriesFactory::default());
        let held = f.make(Labels::from_pairs([("__name__", "held")]));
        live.recorder().record(&held);
        for i in 0..5000 {
            live.recorder().record(&f.make(Labels::from_pairs([("__name__", i.to_string().as_str())])));
        }
        let n = live.lock().map.len();
        assert!(n < 5000, "unheld series swept without a rotation ({n} left)");
        assert!(live.get(held.id()).is_some());
    }
}
