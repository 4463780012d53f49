//! The per-target series cache: raw series bytes → the final series (or "dropped"), plus the
//! bookkeeping for duplicate detection and staleness.
//!
//! Steady state per sample is one hash of the raw bytes, one comparison and two integer writes.
//! Entries stay a few scrapes after their series disappears, so a flapping series or a failed
//! scrape does not cost a relabel on return. Never allocates on a hit.
//!
//! **Order.** A target writes its series in the same order every scrape, so the entries are kept
//! in a `Vec` in the order they were first seen and a lookup first tries the entry after the last
//! one found: the scrape walks the entries front to back, which the CPU prefetches, instead of
//! jumping around a hash table of a few hundred kB per target (at 500,000 series the random
//! probes were 17% of the agent's CPU, mostly cache misses). An index (a hash table of entry
//! positions) answers when the guess is wrong: a new series, a reordered body. It is built on the
//! first wrong guess of a scrape and dropped when the scrape ends, so no target holds one between
//! scrapes (8 bytes a series; after a restart every target's first scrape builds one at once).
//! Rebuilding costs about one lookup per entry, only for scrapes that need it.
//!
//! **Keys.** An entry is keyed by an 88-bit hash of the raw series bytes, not the bytes: 11 bytes
//! per series instead of a copy of the text (~100 bytes and an allocation). Two different series
//! of one target collide with probability about n²/2⁸⁹ (n = 10⁶ series: ~10⁻¹⁵), far below any
//! hardware error rate; the two parts are foldhash's quality hash under two fixed, different
//! seeds.
//!
//! **Size.** An entry is 24 bytes (at 500,000 series every byte of it is 0.5 MB): the key's
//! second part, two flags and the scrape before last (as a distance) share one word, and the rare
//! value scale of a transform's verdict lives in a side table, flagged in the entry.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::quality::FixedState;
use hashbrown::HashTable;

use crate::series::{Sample, Series, stale_nan};

/// Scrapes an unseen entry is kept before eviction.
const KEEP_SCRAPES: u32 = 4;

struct Entry {
    /// The key's first part (what the index hashes by).
    key_lo: u64,
    /// `None`: dropped by metric relabelling.
    series: Option<Series>,
    /// The scrape attempt that last saw it.
    seen: u32,
    /// The key's second part (24 bits) above `PREV_BITS`, `EXPLICIT_TS`, `SCALED`.
    meta: u32,
}

/// The attempt that saw an entry before `seen`, as `seen` minus it (0: none; saturated: long ago).
const PREV_BITS: u32 = 0x3f;
/// The sample carried its own timestamp (no staleness marker for it, as in Prometheus).
const EXPLICIT_TS: u32 = 0x40;
/// Its values are multiplied by a factor other than 1 (in `SeriesCache::scales`).
const SCALED: u32 = 0x80;
const KEY_HI: u32 = !0xff;

/// 88-bit hash of the raw series bytes (the second part's low 8 bits are 0).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key(u64, u32);

impl Key {
    fn of(raw: &[u8]) -> Key {
        const LO: FixedState = FixedState::with_seed(0x9e37_79b9_7f4a_7c15);
        const HI: FixedState = FixedState::with_seed(0xc2b2_ae3d_27d4_eb4f);
        Key(LO.hash_one(raw), HI.hash_one(raw) as u32 & KEY_HI)
    }
}

impl Entry {
    fn key(&self) -> Key {
        Key(self.key_lo, self.meta & KEY_HI)
    }

    fn flag(&self, flag: u32) -> bool {
        self.meta & flag != 0
    }

    fn set_flag(&mut self, flag: u32, on: bool) {
        self.meta = if on { self.meta | flag } else { self.meta & !flag };
    }

    /// The attempt that saw it before `seen` (0: none).
    fn prev_seen(&self) -> u32 {
        match self.meta & PREV_BITS {
            0 => 0,
            d => self.seen.saturating_sub(d),
        }
    }

