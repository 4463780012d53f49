//! Series and samples as they travel from the scrape loop to remote write.
//!
//! A [`Series`] is created once per new series (on a scrape-cache miss) and shared: it is a
//! counted handle, cloning it is a reference count. Its process-unique id is the series' ref in
//! the WAL, where each remote resolves its labels once per series and segment. A scrape hands
//! its samples as a [`Batch`] to the [`Appender`] (the remote writer, which writes them to the
//! WAL).
//!
//! A series is one allocation of 20 bytes plus 4 a label: its reference count, WAL bookkeeping,
//! id, encoded length and the ids of its label pairs, each interned process-wide (`pairs`) in
//! its remote-write 1.0 encoding ([`rw1`], the series' storage format); 48 bytes for 7 labels.
//! Encoding the series for remote write or the WAL concatenates the pairs' bytes
//! ([`Series::write_rw1`]); [`Series::labels`] decodes them for the rare reader (`scrapelet
//! scrape`, `Debug`, tests).
//!
//! The unsafe code (the allocation of head and ids, and the pairs' lock-free table) rests on two
//! invariants: a series' pair count is recomputed from its encoded length (every pair is at least
//! one byte, and the ids' bytes add up to `rw1_len` exactly: debug builds assert both), and a pair
//! is freed only once no series holds it. Miri runs this module's tests (`tests/run.sh`), and
//! `stress_tests` interleaves intern, read, release and sweep on several threads.

mod pairs;
pub mod rw1;

use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use crate::labels::Labels;
use pairs::Interner;

/// The bit pattern Prometheus uses to mark a series stale.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One series with its final (relabelled, sorted) labels: a counted handle (8 bytes) to a
/// [`Head`] followed by its pair ids.
pub struct Series(NonNull<Head>);

// SAFETY: the head's shared fields are atomics or never written after construction; the count
// is atomic (as `Arc`'s), and the pairs are read through `pairs`' lock-free table.
unsafe impl Send for Series {}
unsafe impl Sync for Series {}

/// 20 bytes (4-aligned, so the pair ids follow without padding).
#[repr(C)]
struct Head {
    /// Handles to this series.
    count: AtomicU32,
    /// The WAL segment (by its process-unique token) whose series record for this series is
    /// written; 0: none. Kept here, next to the id the WAL reads anyway, instead of a set of
    /// ids in the WAL writer (a hash lookup and ~20 bytes a series).
    wal_token: AtomicU32,
    /// Unique for the life of the process (0: a remote's own series, never in the WAL); two
    /// halves, to keep the head 4-aligned.
    id: [u32; 2],
    /// Bytes of the labels' remote-write 1.0 encoding (the pairs' bytes together). The pair ids
    /// that follow are as many as add up to it (no count is kept: 4 bytes a series).
    rw1_len: u32,
}

fn layout(pairs: usize) -> Layout {
    let (layout, _) = Layout::new::<Head>().extend(Layout::array::<u32>(pairs).expect("pairs")).expect("pairs");
    layout
}

impl Series {
    /// A series with `labels`, interned.
    pub fn new(id: u64, labels: &Labels) -> Series {
        let mut interner = Interner::lock();
        let mut buf = Vec::new();
        let ids: Vec<u32> = labels
            .iter()
            .map(|l| {
                buf.clear();
                rw1::encode_label(&l.name, &l.value, &mut buf);
                interner.pair(&buf)
            })
            .collect();
        drop(interner);
        Series::from_pairs(id, &ids)
    }

    /// A series from labels in their remote-write 1.0 encoding (a WAL series record); `None` if
    /// they are malformed.
    pub fn from_rw1(id: u64, rw1: &[u8]) -> Option<Series> {
        let mut interner = Interner::lock();
        let mut ids = Vec::new();
        for label in rw1::label_messages(rw1) {
            match label {
                Some(label) => ids.push(interner.pair(label)),
                None => {
                    ids.into_iter().for_each(pairs::release);
                    return None;
                }
            }
        }
        drop(interner);
        Some(Series::from_pairs(id, &ids))
    }

