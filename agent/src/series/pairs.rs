//! The process' interned label pairs: each distinct `name="value"` held once, in its remote-write
//! 1.0 encoding (a `Label` message with its tag and length), and shared by every series that has it.
//!
//! Most pairs repeat across series: `job` and `instance` across a target, every pod label, each
//! `method`, `code` and `le` value, each metric name across its labels. A series is then a list of
//! 8-byte pair pointers instead of its label text (about 190 bytes at 500,000 series of the
//! peer benchmark, 7 labels each).
//!
//! Pairs are reference counted. The pool keeps one reference of its own and drops the pairs no
//! series holds when it has doubled since the last sweep, so churn (pods replaced, new `pod` and
//! `instance` values) does not grow it for ever. Interning locks the pool; only new series do it.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

use triomphe::ThinArc;

/// One interned pair: a thin (8-byte) counted pointer to its encoded bytes.
#[derive(Clone)]
pub struct Pair(ThinArc<(), u8>);

impl Pair {
    /// The `Label` message: tag, length, name field, value field.
    pub fn bytes(&self) -> &[u8] {
        &self.0.slice
    }
}

impl Borrow<[u8]> for Pair {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Pair) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Pair {}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state)
    }
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.bytes()))
    }
}

#[derive(Default)]
struct Pool {
    pairs: HashSet<Pair, foldhash::fast::FixedState>,
    /// Pairs left after the last sweep.
    kept: usize,
}

static POOL: Mutex<Pool> =
    Mutex::new(Pool { pairs: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0)), kept: 0 });

/// A held lock on the pool, for interning the pairs of one series.
pub struct Interner(MutexGuard<'static, Pool>);

impl Interner {
    pub fn lock() -> Interner {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.pairs.len() > 2 * pool.kept + 4096 {
            pool.pairs.retain(|p| ThinArc::strong_count(&p.0) > 1);
            pool.kept = pool.pairs.len();
        }
        Interner(pool)
    }

    /// The pair with these encoded bytes (one `Label` message).
    pub fn pair(&mut self, encoded: &[u8]) -> Pair {
        if let Some(p) = self.0.pairs.get(encoded) {
            return p.clone();
        }
        let p = Pair(ThinArc::from_header_and_slice((), encoded));
        self.0.pairs.insert(p.clone());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_pairs_are_one_allocation_and_unheld_ones_are_swept() {
        let mut i = Interner::lock();
        let a = i.pair(b"\x0a\x03\x0a\x01a\x12\x00");
        let b = i.pair(b"\x0a\x03\x0a\x01a\x12\x00");
        assert_eq!(a.bytes().as_ptr(), b.bytes().as_ptr());
        drop(i);
        let marker = b"\x0a\x07\x0a\x01z\x12\x02swept-test";
        drop(Interner::lock().pair(marker));
        let mut pool = POOL.lock().unwrap();
        pool.kept = 0;
        let n = pool.pairs.len();
        for k in 0..(2 * n + 4097) as u32 {
            let p = Pair(ThinArc::from_header_and_slice((), &k.to_le_bytes()));
            pool.pairs.insert(p);
        }
        drop(pool);
        let mut i = Interner::lock();
        assert!(!i.0.pairs.contains(&marker[..]), "a pair no series holds is swept");
        assert!(i.0.pairs.contains(a.bytes()), "a held pair stays");
        assert_eq!(i.pair(a.bytes()).bytes().as_ptr(), a.bytes().as_ptr());
    }
}
