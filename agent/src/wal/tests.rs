//! The WAL on a real scratch directory: segments, refs across rotation, torn and corrupt records,
//! checkpoints, deletion and the disk limits.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use cap_std::fs::Dir;

use super::*;
use crate::labels::Labels;
use crate::series::{Sample, Series, SeriesFactory};

struct Scratch(std::path::PathBuf, Dir);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("scrapelet-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority()).unwrap();
        Scratch(path, dir)
    }

    fn open(&self, cfg: WalConfig) -> Arc<Wal> {
        Wal::open(&self.1, cfg).unwrap()
    }

    fn segment_path(&self, seg: u64) -> std::path::PathBuf {
        self.0.join(WAL_DIR).join(segment::name(seg))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn small(segment_bytes: u64) -> WalConfig {
    WalConfig { segment_bytes, max_wal_bytes: 0, ..WalConfig::default() }
}

fn batch(series: &[Series], t: i64) -> Vec<Sample> {
    series.iter().enumerate().map(|(i, s)| Sample { series: s.clone(), t, v: i as f64 + t as f64 }).collect()
}

fn series(n: usize) -> Vec<Series> {
    let f = SeriesFactory::default();
    (0..n).map(|i| f.make(Labels::from_pairs([("__name__", format!("m{i}"))]))).collect()
}

/// Everything a fresh reader for `remote` returns: (labels of each sample, t, v).
fn read_all(wal: &Arc<Wal>, remote: &str) -> Vec<(String, i64, f64)> {
    drain(&mut wal.attach(remote).unwrap()).0
}

/// What `reader` returns until it is at the head: (labels of each sample, t, v), and the number
/// of series records and of handed-over batches among the events.
fn drain(reader: &mut Reader) -> (Vec<(String, i64, f64)>, usize, usize) {
    let (mut events, mut out, mut series, mut live) = (Vec::new(), Vec::new(), 0, 0);
    let mut names = std::collections::HashMap::new();
    loop {
        events.clear();
        reader.read(&mut events, 1000).unwrap();
        if events.is_empty() {
            return (out, series, live);
        }
        for e in events.drain(..) {
            match e {
                Event::Segment => names.clear(),
                Event::Series { r#ref, rw1, live } => {
                    series += 1;
                    let labels = live.map_or_else(|| crate::series::rw1::decode_labels(&rw1).unwrap(), |s| s.labels());
                    drop(names.insert(r#ref, labels.to_string()))
                }
                Event::Samples { samples, .. } => {
                    out.extend(samples.iter().map(|s| (names[&s.r#ref].clone(), s.t, s.v)))
                }
                Event::LiveSamples { batch, .. } => {
                    live += 1;
                    out.extend(batch.iter().map(|s| (s.series.labels().to_string(), s.t, s.v)))
                }
                Event::Rejoined => {}
            }
        }
    }
}

#[test]
fn samples_read_back_in_order_across_segments_with_their_series() {
    let dir = Scratch::new("roundtrip");
    let wal = dir.open(small(200));
    let s = series(3);
    for t in 1..=20 {
        wal.append(batch(&s, t)).unwrap();
    }
    assert!(wal.head().seg > 3, "small segments rotate: {:?}", wal.head());
    let got = read_all(&wal, "r");
    assert_eq!(got.len(), 60);
    assert_eq!(got[0], ("{__name__=\"m0\"}".to_string(), 1, 1.0));
    assert_eq!(got[59], ("{__name__=\"m2\"}".to_string(), 20, 22.0));
}

#[test]
fn series_records_are_written_once_per_segment() {
    let dir = Scratch::new("once");
    let wal = dir.open(small(1 << 20));
    let s = series(100);
    wal.append(batch(&s, 1)).unwrap();
    let first = wal.head().off;
    wal.append(batch(&s, 2)).unwrap();
    let second = wal.head().off - first;
    assert!(second < first / 2, "steady state has no label bytes: {second} vs {first}");
    assert!(second <= 100 * 11 + 16, "about 11 bytes a sample: {second}");
}

#[test]
fn a_torn_tail_is_counted_and_skipped_and_a_restart_continues() {
    let dir = Scratch::new("torn");
    let s = series(2);
    {
        let wal = dir.open(small(1 << 20));
        wal.append(batch(&s, 1)).unwrap();
        wal.append(batch(&s, 2)).unwrap();
    }
    // A crash in the middle of a write: half a record at the end of segment 1.
    let mut f = std::fs::OpenOptions::new().append(true).open(dir.segment_path(1)).unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap();
    let wal = dir.open(small(1 << 20));
    wal.append(batch(&s, 3)).unwrap();
    let got: Vec<i64> = read_all(&wal, "torn").iter().map(|(_, t, _)| *t).collect();
    assert_eq!(got, [1, 1, 2, 2, 3, 3]);
    assert_eq!(crate::metrics::get().wal_corrupt_records.with(&["torn"]).get(), 1);
}

#[test]
fn a_corrupt_record_skips_the_rest_of_its_segment_only() {
    let dir = Scratch::new("corrupt");
    let s = series(2);
    {
        let wal = dir.open(small(1 << 20));
        wal.append(batch(&s, 1)).unwrap();
        wal.append(batch(&s, 2)).unwrap();
    }
    let path = dir.segment_path(1);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff; // a value byte of the second sample record
    std::fs::write(&path, bytes).unwrap();
    let wal = dir.open(small(1 << 20));
    wal.append(batch(&s, 3)).unwrap();
    let got: Vec<i64> = read_all(&wal, "corrupt").iter().map(|(_, t, _)| *t).collect();
    assert_eq!(got, [1, 1, 3, 3]);
    assert_eq!(crate::metrics::get().wal_corrupt_records.with(&["corrupt"]).get(), 1);
}

fn cp(seg: u64, off: u64, shards: &[(u64, u64)]) -> checkpoint::Checkpoint {
    let shards = shards.iter().map(|&(seg, off)| Pos { seg, off }).collect();
    checkpoint::Checkpoint { pos: Pos { seg, off }, shards }
}

#[test]
fn checkpoints_survive_a_torn_write_and_bad_ones_are_ignored() {
    let dir = Scratch::new("checkpoint");
    let wal = dir.open(small(1 << 20));
    let d = &wal.dir;
    let name = checkpoint::file_name("a/b");
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), None);
    checkpoint::write(d, "a/b", &cp(3, 77, &[])).unwrap();
    checkpoint::write(d, "a/b", &cp(4, 9, &[(4, 9), (4, 30)])).unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(cp(4, 9, &[(4, 9), (4, 30)])));
    // The same position with shards further on is newer (slots are numbered).
    checkpoint::write(d, "a/b", &cp(4, 9, &[(4, 20), (4, 30)])).unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(cp(4, 9, &[(4, 20), (4, 30)])));
    // A torn write of the next checkpoint (it goes to the slot of the older one) leaves the last.
    let newest = cp(4, 50, &[(4, 50), (5, 0), (4, 60)]);
    checkpoint::write(d, "a/b", &newest).unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(newest.clone()));
    let mut bytes = d.read(&name).unwrap();
    let torn = bytes.len() - 30; // inside the slot just written (the second one)
    bytes[torn] ^= 0xff;
    d.write(&name, &bytes).unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(cp(4, 9, &[(4, 20), (4, 30)])));
    checkpoint::write(d, "a/b", &cp(5, 1, &[])).unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(cp(5, 1, &[])));
    // Earlier versions left a temporary file behind a crash; it is stale, the checkpoint stands.
    d.write(format!("{name}.tmp"), b"garbage").unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), Some(cp(5, 1, &[])));
    assert_eq!(checkpoint::stale(d, &["a/b"]).unwrap(), [format!("{name}.tmp")]);
    d.write(&name, b"short").unwrap();
    assert_eq!(checkpoint::read(d, "a/b").unwrap(), None);
}

