//! The series the WAL writer recorded that may still be alive in this process, by ref: a remote
//! reading a series record back resolves it to the scrape side's own [`Series`] and shares its
//! label bytes instead of building a copy (see `RemoteSeries`).
//!
//! Entries are weak: a series lives as long as its scrape cache (or a queued sample) keeps it.
//! Dead entries are swept when a segment is rotated; until then one costs its `Arc`'s 48 bytes.
//! Refs are handed out in sequence, so the table is a [`RefMap`]: 8 bytes a series, mostly.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::remote_write::refs::RefMap;
use crate::series::Series;

#[derive(Default)]
pub struct LiveSeries(Mutex<RefMap<Weak<Series>>>);

impl LiveSeries {
    /// Locks the table for a batch of [`Recorder::record`] calls.
    pub fn recorder(&self) -> Recorder<'_> {
        Recorder(self.lock())
    }

    /// The series of `r` if it is still alive.
    pub fn get(&self, r: u64) -> Option<Arc<Series>> {
        self.lock().get(r)?.upgrade()
    }

    /// Forgets the series no longer alive.
    pub fn sweep(&self) {
        self.lock().retain(|w| w.strong_count() > 0);
    }

    fn lock(&self) -> MutexGuard<'_, RefMap<Weak<Series>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Recorder<'a>(MutexGuard<'a, RefMap<Weak<Series>>>);

impl Recorder<'_> {
    pub fn record(&mut self, s: &Arc<Series>) {
        if self.0.get(s.id).is_none_or(|w| w.strong_count() == 0) {
            self.0.insert(s.id, Arc::downgrade(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::series::SeriesFactory;

    #[test]
    fn resolves_live_series_and_sweeps_dead_ones() {
        let (live, f) = (LiveSeries::default(), SeriesFactory::default());
        let a = f.make(Labels::from_pairs([("__name__", "a")]));
        let b = f.make(Labels::from_pairs([("__name__", "b")]));
        let mut rec = live.recorder();
        rec.record(&a);
        rec.record(&b);
        rec.record(&a);
        drop(rec);
        assert!(Arc::ptr_eq(&live.get(a.id).unwrap(), &a));
        let b_id = b.id;
        drop(b);
        assert!(live.get(b_id).is_none(), "a dead series is not resolved");
        live.sweep();
        assert_eq!(live.lock().len(), 1);
        assert!(live.get(12345).is_none());
    }
}
