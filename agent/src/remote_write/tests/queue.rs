//! The queue, shards and retries: batching, ordering, backoff, rejection, back-pressure.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::*;
use crate::labels::Labels;
use crate::metrics;
use crate::series::stale_nan;
use crate::series::{Sample, SeriesFactory};

#[tokio::test(start_paused = true)]
async fn sends_full_batches_in_series_order_and_flushes_the_rest_on_shutdown() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[config("order", queue(2))], |_| fake.clone());
    w.append(samples(&f, "a", 5)).await;
    w.shutdown(Duration::from_secs(10)).await;
    let got = fake.samples();
    assert_eq!(got, vec![vec![(0.0, 1000), (1.0, 2000)], vec![(2.0, 3000), (3.0, 4000)], vec![(4.0, 5000)]]);
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_sent, &["order"]), 5);
    assert_eq!(counter(&m.rw_requests, &["order", "2xx"]), 3);
    assert_eq!(m.rw_queue_samples.with(&["order"]).get(), 0.0);
    assert_eq!(m.rw_highest_sent_timestamp.with(&["order"]).get(), 5.0);
    assert_eq!(m.rw_shards.with(&["order"]).get(), 1.0);
}

#[tokio::test(start_paused = true)]
async fn flushes_a_partial_batch_after_batch_send_deadline() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[config("deadline", queue(100))], |_| fake.clone());
    let start = Instant::now();
    w.append(samples(&f, "a", 3)).await;
    tokio::time::sleep(Duration::from_millis(4_900)).await;
    assert!(fake.requests().is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].0 - start, Duration::from_secs(5));
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn retries_5xx_and_network_errors_with_growing_backoff() {
    let fake = Fake::scripted(&[Step::Status(500, None), Step::NetworkError, Step::Status(503, None)]);
    let f = SeriesFactory::default();
    let q = QueueConfig { min_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(1), ..queue(2) };
    let (w, _dir) = writer(&[config("retry5xx", q)], |_| fake.clone());
    w.append(samples(&f, "a", 2)).await;
    w.shutdown(Duration::from_secs(60)).await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 4);
    let gaps: Vec<Duration> = reqs.windows(2).map(|w| w[1].0 - w[0].0).collect();
    for (gap, step) in gaps.iter().zip([100u64, 200, 400]) {
        let step = Duration::from_millis(step);
        assert!(*gap <= step && *gap >= step * 3 / 4, "{gaps:?}");
    }
    assert!(reqs.iter().all(|(_, r)| r == &reqs[0].1), "every retry re-sends the same batch");
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_failed, &["retry5xx"]), 6);
    assert_eq!(counter(&m.rw_samples_retried, &["retry5xx"]), 6);
    assert_eq!(counter(&m.rw_samples_sent, &["retry5xx"]), 2);
    assert_eq!(counter(&m.rw_requests, &["retry5xx", "5xx"]), 2);
    assert_eq!(counter(&m.rw_requests, &["retry5xx", "network"]), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_on_429_after_retry_after() {
    let fake = Fake::scripted(&[Step::Status(429, Some(7)), Step::Status(429, None)]);
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[config("retry429", queue(1))], |_| fake.clone());
    w.append(samples(&f, "a", 1)).await;
    w.shutdown(Duration::from_secs(60)).await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[1].0 - reqs[0].0, Duration::from_secs(7));
    // The computed wait doubles from the Retry-After, capped at max_backoff (5s), minus jitter.
    let second = reqs[2].0 - reqs[1].0;
    assert!(second <= Duration::from_secs(5) && second >= Duration::from_millis(3750), "{second:?}");
    assert_eq!(counter(&metrics::get().rw_samples_sent, &["retry429"]), 1);
}

#[tokio::test(start_paused = true)]
async fn drops_a_4xx_rejected_batch_counted_and_goes_on() {
    let fake = Fake::scripted(&[Step::Status(400, None)]);
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[config("reject", queue(2))], |_| fake.clone());
    w.append(samples(&f, "a", 4)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(fake.requests().len(), 2);
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_dropped, &["reject", "http_4xx"]), 2);
    assert_eq!(counter(&m.rw_samples_sent, &["reject"]), 2);
    assert_eq!(counter(&m.rw_requests, &["reject", "4xx"]), 1);
    assert_eq!(counter(&m.rw_samples_retried, &["reject"]), 0);
}