    /// Marks it seen in attempt `generation` (after `seen`).
    fn see(&mut self, generation: u32) {
        let distance = (generation - self.seen).min(PREV_BITS);
        self.meta = self.meta & !PREV_BITS | distance;
        self.seen = generation;
    }
}

#[derive(Default)]
pub struct SeriesCache {
    /// In the order first seen.
    entries: Vec<Entry>,
    /// Positions in `entries`, hashed by their key's first part; empty until a scrape needs it
    /// (`indexed`).
    index: HashTable<u32>,
    indexed: bool,
    /// The value scale of entries flagged `scaled`, by their key's first part.
    scales: HashMap<u64, f64, foldhash::fast::FixedState>,
    /// Where the next lookup looks first: after the entry last found.
    cursor: usize,
    /// The current scrape attempt.
    generation: u32,
    /// The attempt whose series were last handed on (and so may need staleness markers).
    last_output: u32,
}

/// What a lookup found.
pub enum Lookup {
    /// The series (`None`: dropped by metric relabelling) and the factor its values are
    /// multiplied by (a transform plugin's rescale verdict; usually 1).
    Hit(Option<Series>, f64),
    Miss,
    /// Seen before in this scrape (a repeated series): the same as [`Lookup::Hit`] says.
    Repeat(Option<Series>, f64),
}

impl SeriesCache {
    /// Starts a scrape attempt.
    pub fn begin(&mut self) {
        self.generation += 1;
        self.cursor = 0;
    }

    /// Finds `raw` and marks it seen in this scrape.
    pub fn lookup(&mut self, raw: &[u8]) -> Lookup {
        let Some(i) = self.find(Key::of(raw)) else { return Lookup::Miss };
        self.cursor = i + 1;
        let (generation, e) = (self.generation, &mut self.entries[i]);
        let scale = if e.flag(SCALED) { self.scales.get(&e.key_lo).copied().unwrap_or(1.0) } else { 1.0 };
        if e.seen == generation {
            return Lookup::Repeat(e.series.clone(), scale);
        }
        e.see(generation);
        Lookup::Hit(e.series.clone(), scale)
    }

    fn find(&mut self, key: Key) -> Option<usize> {
        if let Some(e) = self.entries.get(self.cursor)
            && e.key() == key
        {
            return Some(self.cursor);
        }
        if !self.indexed {
            self.build_index();
        }
        self.index.find(key.0, |&i| self.entries[i as usize].key() == key).map(|&i| i as usize)
    }

    fn build_index(&mut self) {
        self.index.clear();
        self.index.reserve(self.entries.len(), |_| unreachable!("reserved on an empty table"));
        let entries = &self.entries;
        for (i, e) in entries.iter().enumerate() {
            self.index.insert_unique(e.key_lo, i as u32, |&j| entries[j as usize].key_lo);
        }
        self.indexed = true;
    }

    /// Adds a new entry, seen in this scrape.
    pub fn insert(&mut self, raw: &[u8], series: Option<Series>, explicit_ts: bool) {
        let key = Key::of(raw);
        let i = self.entries.len();
        if self.entries.len() == self.entries.capacity() {
            // By an eighth, not doubling: a target's 5,000 entries would carry up to as many
            // empty ones (still amortised: the moves add up to about nine times the final size).
            self.entries.reserve_exact(self.entries.len() / 8 + 16);
        }
        let meta = key.1 | if explicit_ts { EXPLICIT_TS } else { 0 };
        self.entries.push(Entry { key_lo: key.0, series, seen: self.generation, meta });
        if self.indexed {
            let entries = &self.entries;
            self.index.insert_unique(key.0, i as u32, |&j| entries[j as usize].key_lo);
        }
    }

    /// Settles an entry inserted earlier in this scrape (after the transforms decided).
    pub fn set(&mut self, raw: &[u8], series: Option<Series>, scale: f64) {
        if let Some(i) = self.find(Key::of(raw)) {
            let e = &mut self.entries[i];
            e.series = series;
            e.set_flag(SCALED, scale != 1.0);
            if scale != 1.0 {
                self.scales.insert(e.key_lo, scale);
            } else if !self.scales.is_empty() {
                self.scales.remove(&e.key_lo);
            }
        }
    }

