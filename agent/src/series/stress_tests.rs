//! A deterministic stress test of the series and their pairs across threads (what a loom model
//! would check, were the pool not a process-wide static that loom cannot reset between runs).
//!
//! Worker threads run fixed, seeded sequences: each round they make series (pairs shared by all
//! threads and pairs of their own), check each one's bytes against an encoding written here, keep
//! some, drop the others, read the kept ones again and hand clones to the next thread, while a
//! sweeper thread sweeps the pool without pause. At the end of each round, with every thread
//! stopped at a barrier, the pool must hold exactly what the live series account for: each pair
//! of this test held once per live series that has it, no pair of a dropped series held, the
//! pool's own invariants intact. The interleavings within a round are the scheduler's (and, under
//! Miri, its seeds'); the operations and the checks at the barriers are the same every run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier, Mutex};

use super::{Series, pairs};
use crate::labels::Labels;

/// Miri interprets every step: a few threads and rounds still interleave intern, read, release
/// and sweep on all of them (the sweeper sweeps between any two steps it can).
const THREADS: usize = if cfg!(miri) { 3 } else { 4 };
const ROUNDS: u64 = if cfg!(miri) { 4 } else { 150 };
const PER_ROUND: u64 = if cfg!(miri) { 5 } else { 40 };

/// A label pair's remote-write 1.0 encoding (`Label` message, tag and length in front), written
/// here from the protobuf wire format rather than taken from the code under test. Short strings
/// only (one-byte lengths).
fn pair_bytes(name: &str, value: &str) -> Vec<u8> {
    let field = |tag: u8, s: &str| [&[tag, u8::try_from(s.len()).unwrap()], s.as_bytes()].concat();
    let inner = [field(0x0a, name), field(0x12, value)].concat();
    assert!(inner.len() < 128, "test pairs stay short");
    [vec![0x0a, inner.len() as u8], inner].concat()
}

/// One series a worker made, with what it must read back.
struct Made {
    series: Series,
    pairs: Vec<Vec<u8>>,
    round: u64,
}

impl Made {
    fn check(&self, who: &str) {
        assert_eq!(self.series.to_rw1(), self.pairs.concat(), "{who}: bytes of series {}", self.series.id());
        let walked: Vec<(&[u8], &[u8])> = self.series.pairs().collect();
        assert_eq!(walked.len(), self.pairs.len(), "{who}: pairs of series {}", self.series.id());
    }
}

/// The labels of series `k` of `round` on thread `t`: a metric name and a value shared by all
/// threads (a few of each), and a value of this series alone. Sorted by name, as `Labels` are.
fn labels_of(t: usize, round: u64, k: u64, rng: &mut u64) -> [(String, String); 3] {
    *rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let shared = (*rng >> 33) % 8;
    [
        ("__name__".to_string(), format!("stress_m{}", k % 3)),
        ("stress_shared".to_string(), format!("v{shared}")),
        ("stress_unique".to_string(), format!("{t}-{round}-{k}")),
    ]
}

/// What the workers and the checker share.
struct World {
    /// Each thread's live series, readable by the checker at the barriers.
    live: Vec<Mutex<Vec<Made>>>,
    /// Unique pairs of series already dropped by every holder (by the end of their round).
    gone: Mutex<Vec<Vec<u8>>>,
    /// Every id a unique pair of this test was seen with, and its bytes then.
    ids: Mutex<HashMap<u32, Vec<u8>>>,
    /// Ids seen again with other bytes: freed by a sweep, then reused.
    reused: AtomicUsize,
    /// Workers still making series this round (the sweeper sweeps until none is).
    working: AtomicUsize,
    barrier: Barrier,
}