#[tokio::test(start_paused = true)]
async fn append_does_not_wait_for_a_slow_backend_the_wal_holds_the_backlog() {
    let gate = Arc::new(Semaphore::new(0));
    let fake = Fake { gate: Some(gate.clone()), ..Fake::default() };
    let f = SeriesFactory::default();
    let q = QueueConfig { capacity: 2, ..queue(1) };
    let (w, _dir) = writer(&[config("full", q)], |_| fake.clone());
    let batch = samples(&f, "a", 30);
    for s in batch.chunks(3) {
        let append = tokio::time::timeout(Duration::from_millis(1), w.append(s.to_vec()));
        assert!(append.await.is_ok(), "append must not wait for the backend");
    }
    gate.add_permits(100);
    w.shutdown(Duration::from_secs(10)).await;
    let want: Vec<(f64, i64)> = (0..30).map(|i| (i as f64, 1000 * (i + 1))).collect();
    assert_eq!(fake.samples().concat(), want);
}

#[tokio::test(start_paused = true)]
async fn every_remote_gets_every_sample_with_external_labels_and_stale_markers() {
    let (a, b) = (Fake::default(), Fake::default());
    let f = SeriesFactory::default();
    let configs = [config("multi_a", queue(10)), config("multi_b", queue(10))];
    let mut fakes = [a.clone(), b.clone()].into_iter();
    let dir = Scratch::new("multi");
    let external = Labels::from_pairs([("cluster", "c1")]);
    let w = RemoteWriter::start_with(&configs, external, dir.wal(), |_| fakes.next().unwrap()).unwrap();
    let mut batch = samples(&f, "up", 2);
    batch[1].v = stale_nan();
    w.append(batch).await;
    w.shutdown(Duration::from_secs(10)).await;
    for fake in [a, b] {
        let reqs = fake.requests();
        let ts = &reqs[0].1.timeseries;
        assert_eq!(ts.len(), 2);
        let names: Vec<_> = ts[0].labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
        assert_eq!(names, [("__name__", "up"), ("cluster", "c1")]);
        assert_eq!(ts[1].samples[0].value.to_bits(), stale_nan().to_bits());
    }
}

#[tokio::test(start_paused = true)]
async fn spreads_series_over_shards_keeping_each_in_order() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let q = QueueConfig { min_shards: 3, ..queue(1000) };
    let (w, _dir) = writer(&[config("shards", q)], |_| fake.clone());
    let mut batch = Vec::new();
    let series: Vec<_> = (0..6).map(|i| samples(&f, &format!("s{i}"), 4)).collect();
    for i in 0..4 {
        batch.extend(series.iter().map(|s| s[i].clone()));
    }
    w.append(batch).await;
    w.shutdown(Duration::from_secs(10)).await;
    let reqs = fake.requests();
    assert!(reqs.len() <= 3, "one request per shard");
    let mut home = std::collections::HashMap::new();
    for (i, (_, r)) in reqs.iter().enumerate() {
        let mut last = std::collections::HashMap::new();
        for ts in &r.timeseries {
            let name = ts.labels[0].value.clone();
            assert_eq!(*home.entry(name.clone()).or_insert(i), i, "{name} is on one shard");
            let prev = last.insert(name, ts.samples[0].timestamp);
            assert!(prev.is_none_or(|p| p < ts.samples[0].timestamp));
        }
    }
    assert_eq!((home.len(), reqs.iter().map(|(_, r)| r.timeseries.len()).sum::<usize>()), (6, 24));
    assert_eq!(metrics::get().rw_shards.with(&["shards"]).get(), 3.0);
}

#[tokio::test(start_paused = true)]
async fn series_dropped_by_write_relabelling_are_not_sent_nor_counted_as_unknown() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let mut cfg = config("wrelabel", queue(10));
    cfg.write_relabel_configs =
        crate::relabel::tests::rules("- source_labels: [__name__]\n  regex: drop_.*\n  action: drop\n");
    let (w, _dir) = writer(&[cfg], |_| fake.clone());
    let mut batch = samples(&f, "drop_me", 2);
    batch.extend(samples(&f, "keep_me", 3));
    w.append(batch).await;
    w.shutdown(Duration::from_secs(10)).await;
    let reqs = fake.requests();
    let names: Vec<_> = reqs.iter().flat_map(|r| &r.1.timeseries).map(|ts| ts.labels[0].value.clone()).collect();
    assert_eq!(names, ["keep_me"; 3]);
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_sent, &["wrelabel"]), 3);
    assert_eq!(counter(&m.rw_samples_dropped, &["wrelabel", "unknown_series"]), 0);
}