#[test]
fn checkpoints_of_earlier_versions_are_read_and_kept_until_overwritten() {
    let dir = Scratch::new("checkpoint-v1");
    let wal = dir.open(small(1 << 20));
    let old_slot = |seg: u64, off: u64| {
        let mut b = Vec::new();
        b.extend_from_slice(&seg.to_le_bytes());
        b.extend_from_slice(&off.to_le_bytes());
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    };
    wal.dir.write(checkpoint::file_name("r"), old_slot(7, 123)).unwrap();
    assert_eq!(checkpoint::read(&wal.dir, "r").unwrap(), Some(cp(7, 123, &[])));
    wal.dir.write(checkpoint::file_name("r"), [old_slot(7, 300), old_slot(7, 200)].concat()).unwrap();
    assert_eq!(checkpoint::read(&wal.dir, "r").unwrap(), Some(cp(7, 300, &[])), "the newer of two old slots");
    checkpoint::write(&wal.dir, "r", &cp(7, 400, &[(7, 500)])).unwrap();
    let bytes = wal.dir.read(checkpoint::file_name("r")).unwrap();
    assert_eq!(&bytes[..20], &old_slot(7, 300)[..], "the old slot stays until the new one is written");
    assert_eq!(checkpoint::read(&wal.dir, "r").unwrap(), Some(cp(7, 400, &[(7, 500)])));
    checkpoint::write(&wal.dir, "r", &cp(8, 0, &[])).unwrap();
    assert_eq!(checkpoint::read(&wal.dir, "r").unwrap(), Some(cp(8, 0, &[])));
}

