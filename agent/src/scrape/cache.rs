//! The per-target series cache: raw series bytes → the final series (or "dropped"), plus the
//! bookkeeping for duplicate detection and staleness.
//!
//! Steady state per sample is one hash lookup and two integer writes. Entries stay a few scrapes
//! after their series disappears, so a flapping series or a failed scrape does not cost a
//! relabel on return. Never allocates on a hit.
//!
//! **Keys.** An entry is keyed by a 128-bit hash of the raw series bytes, not the bytes: 16 bytes
//! per series instead of a copy of the text (~100 bytes and an allocation). Two different series
//! of one target collide with probability about n²/2¹²⁹ (n = 10⁶ series: ~10⁻²⁷), far below any
//! hardware error rate; the two 64-bit halves are foldhash's quality hash under two fixed,
//! different seeds.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use foldhash::quality::FixedState;
use std::sync::Arc;

use crate::series::{Sample, Series, stale_nan};

/// Scrapes an unseen entry is kept before eviction.
const KEEP_SCRAPES: u64 = 4;

pub struct Entry {
    /// `None`: dropped by metric relabelling.
    pub series: Option<Arc<Series>>,
    /// The sample carried its own timestamp (no staleness marker for it, as in Prometheus).
    pub explicit_ts: bool,
    /// Values are multiplied by this (a transform plugin's rescale verdict); usually 1.
    pub scale: f64,
    seen: u64,
    prev_seen: u64,
}

/// 128-bit hash of the raw series bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64);

impl Key {
    fn of(raw: &[u8]) -> Key {
        const LO: FixedState = FixedState::with_seed(0x9e37_79b9_7f4a_7c15);
        const HI: FixedState = FixedState::with_seed(0xc2b2_ae3d_27d4_eb4f);
        Key(LO.hash_one(raw), HI.hash_one(raw))
    }
}

impl Hash for Key {
    /// The key is already a hash: its first half is the table's hash.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0);
    }
}

/// Passes a [`Key`]'s first half through.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not reached (a `Key` only writes a u64); total anyway.
        self.0 = bytes.iter().fold(self.0, |h, b| h.rotate_left(5) ^ u64::from(*b));
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

#[derive(Default)]
pub struct SeriesCache {
    map: HashMap<Key, Entry, BuildHasherDefault<KeyHasher>>,
    /// The current scrape attempt.
    generation: u64,
    /// The attempt whose series were last handed on (and so may need staleness markers).
    last_output: u64,
}

/// What a lookup found.
pub enum Lookup<'c> {
    Hit(&'c mut Entry),
    Miss,
    Duplicate,
}

impl SeriesCache {
    /// Starts a scrape attempt.
    pub fn begin(&mut self) {
        self.generation += 1;
    }