    /// The series handed on by the last scrape (that staleness applies to).
    pub fn last_output(&self) -> Vec<Series> {
        let last = self.last_output;
        let live = self.entries.iter().filter(|e| e.seen == last && !e.flag(EXPLICIT_TS));
        live.filter_map(|e| e.series.clone()).collect()
    }

    /// Ends a successful scrape: stale markers for series of the last output not seen now.
    pub fn finish_ok(&mut self, t: i64, out: &mut Vec<Sample>) {
        let (generation, last) = (self.generation, self.last_output);
        self.retain(|e| {
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
        self.retain(|e| {
            if e.seen == generation {
                if e.prev_seen() == 0 {
                    return false; // new in the failed scrape: never handed on
                }
                e.seen = e.prev_seen();
                e.meta &= !PREV_BITS;
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
        self.entries = Vec::new();
        self.index = HashTable::new();
        self.indexed = false;
        self.scales = HashMap::default();
    }

    /// Keeps the entries `keep` says to, in order, and drops the index (the attempt is over).
    fn retain(&mut self, mut keep: impl FnMut(&mut Entry) -> bool) {
        let before = self.entries.len();
        let scales = &mut self.scales;
        self.entries.retain_mut(|e| {
            let kept = keep(e);
            if !kept && e.flag(SCALED) {
                scales.remove(&e.key_lo);
            }
            kept
        });
        if self.entries.len() != before && self.entries.capacity() > 2 * self.entries.len() {
            self.entries.shrink_to_fit();
        }
        self.index = HashTable::new();
        self.indexed = false;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn push_stale(e: &Entry, t: i64, out: &mut Vec<Sample>) {
    if let (Some(series), false) = (&e.series, e.flag(EXPLICIT_TS)) {
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
        assert!(matches!(c.lookup(b"a"), Lookup::Hit(..)));
        assert!(matches!(c.lookup(b"a"), Lookup::Repeat(Some(_), _)));
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

    #[test]
    fn finds_every_series_whatever_the_order_and_after_evictions() {
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        scrape(&mut c, &f, &["a", "b", "c", "d"], true);
        let hits = |c: &mut SeriesCache, raws: &[&str]| {
            c.begin();
            raws.iter().filter(|r| matches!(c.lookup(r.as_bytes()), Lookup::Hit(..))).count()
        };
        assert!(!c.indexed, "no index is kept between scrapes");
        assert_eq!(hits(&mut c, &["d", "c", "b", "a"]), 4);
        assert!(c.indexed);
        assert_eq!(hits(&mut c, &["b", "x", "d", "a"]), 3);
        for _ in 0..=KEEP_SCRAPES {
            scrape(&mut c, &f, &["a", "d"], true); // b and c are evicted, d moves down
        }
        assert_eq!(c.len(), 2);
        assert_eq!(hits(&mut c, &["d", "b", "a"]), 2);
        c.begin();
        assert!(matches!(c.lookup(b"a"), Lookup::Hit(..)));
        assert!(matches!(c.lookup(b"a"), Lookup::Repeat(..)), "a repeat right after its first sample");
    }

    #[test]
    fn entries_stay_24_bytes_and_keep_their_scale() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        let (mut c, f) = (SeriesCache::default(), SeriesFactory::default());
        scrape(&mut c, &f, &["a", "b"], true);
        c.set(b"b", None, 0.25);
        c.begin();
        assert!(matches!(c.lookup(b"a"), Lookup::Hit(Some(_), s) if s == 1.0));
        assert!(matches!(c.lookup(b"b"), Lookup::Hit(None, s) if s == 0.25));
        c.set(b"b", None, 1.0);
        assert!(c.scales.is_empty(), "a scale back to 1 leaves the side table");
        c.set(b"b", None, 0.5);
        for _ in 0..=KEEP_SCRAPES + 1 {
            scrape(&mut c, &f, &["a"], true);
        }
        assert_eq!(c.len(), 1);
        assert!(c.scales.is_empty(), "an evicted entry's scale goes with it");
    }
}
