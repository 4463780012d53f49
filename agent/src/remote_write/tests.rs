//! Queue, shard and retry behaviour end to end against an in-process fake backend, on paused time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::proto::WriteRequest;
use super::*;
use crate::http_client::HttpClientConfig;
use crate::metrics;
use crate::series::{Sample, SeriesFactory, stale_nan};

/// What the fake backend answers to the next request.
#[derive(Clone, Copy)]
enum Step {
    Status(u16, Option<u64>),
    NetworkError,
}

/// Records every request (decoded) with its time and answers from a script, then 200.
#[derive(Clone, Default)]
struct Fake {
    script: Arc<Mutex<VecDeque<Step>>>,
    log: Arc<Mutex<Vec<(Instant, WriteRequest)>>>,
    /// When set, each request waits for one permit first (a slow backend).
    gate: Option<Arc<Semaphore>>,
}

impl Fake {
    fn scripted(steps: &[Step]) -> Fake {
        Fake { script: Arc::new(Mutex::new(steps.iter().copied().collect())), ..Fake::default() }
    }

    fn requests(&self) -> Vec<(Instant, WriteRequest)> {
        self.log.lock().unwrap().clone()
    }

    /// (value, timestamp) of every sample received, in order, per request.
    fn samples(&self) -> Vec<Vec<(f64, i64)>> {
        let reqs = self.requests();
        reqs.iter()
            .map(|(_, r)| r.timeseries.iter().map(|ts| (ts.samples[0].value, ts.samples[0].timestamp)).collect())
            .collect()
    }
}

impl Transport for Fake {
    async fn send(&self, body: Bytes) -> Result<Response, TransportError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
        self.log.lock().unwrap().push((Instant::now(), WriteRequest::decode(raw.as_slice()).unwrap()));
        let step = self.script.lock().unwrap().pop_front().unwrap_or(Step::Status(200, None));
        match step {
            Step::Status(status, retry_after) => {
                let retry_after = retry_after.map(Duration::from_secs);
                Ok(Response { status, retry_after, message: "fake".into() })
            }
            Step::NetworkError => Err(TransportError::Client("connection refused".into())),
        }
    }
}

fn config(name: &str, q: QueueConfig) -> RemoteWriteConfig {
    RemoteWriteConfig {
        url: "http://127.0.0.1:1/api/v1/write".into(),
        name: name.into(),
        remote_timeout: Duration::from_secs(30),
        headers: vec![],
        http: HttpClientConfig::default(),
        write_relabel_configs: vec![],
        queue_config: q,
    }
}

fn queue(max_samples_per_send: usize) -> QueueConfig {
    QueueConfig { max_samples_per_send, ..QueueConfig::default() }
}

/// `n` samples of one series, values 0..n at timestamps 1000, 2000, ...
fn samples(f: &SeriesFactory, name: &str, n: usize) -> Batch {
    let s = f.make(Labels::from_pairs([("__name__", name)]));
    (0..n).map(|i| Sample { series: s.clone(), t: 1000 * (i as i64 + 1), v: i as f64 }).collect()
}

fn counter(f: &crate::metrics::Family<crate::metrics::Counter>, labels: &[&str]) -> u64 {
    f.with(labels).get()
}

#[tokio::test(start_paused = true)]
async fn sends_full_batches_in_series_order_and_flushes_the_rest_on_shutdown() {
    let fake = Fake::default();
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("order", queue(2))], Labels::new(), |_| fake.clone());
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
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("deadline", queue(100))], Labels::new(), |_| fake.clone());
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
    let f = SeriesFactory::new(1);
    let q = QueueConfig { min_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(1), ..queue(2) };
    let w = RemoteWriter::start_with(&[config("retry5xx", q)], Labels::new(), |_| fake.clone());
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
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("retry429", queue(1))], Labels::new(), |_| fake.clone());
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
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("reject", queue(2))], Labels::new(), |_| fake.clone());
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
async fn shutdown_gives_up_at_the_deadline_and_counts_what_was_left() {
    let fake = Fake::scripted(&[Step::Status(500, None); 1000]);
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("shutdown", queue(2))], Labels::new(), |_| fake.clone());
    w.append(samples(&f, "a", 5)).await;
    let start = Instant::now();
    w.shutdown(Duration::from_secs(3)).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(3));
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_dropped, &["shutdown", "shutdown"]), 5);
    assert_eq!(counter(&m.rw_samples_sent, &["shutdown"]), 0);
    assert_eq!(m.rw_queue_samples.with(&["shutdown"]).get(), 0.0);
}