#[test]
fn a_reader_resumes_after_its_checkpoint() {
    let dir = Scratch::new("resume");
    let wal = dir.open(small(1 << 20));
    let s = series(1);
    wal.append(batch(&s, 1)).unwrap();
    let acked = wal.head();
    wal.append(batch(&s, 2)).unwrap();
    drop(wal.attach("r").unwrap());
    wal.commit("r", &checkpoint::Checkpoint { pos: acked, shards: vec![] });
    let got: Vec<i64> = read_all(&wal, "r").iter().map(|(_, t, _)| *t).collect();
    assert_eq!(got, [2], "the series record before the checkpoint is still read");
}

#[test]
fn delivered_segments_are_deleted_and_the_head_never() {
    let dir = Scratch::new("delete");
    let wal = dir.open(small(100));
    let s = series(2);
    let _reader = wal.attach("r").unwrap();
    for t in 1..=10 {
        wal.append(batch(&s, t)).unwrap();
    }
    wal.maintain();
    let before = segment::list(&wal.dir).unwrap().len();
    wal.commit("r", &checkpoint::Checkpoint { pos: wal.head(), shards: vec![] });
    wal.maintain();
    let after = segment::list(&wal.dir).unwrap();
    assert!(before > 2);
    assert_eq!(after.iter().map(|s| s.seg).collect::<Vec<_>>(), [wal.head().seg]);
}

#[test]
fn over_max_wal_bytes_the_oldest_segments_go_first_counted_per_remote() {
    let dir = Scratch::new("full");
    let cfg = WalConfig { segment_bytes: 4096, max_wal_bytes: 16384, ..WalConfig::default() };
    let wal = dir.open(cfg);
    let s = series(50);
    let mut reader = wal.attach("full_r").unwrap();
    for t in 1..=100 {
        wal.append(batch(&s, t)).unwrap();
    }
    wal.maintain();
    let left = segment::list(&wal.dir).unwrap();
    assert!(left.iter().map(|s| s.bytes).sum::<u64>() <= 16384);
    let dropped = crate::metrics::get().rw_samples_dropped.with(&["full_r", "wal_full"]).get();
    let (mut events, mut read) = (Vec::new(), 0u64);
    loop {
        events.clear();
        reader.read(&mut events, 10_000).unwrap();
        if events.is_empty() {
            break;
        }
        for e in &events {
            if let Event::Samples { samples, .. } = e {
                assert!(samples[0].t > 50, "only the newest data is left");
                read += samples.len() as u64;
            }
        }
    }
    assert_eq!(read + dropped, 5000, "every sample is either read or counted as dropped");
}