    /// A series of the pairs `ids`, each held once for it.
    fn from_pairs(id: u64, ids: &[u32]) -> Series {
        // Drop walks the ids by the encoded length and frees with the layout of the count it
        // walked: that is `ids.len()` only if no pair is empty (else the wrong layout is freed and
        // pairs are leaked or released twice). Checked before allocating, so a failure is no UB.
        debug_assert!(
            ids.iter().all(|&p| !pairs::bytes(p).is_empty()),
            "an empty label pair: the pair count could not be recomputed from rw1_len"
        );
        let rw1_len = ids.iter().map(|&p| pairs::bytes(p).len()).sum::<usize>();
        let rw1_len = u32::try_from(rw1_len).expect("a series' labels over 4 GiB");
        let id = [id as u32, (id >> 32) as u32];
        let head = Head { count: AtomicU32::new(1), wal_token: AtomicU32::new(0), id, rw1_len };
        let layout = layout(ids.len());
        // SAFETY: `layout` is not zero-sized (the head); the head and then the ids are written
        // within it, at the offsets `layout` was built from.
        unsafe {
            let ptr = std::alloc::alloc(layout).cast::<Head>();
            let Some(ptr) = NonNull::new(ptr) else { std::alloc::handle_alloc_error(layout) };
            ptr.write(head);
            ptr.add(1).cast::<u32>().as_ptr().copy_from_nonoverlapping(ids.as_ptr(), ids.len());
            Series(ptr)
        }
    }

    fn head(&self) -> &Head {
        // SAFETY: live while a handle is.
        unsafe { self.0.as_ref() }
    }

    /// The pair ids with their bytes, in order.
    fn pair_bytes(&self) -> PairBytes<'_> {
        // SAFETY: the ids follow the head (see `from_pairs`).
        let next = unsafe { self.0.add(1).cast::<u32>() };
        PairBytes { next, left: self.head().rw1_len as usize, _series: std::marker::PhantomData }
    }

    pub fn id(&self) -> u64 {
        let [lo, hi] = self.head().id;
        u64::from(lo) | u64::from(hi) << 32
    }

    /// The labels, decoded (allocates).
    pub fn labels(&self) -> Labels {
        rw1::decode_labels(&self.to_rw1()).unwrap_or_default()
    }

    /// Bytes of the labels' remote-write 1.0 encoding.
    pub fn rw1_len(&self) -> usize {
        self.head().rw1_len as usize
    }

    /// Appends the labels in their remote-write 1.0 encoding (repeated `TimeSeries.labels`), as
    /// requests and the WAL's series records carry them.
    pub fn write_rw1(&self, out: &mut Vec<u8>) {
        for (_, bytes) in self.pair_bytes() {
            out.extend_from_slice(bytes);
        }
    }

    /// The labels' remote-write 1.0 encoding (allocates).
    pub fn to_rw1(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rw1_len());
        self.write_rw1(&mut out);
        out
    }

    /// A hash of the labels' encoding that stays the same across restarts and versions (remote
    /// write pins a series to a shard by it, so that samples replayed after a restart and new
    /// ones take the same shard and stay in order). Changing this function reorders the samples
    /// of a replay after an upgrade: don't.
    pub fn label_hash(&self) -> u64 {
        let mut h = 0u64;
        for (_, bytes) in self.pair_bytes() {
            h = stable_hash_bytes(h, bytes);
        }
        h ^ (h >> 29)
    }

    /// [`write_rw1`](Self::write_rw1) and [`label_hash`](Self::label_hash) in one pass over the
    /// pairs (each pair's bytes are read from memory once).
    pub fn write_rw1_hashed(&self, out: &mut Vec<u8>) -> u64 {
        let mut h = 0u64;
        for (_, bytes) in self.pair_bytes() {
            out.extend_from_slice(bytes);
            h = stable_hash_bytes(h, bytes);
        }
        h ^ (h >> 29)
    }

    /// The (name, value) pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pair_bytes().flat_map(|(_, bytes)| rw1::pairs(bytes))
    }

    /// Identifies the series' allocation.
    pub fn addr(&self) -> *const u8 {
        self.0.as_ptr().cast()
    }

    /// Whether `a` and `b` are the same series (one allocation).
    pub fn ptr_eq(a: &Series, b: &Series) -> bool {
        a.addr() == b.addr()
    }

    /// Whether a handle other than this one exists.
    pub fn is_shared(&self) -> bool {
        self.head().count.load(Ordering::Acquire) > 1
    }

    /// Marks the series recorded in the segment `token`; true if it was not yet (the caller
    /// writes its series record). Only the WAL writer calls this, under its lock, so a load then
    /// a store is enough; the steady state (already recorded) only loads, leaving the line clean.
    pub fn mark_recorded(&self, token: u32) -> bool {
        let mark = &self.head().wal_token;
        if mark.load(Ordering::Relaxed) == token {
            return false;
        }
        mark.store(token, Ordering::Relaxed);
        true
    }
}

