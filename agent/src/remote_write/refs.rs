//! The series of the WAL segment a remote is reading, by ref: what the pump looks up for every
//! sample.
//!
//! Refs are series ids, handed out in sequence by the process that wrote the segment, and a
//! scrape's samples come in the order its series were created; so the map is mostly a `Vec`
//! indexed by ref (sequential memory, no hashing), with a hash map for refs far beyond the
//! number of series seen (a long-running process' ids after much churn).

use std::collections::HashMap;

/// ref → `V`, cleared at every segment.
pub struct RefMap<V> {
    dense: Vec<Option<V>>,
    sparse: HashMap<u64, V, foldhash::fast::RandomState>,
    len: usize,
}

impl<V> Default for RefMap<V> {
    fn default() -> Self {
        RefMap { dense: Vec::new(), sparse: HashMap::default(), len: 0 }
    }
}

/// The dense part may grow to this many slots past twice the entries (16 bytes a slot).
const SLACK: usize = 1 << 16;

impl<V> RefMap<V> {
    pub fn get(&self, r: u64) -> Option<&V> {
        match self.dense.get(r as usize) {
            Some(Some(v)) => Some(v),
            _ => self.sparse.get(&r),
        }
    }

    pub fn insert(&mut self, r: u64, v: V) {
        if self.get(r).is_some() {
            self.len -= 1; // replaced, not added
        }
        self.len += 1;
        let i = r as usize;
        if i < self.dense.len() || i < 2 * self.len + SLACK {
            if i >= self.dense.len() {
                let more = i + 1 - self.dense.len();
                grow_by_eighths(&mut self.dense, more);
                self.dense.resize_with(i + 1, || None);
            }
            self.sparse.remove(&r);
            self.dense[i] = Some(v);
        } else {
            self.sparse.insert(r, v);
        }
    }

    /// Forgets every ref (a new segment starts); keeps the dense part's capacity.
    pub fn clear(&mut self) {
        self.dense.clear();
        self.sparse.clear();
        self.len = 0;
    }

    /// Keeps the entries `keep` says to; trims the dense part's empty tail.
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        for slot in &mut self.dense {
            if slot.as_ref().is_some_and(|v| !keep(v)) {
                *slot = None;
            }
        }
        self.sparse.retain(|_, v| keep(v));
        let tail = self.dense.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        self.dense.truncate(tail);
        self.len = self.dense.iter().flatten().count() + self.sparse.len();
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Makes room for `more` items, growing by an eighth rather than doubling: a table of 500,000
/// series would otherwise carry up to as many empty slots. (Still amortised: the moves add up to
/// about nine times the final size.)
pub fn grow_by_eighths<T>(v: &mut Vec<T>, more: usize) {
    if v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.len() / 8 + 16));
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
        m.retain(|v| *v != 35_000 && *v != 0);
        assert_eq!((m.get(70_000), m.get(1), m.get(7)), (None, None, Some(&3)));
        assert_eq!(m.len(), 4, "7, 3, far and u64::MAX are left");
        m.clear();
        assert_eq!((m.get(1), m.get(far)), (None, None));
    }
}
