//! The process' interned label pairs: each distinct `name="value"` held once, in its remote-write
//! 1.0 encoding (a `Label` message with its tag and length), and named by a 4-byte id.
//!
//! Most pairs repeat across series: `job` and `instance` across a target, every pod label, each
//! `method`, `code` and `le` value, each metric name across its labels. A series is then a list of
//! pair ids instead of its label text (about 190 bytes at 500,000 series of the peer benchmark,
//! 7 labels each, become 28).
//!
//! **Reading** a pair's bytes takes no lock: ids index a table of fixed-size chunks that are never
//! moved or freed, so a reader follows two pointers. A reader only ever holds ids of a series it
//! holds, which keeps the pairs alive (below), and it got that series through a channel or lock
//! that ordered it after the pair was written.
//!
//! **Lifetimes.** Each pair counts the series that hold it: interning adds one (under the pool's
//! lock), a series' last handle going subtracts one for each of its pairs (without the lock). A
//! pair at zero stays in the pool, to be found again, until the pool has doubled since its last
//! sweep; the sweep frees the pairs still at zero and reuses their ids. A count only rises from
//! zero under the lock the sweep holds, so the sweep cannot free a pair a new series is taking.

use std::hash::BuildHasher;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use hashbrown::HashTable;

const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
/// Up to 2²⁶ (67 million) pairs live at once.
const CHUNKS: usize = 1 << 14;

/// One pair's place: its bytes (a leaked boxed slice) and how many series hold it.
struct Slot {
    ptr: AtomicPtr<u8>,
    len: AtomicU32,
    held: AtomicU32,
}

/// The chunks of slots, allocated as ids reach them; 128 kB of address space, touched as used.
static CHUNK_PTRS: [AtomicPtr<Slot>; CHUNKS] = [const { AtomicPtr::new(null_mut()) }; CHUNKS];

fn slot(id: u32) -> &'static Slot {
    let chunk = CHUNK_PTRS[(id >> CHUNK_BITS) as usize].load(Ordering::Acquire);
    debug_assert!(!chunk.is_null(), "pair {id} was never interned");
    // SAFETY: `id` came from `Interner::pair`, which allocated its chunk (never freed) first.
    unsafe { &*chunk.add(id as usize & (CHUNK - 1)) }
}

/// The `Label` message of pair `id`: tag, length, name field, value field. The caller holds a
/// series that holds the pair (so it is not swept while the slice is in use).
pub(super) fn bytes(id: u32) -> &'static [u8] {
    let s = slot(id);
    // SAFETY: written before the id was handed out, freed only once no series holds it.
    unsafe { std::slice::from_raw_parts(s.ptr.load(Ordering::Relaxed), s.len.load(Ordering::Relaxed) as usize) }
}

/// One series that held pair `id` is gone.
pub(super) fn release(id: u32) {
    slot(id).held.fetch_sub(1, Ordering::Release);
}

struct Pool {
    /// Ids of the interned pairs, hashed by their bytes.
    index: HashTable<u32>,
    /// Ids freed by sweeps, reused first.
    free: Vec<u32>,
    /// Ids handed out so far (the next fresh one).
    next: u32,
    /// Pairs left after the last sweep.
    kept: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { index: HashTable::new(), free: Vec::new(), next: 0, kept: 0 });

const HASH: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0);

/// Pairs the pool may grow by beyond twice what the last sweep kept before it sweeps again.
/// Smaller under Miri, so that its tests reach a sweep in few (interpreted) steps.
const SWEEP_SLACK: usize = if cfg!(miri) { 64 } else { 4096 };