#[test]
fn a_sharing_reader_gets_the_batches_this_process_wrote_and_only_those() {
    let dir = Scratch::new("live");
    let old = series(2);
    let wal = dir.open(small(1 << 20));
    wal.append(batch(&old, 1)).unwrap();
    drop(wal);
    // A restarted process: the old segment's refs are an earlier process' series.
    let new = series(2);
    let wal = dir.open(small(1 << 20));
    let (mut sharing, mut plain) = (wal.attach("sharing").unwrap(), wal.attach("plain").unwrap());
    sharing.share_live();
    wal.append(batch(&new, 2)).unwrap();
    let mut events = Vec::new();
    sharing.read(&mut events, 1000).unwrap();
    let series = events.iter().filter(|e| matches!(e, Event::Series { .. })).count();
    assert_eq!(series, 2, "the earlier process' segment is read from disk, this one's records passed over");
    let batches: Vec<_> = events
        .iter()
        .filter_map(|e| if let Event::LiveSamples { batch, .. } = e { Some(batch) } else { None })
        .collect();
    assert_eq!(batches.len(), 1, "{events:?}");
    for (got, s) in batches[0].iter().zip(&new) {
        assert!(Series::ptr_eq(&got.series, s), "the appended batch itself");
    }
    let (read, series, live) = drain(&mut plain);
    assert_eq!((read.len(), series, live), (4, 4, 0), "a reader that does not share decodes");
}

#[test]
fn a_sharing_reader_reads_what_a_plain_one_does_across_segments() {
    let dir = Scratch::new("live-same");
    let wal = dir.open(small(300));
    let (mut sharing, mut plain) = (wal.attach("sharing").unwrap(), wal.attach("plain").unwrap());
    sharing.share_live();
    let s = series(5);
    let mut got = (Vec::new(), 0, 0);
    for t in 1..=40 {
        wal.append(batch(&s[..1 + t as usize % 5], t)).unwrap();
        if t % 7 == 0 {
            let (read, series, live) = drain(&mut sharing);
            got = (got.0.into_iter().chain(read).collect(), got.1 + series, got.2 + live);
        }
    }
    let (read, series, live) = drain(&mut sharing);
    got = (got.0.into_iter().chain(read).collect(), got.1 + series, got.2 + live);
    assert!(wal.head().seg > 3, "small segments rotate: {:?}", wal.head());
    assert_eq!((got.1, got.2), (0, 40), "every batch handed over, no series record needed");
    assert_eq!(got.0, drain(&mut plain).0);
}

#[test]
fn a_sharing_reader_that_falls_behind_reads_what_it_missed_from_disk_then_rejoins() {
    let dir = Scratch::new("live-behind");
    let wal = dir.open(small(1 << 30));
    let (mut sharing, mut plain) = (wal.attach("sharing").unwrap(), wal.attach("plain").unwrap());
    sharing.share_live();
    let s = series(1000);
    wal.append(batch(&s, 1)).unwrap();
    let (mut got, series, live) = drain(&mut sharing);
    assert_eq!((series, live), (0, 1), "caught up: handed over");
    // More than the queue holds arrives before the reader reads again.
    let more = series_more(&s, 1000);
    for t in 2..(2 + (live::SAMPLES_HELD / 2000 + 2) as i64) {
        wal.append(batch(&more, t)).unwrap();
    }
    let (read, series, live) = drain(&mut sharing);
    assert_eq!(series, 2000, "the segment's series records, read back once it fell behind");
    assert_eq!(live, live::SAMPLES_HELD / 2000, "what was let go is read from disk, the rest handed over");
    got.extend(read);
    // Caught up again, in the same segment: the next batch is handed over.
    wal.append(batch(&more, 9999)).unwrap();
    let (read, series, live) = drain(&mut sharing);
    assert_eq!((series, live), (0, 1), "rejoined the writer's queue mid-segment");
    got.extend(read);
    let want = drain(&mut plain).0;
    assert_eq!(got.len(), want.len());
    let first_diff = got.iter().zip(&want).position(|(a, b)| a != b);
    assert_eq!(first_diff, None, "{:?}", first_diff.map(|i| (&got[i], &want[i])));
    assert_eq!(got.len(), 1000 + (live::SAMPLES_HELD / 2000 + 3) * 2000);
}

