//! The series of the WAL segment a remote is reading, by ref: what the pump looks up for every
//! sample.
//!
//! Refs are series ids, handed out in sequence by the process that wrote the segment, and a
//! scrape's samples come in the order its series were created; so the map is mostly an array
//! indexed by ref (sequential memory, no hashing), with a hash map for refs far beyond the
//! number of series seen (a long-running process' ids after much churn).
//!
//! The array is kept in chunks of 4,096 slots, never moved: a table of 500,000 series grows
//! without copying itself (a `Vec` doubling would copy it and, for a while, hold it twice) and
//! carries at most one chunk of empty tail.

use std::collections::HashMap;

/// Slots per chunk.
const CHUNK: usize = 4096;

/// ref → `V`, cleared at every segment.
pub struct RefMap<V> {
    chunks: Vec<Box<[Option<V>]>>,
    sparse: HashMap<u64, V, foldhash::fast::RandomState>,
    len: usize,
}

impl<V> Default for RefMap<V> {
    fn default() -> Self {
        RefMap { chunks: Vec::new(), sparse: HashMap::default(), len: 0 }
    }
}

/// The array may grow to this many slots past twice the entries.
const SLACK: usize = 1 << 16;

impl<V> RefMap<V> {
    pub fn get(&self, r: u64) -> Option<&V> {
        let i = r as usize;
        match self.chunks.get(i / CHUNK).and_then(|c| c[i % CHUNK].as_ref()) {
            Some(v) => Some(v),
            None if self.sparse.is_empty() => None,
            None => self.sparse.get(&r),
        }
    }

    pub fn insert(&mut self, r: u64, v: V) {
        if self.get(r).is_some() {
            self.len -= 1; // replaced, not added
        }
        self.len += 1;
        let i = r as usize;
        let dense = self.chunks.len() * CHUNK;
        if i < dense || i < 2 * self.len + SLACK {
            while self.chunks.len() <= i / CHUNK {
                self.chunks.push((0..CHUNK).map(|_| None).collect());
            }
            if !self.sparse.is_empty() {
                self.sparse.remove(&r);
            }
            self.chunks[i / CHUNK][i % CHUNK] = Some(v);
        } else {
            self.sparse.insert(r, v);
        }
    }

    /// Forgets every ref (a new segment starts).
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.sparse.clear();
        self.len = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_far_refs_both_resolve_and_clear_forgets_them() {
        let mut m = RefMap::default();
        let far = 1u64 << 40;
        for r in [1u64, 7, 3, far, 70_000, u64::MAX] {
            m.insert(r, r / 2);
        }
        for r in [1u64, 7, 3, far, 70_000, u64::MAX] {
            assert_eq!(m.get(r), Some(&(r / 2)), "{r}");
        }
        assert_eq!(m.get(2), None);
        assert_eq!(m.get(far + 1), None);
        m.insert(3, 9);
        assert_eq!(m.get(3), Some(&9), "a later record of a ref wins");
        assert_eq!(m.len(), 6, "a ref recorded again is counted once");
        m.clear();
        assert_eq!((m.get(1), m.get(far)), (None, None));
    }

    #[test]
    fn a_far_ref_stays_found_when_the_array_grows_past_it() {
        let mut m = RefMap::default();
        m.insert(100_000, 7);
        assert!(m.chunks.is_empty(), "far beyond the entries: hashed");
        for r in 1..=17_000 {
            m.insert(r, 0);
        }
        m.insert(99_000, 1);
        assert!(m.chunks.len() * CHUNK > 100_000, "the array now covers it");
        assert_eq!((m.get(100_000), m.get(99_000), m.len()), (Some(&7), Some(&1), 17_002));
    }
}