/// Folds one pair's `bytes` into `h`: the pair's words rotated and xored together (one cycle or
/// two a word, no multiply), then FxHash's multiply and rotate once per pair. Cheap next to the
/// memory reads it rides on; good enough to spread series over shards.
fn stable_hash_bytes(h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut x = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        x = x.rotate_left(7) ^ u64::from_le_bytes(w.try_into().expect("8 bytes"));
    }
    x = x.rotate_left(7) ^ tail_le(words.remainder());
    (h.rotate_left(5) ^ x).wrapping_mul(K)
}

/// The up to 7 bytes of `rest` as a little-endian word, zero-padded: two overlapping loads, not
/// a copy into a zeroed buffer read back as a word (the byte stores cannot be forwarded to the
/// word load, which then waits for them to reach the cache: most of the hash's time).
fn tail_le(rest: &[u8]) -> u64 {
    let n = rest.len();
    debug_assert!(n < 8);
    if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(rest[n - 4..].try_into().expect("4 bytes")));
        lo | hi << (8 * (n - 4))
    } else if n >= 2 {
        let lo = u64::from(u16::from_le_bytes(rest[..2].try_into().expect("2 bytes")));
        let hi = u64::from(u16::from_le_bytes(rest[n - 2..].try_into().expect("2 bytes")));
        lo | hi << (8 * (n - 2))
    } else {
        rest.first().map_or(0, |&b| u64::from(b))
    }
}

/// Walks a series' pair ids, reading each pair's bytes, until they add up to its encoded length.
struct PairBytes<'a> {
    next: NonNull<u32>,
    left: usize,
    _series: std::marker::PhantomData<&'a Series>,
}

impl<'a> Iterator for PairBytes<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<(u32, &'a [u8])> {
        if self.left == 0 {
            return None;
        }
        // SAFETY: while `left` is not 0 there is another id (the ids' bytes add up to it).
        let id = unsafe { self.next.read() };
        self.next = unsafe { self.next.add(1) };
        let bytes = pairs::bytes(id);
        debug_assert!(
            !bytes.is_empty() && bytes.len() <= self.left,
            "pair {id} has {} bytes with {} of the series' encoded length left",
            bytes.len(),
            self.left
        );
        self.left = self.left.saturating_sub(bytes.len().max(1));
        Some((id, bytes))
    }
}

impl Clone for Series {
    fn clone(&self) -> Series {
        // As `Arc`: relaxed, since a new handle is made from an existing one.
        if self.head().count.fetch_add(1, Ordering::Relaxed) > i32::MAX as u32 {
            std::process::abort();
        }
        Series(self.0)
    }
}

impl Drop for Series {
    fn drop(&mut self) {
        if self.head().count.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let mut n = 0;
        for (id, _) in self.pair_bytes() {
            pairs::release(id); // after its bytes were read: the pair may be swept from here on
            n += 1;
        }
        // SAFETY: the last handle; allocated in `from_pairs` with the layout of `n` ids.
        unsafe { std::alloc::dealloc(self.0.as_ptr().cast(), layout(n)) }
    }
}

impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Series({}, {})", self.id(), self.labels())
    }
}

/// One sample of one series.
#[derive(Clone, Debug)]
pub struct Sample {
    pub series: Series,
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    pub v: f64,
}

pub type Batch = Vec<Sample>;

/// The current time as a sample timestamp: milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Makes series with process-unique ids.
#[derive(Debug)]
pub struct SeriesFactory {
    next_id: AtomicU64,
}

impl Default for SeriesFactory {
    fn default() -> Self {
        SeriesFactory { next_id: AtomicU64::new(1) }
    }
}

impl SeriesFactory {
    pub fn make(&self, labels: Labels) -> Series {
        Series::new(self.next_id.fetch_add(1, Ordering::Relaxed), &labels)
    }
}

/// Where scrape loops hand their batches: the remote writer, which writes them to the WAL and
/// never waits for a backend (the WAL holds the backlog).
pub trait Appender: Send + Sync + 'static {
    fn append(&self, batch: Batch) -> impl std::future::Future<Output = ()> + Send;
}

#[cfg(test)]
mod stress_tests;

#[cfg(test)]
mod tests;