/// `s` and `n` series more, with ids after `s`' (ids are unique in a process).
/// A reader that trails the writer by [`live::AT_RISK`] samples keeps the series records it
/// passes queued: when it then falls out of the sample queue, the series read back for the
/// samples on disk are the scrape side's own (no copy of their labels), except those it had
/// passed while caught up.
#[test]
fn a_reader_trailing_at_risk_falls_out_onto_the_scrape_sides_series() {
    let dir = Scratch::new("live-at-risk");
    let wal = dir.open(small(1 << 30));
    let mut sharing = wal.attach("sharing").unwrap();
    sharing.share_live();
    let s = series(1000);
    wal.append(batch(&s, 1)).unwrap();
    assert_eq!(drain(&mut sharing).2, 1, "caught up: the records of `s` passed over and let go");
    let all = series_more(&s, 1000);
    wal.append(batch(&all, 100)).unwrap(); // the new series' records, then enough to be at risk
    let trailing = live::AT_RISK / 2000 + 1;
    for t in 101..101 + trailing as i64 {
        wal.append(batch(&all, t)).unwrap();
    }
    let mut events = Vec::new();
    sharing.read(&mut events, 1).unwrap();
    assert!(matches!(&events[..], [Event::LiveSamples { .. }]), "{events:?}");
    // More than the sample queue holds: the batches the reader has not read are let go.
    for t in 200..200 + (live::SAMPLES_HELD / 2000 + 1) as i64 {
        wal.append(batch(&all, t)).unwrap();
    }
    let (mut shared, mut copied, mut samples) = (0, 0, 0);
    loop {
        events.clear();
        sharing.read(&mut events, 10_000).unwrap();
        if events.is_empty() {
            break;
        }
        for e in &events {
            match e {
                Event::Series { live: Some(series), rw1, .. } => {
                    assert!(rw1.is_empty() && all.iter().any(|s| Series::ptr_eq(s, series)));
                    shared += 1;
                }
                Event::Series { live: None, .. } => copied += 1,
                Event::Samples { samples: s, .. } => samples += s.len(),
                Event::LiveSamples { batch, .. } => samples += batch.len(),
                _ => {}
            }
        }
    }
    assert_eq!((shared, copied), (1000, 1000), "the new series shared, those of `s` read from disk");
    assert_eq!(samples, (trailing + live::SAMPLES_HELD / 2000 + 1) * 2000, "every sample after the reader's place");
}

fn series_more(s: &[Series], n: usize) -> Vec<Series> {
    let next = s.iter().map(Series::id).max().unwrap_or(0) + 1;
    let more = (0..n).map(|i| Series::new(next + i as u64, &Labels::from_pairs([("__name__", format!("n{i}"))])));
    s.iter().cloned().chain(more).collect()
}

#[test]
fn a_buffer_gives_back_the_room_of_a_burst_and_keeps_a_steady_one() {
    let mut burst = Vec::with_capacity(2 << 20);
    burst.extend_from_slice(&[0u8; 100]);
    shrink_after_burst(&mut burst);
    assert!(burst.capacity() <= 64 << 10, "{}", burst.capacity());
    assert_eq!(burst, [0u8; 100], "what it holds stays");
    let mut steady = vec![0u8; 200 << 10];
    steady.reserve(300 << 10);
    let cap = steady.capacity();
    shrink_after_burst(&mut steady);
    assert_eq!(steady.capacity(), cap, "within four times what it holds: kept");
}

#[test]
fn a_huge_scrape_is_written_as_bounded_records_and_read_back_whole() {
    let dir = Scratch::new("huge");
    let wal = dir.open(small(1 << 30));
    let n = 2 * writer::MAX_RECORD_SAMPLES + 123;
    let s = series(n);
    wal.append(batch(&s, 7)).unwrap();
    let mut reader = wal.attach("r").unwrap();
    let (mut events, mut records, mut samples) = (Vec::new(), 0, Vec::new());
    loop {
        events.clear();
        reader.read(&mut events, usize::MAX).unwrap();
        if events.is_empty() {
            break;
        }
        for e in events.drain(..) {
            if let Event::Samples { samples: s, .. } = e {
                assert!(s.len() <= writer::MAX_RECORD_SAMPLES);
                records += 1;
                samples.extend(s.into_iter().map(|s| s.v));
            }
        }
    }
    assert_eq!(records, 3);
    assert_eq!(samples, (0..n).map(|i| i as f64 + 7.0).collect::<Vec<_>>(), "every sample, in order");
}

