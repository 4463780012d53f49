//! The series layout: a round trip of the labels, the size of a series, the label hash pinned
//! and spread, and handles made and dropped on many threads (Miri runs these too).

use super::*;

#[test]
fn a_series_round_trips_its_labels_and_stays_small() {
    assert_eq!(std::mem::size_of::<Head>(), 20);
    assert_eq!(layout(7).size(), 48);
    assert_eq!(std::mem::size_of::<Option<Series>>(), 8);
    let labels = Labels::from_pairs([("__name__", "up"), ("job", "a"), ("x", "1")]);
    let s = Series::new(7, &labels);
    let mut rw1 = Vec::new();
    rw1::encode_labels(&labels, &mut rw1);
    assert_eq!((s.id(), s.to_rw1(), s.rw1_len(), s.labels()), (7, rw1.clone(), rw1.len(), labels));
    let again = Series::from_rw1(8, &rw1).unwrap();
    let ids = |s: &Series| s.pair_bytes().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&s), "pairs are shared");
    assert_eq!(again.clone().id(), 8);
    assert!(!again.is_shared());
    assert!(Series::from_rw1(9, &rw1[..rw1.len() - 1]).is_none());
    assert!(s.mark_recorded(3) && !s.mark_recorded(3) && s.mark_recorded(4));
}

#[test]
fn the_label_hash_is_fixed_and_independent_of_ids() {
    let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
    let (a, b) = (Series::new(1, &labels), Series::new(2, &labels));
    assert_eq!(a.label_hash(), b.label_hash());
    // Pinned: remote write's shard choice must not move between versions (see the doc).
    assert_eq!(a.label_hash(), 0x40ab_d85d_83bb_c8f4);
    let other = Series::new(3, &Labels::from_pairs([("__name__", "up"), ("job", "b")]));
    assert_ne!(a.label_hash(), other.label_hash());
    let mut rw1 = Vec::new();
    assert_eq!(a.write_rw1_hashed(&mut rw1), a.label_hash());
    assert_eq!(rw1, a.to_rw1());
}

#[test]
fn a_tail_is_read_as_its_zero_padded_little_endian_word() {
    let bytes: Vec<u8> = (1..=7u8).map(|b| b.wrapping_mul(37) | 0x80).collect();
    for n in 0..8 {
        let mut padded = [0u8; 8];
        padded[..n].copy_from_slice(&bytes[..n]);
        assert_eq!(tail_le(&bytes[..n]), u64::from_le_bytes(padded), "{n} bytes");
    }
}

#[test]
#[cfg_attr(miri, ignore = "statistics of the hash, no unsafe code: 60,000 series take minutes under Miri")]
fn the_label_hash_spreads_series_evenly_over_shards() {
    // Series that differ in one label's value only, in its middle or at its end.
    for shards in [3u64, 12, 50] {
        let mut counts = vec![0u32; shards as usize];
        for i in 0..20_000 {
            let path = format!("/api/v1/users/{i}/profile");
            let l = Labels::from_pairs([("__name__", "http_requests_total"), ("job", "a"), ("path", &path)]);
            counts[(Series::new(i, &l).label_hash() % shards) as usize] += 1;
        }
        let mean = 20_000 / shards as u32;
        let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
        assert!(min > mean * 8 / 10 && max < mean * 12 / 10, "{shards} shards: {counts:?}");
    }
}

#[test]
fn series_made_and_dropped_on_many_threads_keep_their_labels() {
    // Under Miri (which interprets every step) fewer rounds: no sweep, but every step checked.
    const ROUNDS: u64 = if cfg!(miri) { 10 } else { 2_000 };
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    // Shared pairs, and enough unique ones that the pool sweeps meanwhile.
                    let (shared, unique) = (format!("v{}", round % 300), format!("{t}-{round}"));
                    let labels = Labels::from_pairs([("__name__", "m"), ("s", &shared), ("u", &unique)]);
                    let s = Series::new(round, &labels);
                    let copy = s.clone();
                    drop(s);
                    let mut rw1 = Vec::new();
                    rw1::encode_labels(&labels, &mut rw1);
                    assert_eq!(copy.to_rw1(), rw1, "thread {t} round {round}");
                    assert_eq!(copy.labels(), labels);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
}