/// Arrival order per series: every series' timestamps strictly increase, none is missing.
fn assert_each_series_in_order(fake: &Fake, series: usize, per_series: usize) {
    let mut last = std::collections::HashMap::new();
    let mut count = 0;
    for (name, t) in fake.by_series() {
        let prev = last.insert(name.clone(), t);
        assert!(prev.is_none_or(|p| p < t), "{name}: {t} after {prev:?}");
        count += 1;
    }
    assert_eq!((last.len(), count), (series, series * per_series));
}

#[tokio::test(start_paused = true)]
async fn a_distant_backend_gets_more_shards_and_every_series_stays_in_order() {
    // One shard sends 100 samples per 200 ms round trip, 500 a second; 2,000 a second come in.
    let fake = Fake { delay: Some(Duration::from_millis(200)), ..Fake::default() };
    let f = SeriesFactory::default();
    let q = QueueConfig { max_shards: 20, ..queue(100) };
    let (w, _dir) = writer(&[config("distant", q)], |_| fake.clone());
    let series: Vec<_> = (0..200).map(|i| f.make(Labels::from_pairs([("__name__", format!("s{i}"))]))).collect();
    let ticks = 600; // 60 s, a scrape of every series each 100 ms
    for tick in 0..ticks {
        let t = 1000 + 100 * tick as i64;
        w.append(series.iter().map(|s| Sample { series: s.clone(), t, v: 1.0 }).collect()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let m = metrics::get();
    let shards = m.rw_shards.with(&["distant"]).get();
    assert!((4.0..=20.0).contains(&shards), "{shards} shards");
    let lag = m.rw_highest_sent_lag.with(&["distant"]).get();
    assert!(lag < 10.0, "kept up: {lag} s behind with {shards} shards");
    w.shutdown(Duration::from_secs(60)).await;
    assert_each_series_in_order(&fake, 200, ticks);
}

#[tokio::test(start_paused = true)]
async fn samples_older_than_sample_age_limit_are_not_sent_and_counted() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let q = QueueConfig { sample_age_limit: Some(Duration::from_secs(600)), ..queue(10) };
    let (w, _dir) = writer(&[config("age", q)], |_| fake.clone());
    let now = crate::series::now_ms();
    let s = f.make(Labels::from_pairs([("__name__", "a")]));
    let at = |t: i64| Sample { series: s.clone(), t, v: 1.0 };
    w.append(vec![at(now - 3_600_000), at(now - 700_000), at(now - 1000), at(now)]).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(fake.by_series(), [("a".to_string(), now - 1000), ("a".to_string(), now)]);
    assert_eq!(counter(&metrics::get().rw_samples_dropped, &["age", "too_old"]), 2);
}

#[tokio::test]
async fn a_request_retried_past_sample_age_limit_is_given_up() {
    let fake = Fake::scripted(&[Step::Status(503, None); 1000]);
    let f = SeriesFactory::default();
    let limit = Duration::from_millis(300);
    let deadline = Duration::from_millis(10);
    let q = QueueConfig {
        sample_age_limit: Some(limit),
        min_backoff: Duration::from_millis(20),
        batch_send_deadline: deadline,
        ..queue(10)
    };
    let (w, _dir) = writer(&[config("age-retry", q)], |_| fake.clone());
    let s = f.make(Labels::from_pairs([("__name__", "a")]));
    w.append(vec![Sample { series: s, t: crate::series::now_ms(), v: 1.0 }]).await;
    let dropped = || counter(&metrics::get().rw_samples_dropped, &["age-retry", "too_old"]);
    while dropped() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.requests().len() >= 2, "retried before it aged out");
    assert_eq!(counter(&metrics::get().rw_samples_sent, &["age-retry"]), 0);
    w.shutdown(Duration::from_secs(1)).await;
}