#[test]
fn series_records_cannot_take_the_wal_past_its_limit() {
    // Each append brings 1,000 new series with long labels (~130 kB of series records) and only
    // ~11 kB of samples: counted by samples alone, the head would rotate after 23 appends (3 MB).
    let dir = Scratch::new("series-heavy");
    let max = 1 << 20;
    let wal = dir.open(WalConfig { segment_bytes: 1 << 30, max_wal_bytes: max, ..WalConfig::default() });
    let _reader = wal.attach("heavy_r").unwrap(); // never reads: nothing is delivered
    let f = SeriesFactory::default();
    let long = "v".repeat(100);
    let mut largest_append = 0;
    for round in 0..40 {
        let s: Vec<Series> = (0..1000)
            .map(|i| f.make(Labels::from_pairs([("__name__", format!("m{round}_{i}")), ("l", long.clone())])))
            .collect();
        let before = wal.disk_bytes.load(Ordering::Relaxed);
        wal.append(batch(&s, round)).unwrap();
        largest_append = largest_append.max(wal.disk_bytes.load(Ordering::Relaxed) - before);
        wal.maintain();
        let on_disk: u64 = segment::list(&wal.dir).unwrap().iter().map(|s| s.bytes).sum();
        assert!(on_disk <= max + largest_append, "round {round}: {on_disk} bytes on disk");
    }
    assert!(largest_append > 100_000, "the series records dominate: {largest_append}");
}

#[tokio::test]
async fn an_append_past_the_limit_wakes_retention_at_once() {
    let dir = Scratch::new("wake");
    let wal = dir.open(WalConfig { max_wal_bytes: 64 << 10, ..WalConfig::default() });
    let s = series(1000);
    let woken = wal.clone();
    let waiter = tokio::spawn(async move { woken.over_limit().await });
    for t in 0..20 {
        wal.append(batch(&s, t)).unwrap();
    }
    waiter.await.unwrap();
}

#[test]
fn after_a_restart_a_segment_whose_samples_were_all_acknowledged_is_not_read() {
    let dir = Scratch::new("restart-acked");
    let s = series(100);
    {
        let wal = dir.open(small(1 << 20));
        drop(wal.attach("r").unwrap());
        for t in 1..=3 {
            wal.append(batch(&s, t)).unwrap();
        }
        wal.commit("r", &checkpoint::Checkpoint { pos: wal.head(), shards: vec![] });
    }
    let wal = dir.open(small(1 << 20)); // the next process
    let mut reader = wal.attach("r").unwrap();
    let mut events = Vec::new();
    reader.read(&mut events, 10_000).unwrap();
    let series_events = events.iter().filter(|e| matches!(e, Event::Series { .. })).count();
    assert_eq!(series_events, 0, "no series materialised for a delivered segment: {events:?}");
    wal.append(batch(&s, 4)).unwrap();
    let got: Vec<i64> = drain(&mut reader).0.iter().map(|(_, t, _)| *t).collect();
    assert_eq!(got, vec![4; 100], "only what the new process wrote");
}

#[test]
fn after_a_restart_acknowledged_samples_are_skipped_and_the_rest_replayed() {
    let dir = Scratch::new("restart-partial");
    let s = series(10);
    {
        let wal = dir.open(small(1 << 20));
        drop(wal.attach("r").unwrap());
        wal.append(batch(&s, 1)).unwrap();
        wal.append(batch(&s, 2)).unwrap();
        wal.commit("r", &checkpoint::Checkpoint { pos: wal.head(), shards: vec![] });
        wal.append(batch(&s, 3)).unwrap();
    }
    let wal = dir.open(small(1 << 20));
    let got: Vec<i64> = read_all(&wal, "r").iter().map(|(_, t, _)| *t).collect();
    assert_eq!(got, vec![3; 10]);
}