fn worker(t: usize, w: &World, to_next: &Sender<Made>, from_prev: &Receiver<Made>) {
    let mut rng = t as u64 + 1;
    for round in 0..ROUNDS {
        let mut mine = std::mem::take(&mut *w.live[t].lock().unwrap());
        // Series of two rounds ago go (their last handles, on whichever thread holds them).
        mine.retain(|m| m.round + 2 > round);
        for k in 0..PER_ROUND {
            let labels = labels_of(t, round, k, &mut rng);
            let pairs: Vec<Vec<u8>> = labels.iter().map(|(n, v)| pair_bytes(n, v)).collect();
            let series = if k % 4 == 3 {
                // As the WAL's replay makes them: from the encoded labels.
                Series::from_rw1(id(round, k), &pairs.concat()).expect("well-formed")
            } else {
                Series::new(id(round, k), &Labels::from_pairs(labels.clone()))
            };
            let made = Made { series, pairs, round };
            made.check(&format!("thread {t} round {round} new {k}"));
            note_id(w, &made);
            match k % 3 {
                0 => {
                    // Dropped at once: its own pair is unheld from here on, the sweeper may free it.
                    w.gone.lock().unwrap().push(made.pairs[2].clone());
                }
                1 => {
                    let clone = Made { series: made.series.clone(), pairs: made.pairs.clone(), round };
                    to_next.send(clone).unwrap();
                    mine.push(made);
                }
                _ => mine.push(made),
            }
            // Read the older series again while others intern, release and sweep.
            if let Some(m) = mine.get((k as usize * 7) % mine.len().max(1)) {
                m.check(&format!("thread {t} round {round} reread"));
            }
        }
        // The previous thread's clones, sent during this round: checked, kept for two rounds.
        w.working.fetch_sub(1, Ordering::AcqRel);
        w.barrier.wait(); // every thread has sent
        for m in from_prev.try_iter() {
            m.check(&format!("thread {t} round {round} received"));
            mine.push(m);
        }
        *w.live[t].lock().unwrap() = mine;
        w.barrier.wait(); // stored
        w.barrier.wait(); // checked
    }
}

/// A series id, unique per (round, k) on each thread.
fn id(round: u64, k: u64) -> u64 {
    round * PER_ROUND + k + 1
}

fn note_id(w: &World, m: &Made) {
    let ids: Vec<u32> = m.series.pair_bytes().map(|(id, _)| id).collect();
    let mut seen = w.ids.lock().unwrap();
    let unique = &m.pairs[2];
    if let Some(before) = seen.insert(ids[2], unique.clone())
        && before != *unique
    {
        w.reused.fetch_add(1, Ordering::Relaxed);
    }
}

fn sweeper(w: &World) {
    for _ in 0..ROUNDS {
        while w.working.load(Ordering::Acquire) > 0 {
            pairs::sweep_now();
            std::thread::yield_now();
        }
        w.barrier.wait(); // every thread has sent
        w.barrier.wait(); // stored
        w.barrier.wait(); // checked
    }
}

/// At a barrier: the pool must account for exactly the live series.
fn check(w: &World, round: u64) {
    pairs::check_pool();
    // A pair is held once per series (one allocation), however many handles it has.
    let mut want: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut counted = std::collections::HashSet::new();
    for live in &w.live {
        for m in live.lock().unwrap().iter() {
            m.check(&format!("checker round {round}"));
            if counted.insert(m.series.addr()) {
                for p in &m.pairs {
                    *want.entry(p.clone()).or_default() += 1;
                }
            }
        }
    }
    for (p, n) in &want {
        assert_eq!(pairs::held(p), Some(*n), "round {round}: holders of {:?}", String::from_utf8_lossy(p));
    }
    for p in w.gone.lock().unwrap().iter().filter(|p| !want.contains_key(*p)) {
        let held = pairs::held(p);
        assert!(
            matches!(held, None | Some(0)),
            "round {round}: dropped pair {:?} held {held:?}",
            String::from_utf8_lossy(p)
        );
    }
}

#[test]
fn intern_read_release_and_sweep_on_many_threads_keep_every_count_exact() {
    let w = Arc::new(World {
        live: (0..THREADS).map(|_| Mutex::new(Vec::new())).collect(),
        gone: Mutex::new(Vec::new()),
        ids: Mutex::new(HashMap::new()),
        reused: AtomicUsize::new(0),
        working: AtomicUsize::new(THREADS),
        // The workers, the sweeper and this thread (the checker).
        barrier: Barrier::new(THREADS + 2),
    });
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| channel::<Made>()).unzip();
    let mut handles = Vec::new();
    for (t, from_prev) in receivers.into_iter().enumerate() {
        let (w, to_next) = (w.clone(), senders[(t + 1) % THREADS].clone());
        handles.push(std::thread::spawn(move || worker(t, &w, &to_next, &from_prev)));
    }
    drop(senders);
    let ws = w.clone();
    handles.push(std::thread::spawn(move || sweeper(&ws)));
    for round in 0..ROUNDS {
        w.barrier.wait(); // every thread has sent
        w.barrier.wait(); // stored
        check(&w, round);
        w.working.store(THREADS, Ordering::Release);
        w.barrier.wait(); // checked
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
    for live in &w.live {
        live.lock().unwrap().clear();
    }
    pairs::sweep_now();
    check(&w, ROUNDS);
    let unique: Vec<Vec<u8>> = w.ids.lock().unwrap().values().cloned().collect();
    assert!(unique.iter().all(|p| pairs::held(p).is_none()), "every pair of the test swept at the end");
    assert!(w.reused.load(Ordering::Relaxed) > 0, "sweeps freed ids that new pairs then reused");
}