#[tokio::test(start_paused = true)]
async fn append_waits_while_the_queue_is_full() {
    let gate = Arc::new(Semaphore::new(0));
    let fake = Fake { gate: Some(gate.clone()), ..Fake::default() };
    let f = SeriesFactory::new(1);
    let q = QueueConfig { capacity: 2, ..queue(1) };
    let w = RemoteWriter::start_with(&[config("full", q)], Labels::new(), |_| fake.clone());
    let batch = samples(&f, "a", 3);
    // The shard takes the first sample and blocks sending it; the second waits in the queue.
    w.append(batch[..1].to_vec()).await;
    tokio::task::yield_now().await;
    w.append(batch[1..2].to_vec()).await;
    let third = tokio::time::timeout(Duration::from_secs(60), w.append(batch[2..].to_vec()));
    assert!(third.await.is_err(), "append must wait while the shard is full");
    gate.add_permits(10);
    w.append(batch[2..].to_vec()).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(fake.samples().concat(), vec![(0.0, 1000), (1.0, 2000), (2.0, 3000)]);
}

#[tokio::test(start_paused = true)]
async fn every_remote_gets_every_sample_with_external_labels_and_stale_markers() {
    let (a, b) = (Fake::default(), Fake::default());
    let f = SeriesFactory::new(2);
    let configs = [config("multi_a", queue(10)), config("multi_b", queue(10))];
    let mut fakes = [a.clone(), b.clone()].into_iter();
    let w = RemoteWriter::start_with(&configs, Labels::from_pairs([("cluster", "c1")]), |_| fakes.next().unwrap());
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
    let f = SeriesFactory::new(1);
    let q = QueueConfig { min_shards: 3, ..queue(1000) };
    let w = RemoteWriter::start_with(&[config("shards", q)], Labels::new(), |_| fake.clone());
    let mut batch = Vec::new();
    let series: Vec<_> = (0..6).map(|i| samples(&f, &format!("s{i}"), 4)).collect();
    for i in 0..4 {
        batch.extend(series.iter().map(|s| s[i].clone()));
    }
    w.append(batch).await;
    w.shutdown(Duration::from_secs(10)).await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3, "one request per shard");
    for (_, r) in &reqs {
        assert_eq!(r.timeseries.len(), 8);
        let mut last = std::collections::HashMap::new();
        for ts in &r.timeseries {
            let prev = last.insert(ts.labels[0].value.clone(), ts.samples[0].timestamp);
            assert!(prev.is_none_or(|p| p < ts.samples[0].timestamp));
        }
    }
    assert_eq!(metrics::get().rw_shards.with(&["shards"]).get(), 3.0);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_writer_counts_what_it_held() {
    let fake = Fake::scripted(&[Step::Status(500, None); 1000]);
    let f = SeriesFactory::new(1);
    let w = RemoteWriter::start_with(&[config("dropped_writer", queue(2))], Labels::new(), |_| fake.clone());
    w.append(samples(&f, "a", 5)).await;
    drop(w);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(counter(&metrics::get().rw_samples_dropped, &["dropped_writer", "shutdown"]), 5);
}

#[tokio::test(start_paused = true)]
async fn counts_samples_of_series_made_for_fewer_remotes() {
    let fake = Fake::default();
    let f = SeriesFactory::new(0);
    let w = RemoteWriter::start_with(&[config("no_slot", queue(10))], Labels::new(), |_| fake.clone());
    w.append(samples(&f, "a", 3)).await;
    w.shutdown(Duration::from_secs(1)).await;
    assert!(fake.requests().is_empty());
    assert_eq!(counter(&metrics::get().rw_samples_dropped, &["no_slot", "no_slot"]), 3);
}