    /// Finds `raw` and marks it seen in this scrape.
    pub fn lookup(&mut self, raw: &[u8]) -> Lookup<'_> {
        let generation = self.generation;
        match self.map.get_mut(&Key::of(raw)) {
            None => Lookup::Miss,
            Some(e) if e.seen == generation => Lookup::Duplicate,
            Some(e) => {
                e.prev_seen = e.seen;
                e.seen = generation;
                Lookup::Hit(e)
            }
        }
    }

    /// Adds a new entry, seen in this scrape.
    pub fn insert(&mut self, raw: &[u8], series: Option<Arc<Series>>, explicit_ts: bool) {
        let e = Entry { series, explicit_ts, scale: 1.0, seen: self.generation, prev_seen: 0 };
        self.map.insert(Key::of(raw), e);
    }

    /// Settles an entry inserted earlier in this scrape (after the transforms decided).
    pub fn set(&mut self, raw: &[u8], series: Option<Arc<Series>>, scale: f64) {
        if let Some(e) = self.map.get_mut(&Key::of(raw)) {
            e.series = series;
            e.scale = scale;
        }
    }

    /// The series handed on by the last scrape (that staleness applies to).
    pub fn last_output(&self) -> Vec<Arc<Series>> {
        let last = self.last_output;
        let live = self.map.values().filter(|e| e.seen == last && !e.explicit_ts);
        live.filter_map(|e| e.series.clone()).collect()
    }

    /// Ends a successful scrape: stale markers for series of the last output not seen now.
    pub fn finish_ok(&mut self, t: i64, out: &mut Vec<Sample>) {
        let (generation, last) = (self.generation, self.last_output);
        self.map.retain(|_, e| {
            if e.seen == last && e.seen != generation {
                push_stale(e, t, out);
            }
            generation - e.seen <= KEEP_SCRAPES
        });
        self.last_output = generation;
    }

    /// Ends a failed scrape: nothing of it is kept; every series of the last output goes stale.
    pub fn finish_failed(&mut self, t: i64, out: &mut Vec<Sample>) {
        let (generation, last) = (self.generation, self.last_output);
        self.map.retain(|_, e| {
            if e.seen == generation {
                if e.prev_seen == 0 {
                    return false; // new in the failed scrape: never handed on
                }
                e.seen = e.prev_seen;
            }
            if e.seen == last {
                push_stale(e, t, out);
            }
            true
        });
        self.last_output = generation;
    }

    /// Stale markers for every series of the last output (the target went away).
    pub fn finish_all(&mut self, t: i64, out: &mut Vec<Sample>) {
        self.begin();
        self.finish_failed(t, out);
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

fn push_stale(e: &Entry, t: i64, out: &mut Vec<Sample>) {
    if let (Some(series), false) = (&e.series, e.explicit_ts) {
        out.push(Sample { series: series.clone(), t, v: stale_nan() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::series::{SeriesFactory, is_stale_nan};

    fn scrape(cache: &mut SeriesCache, f: &SeriesFactory, raws: &[&str], ok: bool) -> Vec<String> {
        cache.begin();
        for raw in raws {
            if let Lookup::Miss = cache.lookup(raw.as_bytes()) {
                let s = f.make(Labels::from_pairs([("__name__", *raw)]));
                cache.insert(raw.as_bytes(), Some(s), false);
            }
        }
        let mut out = Vec::new();
        if ok {
            cache.finish_ok(1, &mut out)
        } else {
            cache.finish_failed(1, &mut out)
        }
        assert!(out.iter().all(|s| is_stale_nan(s.v)));
        out.iter().map(|s| s.series.labels().get("__name__").unwrap().to_string()).collect()
    }

    #[test]
    fn vanished_series_get_one_stale_marker() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        assert!(scrape(&mut c, &f, &["a", "b"], true).is_empty());
        assert_eq!(scrape(&mut c, &f, &["a"], true), vec!["b"]);
        assert!(scrape(&mut c, &f, &["a"], true).is_empty());
    }

    #[test]
    fn failed_scrape_stales_last_output_once() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        scrape(&mut c, &f, &["a", "b"], true);
        let mut stale = scrape(&mut c, &f, &["a"], false);
        stale.sort();
        assert_eq!(stale, vec!["a", "b"]);
        assert!(scrape(&mut c, &f, &[], true).is_empty(), "no second marker after a failure");
        assert!(scrape(&mut c, &f, &["a"], true).is_empty());
    }

    #[test]
    fn first_scrape_failing_sends_no_markers() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        assert!(scrape(&mut c, &f, &["a"], false).is_empty());
        assert!(c.is_empty());
    }

    #[test]
    fn detects_duplicates_within_one_scrape() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        scrape(&mut c, &f, &["a"], true);
        c.begin();
        assert!(matches!(c.lookup(b"a"), Lookup::Hit(_)));
        assert!(matches!(c.lookup(b"a"), Lookup::Duplicate));
    }

    #[test]
    fn evicts_entries_unseen_for_several_scrapes() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        scrape(&mut c, &f, &["a", "b"], true);
        for _ in 0..=KEEP_SCRAPES {
            scrape(&mut c, &f, &["a"], true);
        }
        assert_eq!(c.len(), 1);
    }
}