/// A held lock on the pool, for interning the pairs of one series.
pub(super) struct Interner(MutexGuard<'static, Pool>);

impl Interner {
    pub(super) fn lock() -> Interner {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.index.len() > 2 * pool.kept + SWEEP_SLACK {
            pool.sweep();
        }
        Interner(pool)
    }

    /// The id of the pair with these encoded bytes (one `Label` message), held once more: the
    /// caller gives it back with [`release`].
    pub(super) fn pair(&mut self, encoded: &[u8]) -> u32 {
        // A series' pair count is recomputed from its encoded length: every pair must take bytes.
        debug_assert!(!encoded.is_empty(), "an empty label pair");
        let pool = &mut *self.0;
        let hash = HASH.hash_one(encoded);
        if let Some(&id) = pool.index.find(hash, |&id| bytes(id) == encoded) {
            slot(id).held.fetch_add(1, Ordering::Relaxed);
            return id;
        }
        let id = pool.free.pop().unwrap_or_else(|| pool.fresh_id());
        let s = slot(id);
        let len = u32::try_from(encoded.len()).expect("a label pair over 4 GiB");
        s.ptr.store(Box::leak(Box::<[u8]>::from(encoded)).as_mut_ptr(), Ordering::Relaxed);
        s.len.store(len, Ordering::Relaxed);
        s.held.store(1, Ordering::Relaxed);
        pool.index.insert_unique(hash, id, |&id| HASH.hash_one(bytes(id)));
        id
    }
}

impl Pool {
    fn fresh_id(&mut self) -> u32 {
        let id = self.next;
        let chunk = &CHUNK_PTRS[(id >> CHUNK_BITS) as usize]; // panics past 2²⁶ live pairs
        if chunk.load(Ordering::Relaxed).is_null() {
            let slots: Box<[Slot]> = (0..CHUNK)
                .map(|_| Slot { ptr: AtomicPtr::new(null_mut()), len: AtomicU32::new(0), held: AtomicU32::new(0) })
                .collect();
            chunk.store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
        }
        self.next += 1;
        id
    }

    /// Frees the pairs no series holds.
    fn sweep(&mut self) {
        let free = &mut self.free;
        self.index.retain(|&mut id| {
            let s = slot(id);
            if s.held.load(Ordering::Acquire) > 0 {
                return true;
            }
            let len = s.len.load(Ordering::Relaxed) as usize;
            let ptr = s.ptr.swap(null_mut(), Ordering::Relaxed);
            // SAFETY: leaked from a boxed slice of `len` bytes in `pair`; no series holds it, and
            // only `pair`, under this lock, could have handed it out again.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
            free.push(id);
            false
        });
        self.kept = self.index.len();
    }
}

/// Sweeps now, whatever the pool's size (the stress test's sweeper thread).
#[cfg(test)]
pub(super) fn sweep_now() {
    POOL.lock().unwrap_or_else(|e| e.into_inner()).sweep();
}

/// How many series hold the pair with these encoded bytes; `None` if it is not in the pool.
#[cfg(test)]
pub(super) fn held(encoded: &[u8]) -> Option<u32> {
    let pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let id = *pool.index.find(HASH.hash_one(encoded), |&id| bytes(id) == encoded)?;
    Some(slot(id).held.load(Ordering::Acquire))
}

/// Checks the pool's own invariants, panicking with the first broken one: every indexed pair has
/// bytes (at least a tag) and is found again by them, ids are below the next fresh one, and a
/// freed id has no bytes and is neither indexed nor freed twice.
#[cfg(test)]
pub(super) fn check_pool() {
    let pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    for &id in pool.index.iter() {
        assert!(id < pool.next, "indexed pair {id} beyond the ids handed out ({})", pool.next);
        let s = slot(id);
        assert!(!s.ptr.load(Ordering::Relaxed).is_null(), "indexed pair {id} has no bytes");
        assert!(!bytes(id).is_empty(), "indexed pair {id} is empty (a series' walk would miscount)");
        let found = pool.index.find(HASH.hash_one(bytes(id)), |&other| bytes(other) == bytes(id));
        assert_eq!(found, Some(&id), "pair {id} is not found by its bytes (hashed wrongly or held twice)");
    }
    let indexed: std::collections::HashSet<u32> = pool.index.iter().copied().collect();
    let mut free = pool.free.clone();
    free.sort_unstable();
    assert!(free.windows(2).all(|w| w[0] != w[1]), "an id freed twice");
    for &id in &free {
        assert!(slot(id).ptr.load(Ordering::Relaxed).is_null(), "freed pair {id} still has bytes");
        assert!(!indexed.contains(&id), "freed pair {id} is still indexed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "an empty label pair")]
    fn an_empty_pair_is_refused_in_debug_builds() {
        Interner::lock().pair(b"");
    }

    #[test]
    fn equal_pairs_are_one_id_and_unheld_ones_are_swept() {
        let mut i = Interner::lock();
        let a = i.pair(b"\x0a\x03\x0a\x01a\x12\x00");
        let b = i.pair(b"\x0a\x03\x0a\x01a\x12\x00");
        assert_eq!(a, b);
        assert_eq!(bytes(a), b"\x0a\x03\x0a\x01a\x12\x00");
        let marker = i.pair(b"\x0a\x07\x0a\x01z\x12\x02swept-test");
        release(marker);
        // Enough unheld filler pairs that the next lock sweeps.
        let n = i.0.index.len();
        i.0.kept = 0;
        for k in 0..(2 * n + SWEEP_SLACK + 1) as u32 {
            release(i.pair(&k.to_le_bytes()));
        }
        drop(i);
        let mut i = Interner::lock();
        let find = |i: &Interner, b: &[u8]| i.0.index.find(HASH.hash_one(b), |&id| bytes(id) == b).copied();
        assert_eq!(find(&i, b"\x0a\x07\x0a\x01z\x12\x02swept-test"), None, "a pair no series holds is swept");
        assert_eq!(find(&i, bytes(a)), Some(a), "a held pair stays");
        let again = i.pair(b"\x0a\x03\x0a\x01a\x12\x00");
        assert_eq!(again, a);
        release(again);
        release(a);
        release(b);
    }
}
