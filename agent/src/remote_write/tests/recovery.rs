//! Nothing is lost across backend outages, shutdowns and crashes: the WAL and the checkpoints.
//! Also remote write 2.0 and its fallback to 1.0.

use std::time::Duration;

use super::*;
use crate::metrics;

fn start(dir: &Scratch, configs: &[RemoteWriteConfig], fake: &Fake) -> RemoteWriter {
    RemoteWriter::start_with(configs, Labels::new(), dir.wal(), |_| fake.clone()).unwrap()
}

fn values(fake: &Fake) -> Vec<f64> {
    fake.samples().concat().into_iter().map(|(v, _)| v).collect()
}

#[tokio::test(start_paused = true)]
async fn shutdown_at_the_deadline_leaves_unsent_samples_for_the_next_start() {
    let dir = Scratch::new("leave");
    let f = SeriesFactory::default();
    let failing = Fake::scripted(&[Step::Status(500, None); 1000]);
    let w = start(&dir, &[config("leave", queue(2))], &failing);
    w.append(samples(&f, "a", 5)).await;
    w.shutdown(Duration::from_secs(3)).await;
    let m = metrics::get();
    assert_eq!(counter(&m.rw_samples_dropped, &["leave", "shutdown"]), 0);
    let ok = Fake::default();
    start(&dir, &[config("leave", queue(2))], &ok).shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&ok), [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(counter(&m.wal_replayed_samples, &["leave"]), 5);
}

#[tokio::test(start_paused = true)]
async fn a_restart_resumes_after_the_checkpoint_without_resending() {
    let dir = Scratch::new("resume");
    let f = SeriesFactory::default();
    let first = Fake::default();
    let w = start(&dir, &[config("resume", queue(2))], &first);
    w.append(samples(&f, "a", 3)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&first), [0.0, 1.0, 2.0]);
    let second = Fake::default();
    let w = start(&dir, &[config("resume", queue(2))], &second);
    let f = SeriesFactory::default(); // a new process: series ids start again
    w.append(samples(&f, "b", 2)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&second), [0.0, 1.0]);
    let names: Vec<String> =
        second.requests().iter().flat_map(|(_, r)| r.timeseries.iter().map(|t| t.labels[0].value.clone())).collect();
    assert_eq!(names, ["b", "b"]);
}

#[tokio::test(start_paused = true)]
async fn a_crash_during_an_outage_loses_nothing() {
    let dir = Scratch::new("crash");
    let f = SeriesFactory::default();
    let down = Fake::scripted(&[Step::NetworkError; 1000]);
    let w = start(&dir, &[config("crash", queue(3))], &down);
    for i in 0..4 {
        let mut batch = samples(&f, &format!("s{i}"), 5);
        batch.iter_mut().for_each(|s| s.v += 10.0 * i as f64);
        w.append(batch).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(w); // no shutdown: as if killed
    let up = Fake::default();
    start(&dir, &[config("crash", queue(3))], &up).shutdown(Duration::from_secs(10)).await;
    let mut got = values(&up);
    got.sort_by(f64::total_cmp);
    let want: Vec<f64> = (0..4).flat_map(|i| (0..5).map(move |j| (10 * i + j) as f64)).collect();
    assert_eq!(got, want);
}

/// One shard is stuck (its backend answers 503 to requests with a certain series) while the
/// others go on; then the agent dies. After the restart, what the other shards had delivered is
/// not sent again (a strict backend would refuse it as out of order, and with it the new samples
/// of the same request), and the stuck shard's samples all arrive.
#[tokio::test(start_paused = true)]
async fn after_a_crash_a_shard_that_ran_ahead_sends_nothing_twice() {
    let dir = Scratch::new("ahead");
    let f = SeriesFactory::default();
    let names: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let stuck: &'static str = names[0].clone().leak();
    let first = Fake { refuse: Some(stuck), ..Fake::default() };
    let q = QueueConfig { min_shards: 4, max_shards: 4, ..queue(40) };
    let w = start(&dir, &[config("ahead", q.clone())], &first);
    let series: Vec<_> = names.iter().map(|n| f.make(Labels::from_pairs([("__name__", n.as_str())]))).collect();
    for t in 1..=10 {
        w.append(series.iter().map(|s| Sample { series: s.clone(), t, v: t as f64 }).collect()).await;
    }
    tokio::time::sleep(Duration::from_secs(20)).await;
    drop(w); // killed
    let before: Vec<(String, i64)> = first.by_series();
    assert!(before.len() >= 20, "the other shards went on: {}", before.len());
    assert!(before.iter().all(|(n, _)| n != stuck));
    let second = Fake::default();
    start(&dir, &[config("ahead", q)], &second).shutdown(Duration::from_secs(10)).await;
    let after = second.by_series();
    let mut all: Vec<(String, i64)> = before.iter().chain(after.iter()).cloned().collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(n, all.len(), "sent twice: {} samples", n - all.len());
    assert_eq!(all.len(), 12 * 10, "every sample arrived");
}

#[tokio::test(start_paused = true)]
async fn several_remotes_keep_their_own_progress() {
    let dir = Scratch::new("progress");
    let f = SeriesFactory::default();
    let (ok, down) = (Fake::default(), Fake::scripted(&[Step::Status(503, None); 1000]));
    let configs = [config("progress_a", queue(10)), config("progress_b", queue(10))];
    let mut fakes = [ok.clone(), down.clone()].into_iter();
    let w = RemoteWriter::start_with(&configs, Labels::new(), dir.wal(), |_| fakes.next().unwrap()).unwrap();
    w.append(samples(&f, "a", 4)).await;
    w.shutdown(Duration::from_secs(2)).await;
    assert_eq!(values(&ok).len(), 4);
    let (ok2, up2) = (Fake::default(), Fake::default());
    let mut fakes = [ok2.clone(), up2.clone()].into_iter();
    let w = RemoteWriter::start_with(&configs, Labels::new(), dir.wal(), |_| fakes.next().unwrap()).unwrap();
    w.shutdown(Duration::from_secs(10)).await;
    assert!(ok2.requests().is_empty(), "remote a had acknowledged everything");
    assert_eq!(values(&up2), [0.0, 1.0, 2.0, 3.0]);
}

fn v2_config(name: &str) -> RemoteWriteConfig {
    RemoteWriteConfig { protocol: Protocol::V2, ..config(name, queue(2)) }
}

#[tokio::test(start_paused = true)]
async fn sends_remote_write_2_when_the_backend_takes_it() {
    let fake = Fake::default();
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[v2_config("v2_ok")], |_| fake.clone());
    w.append(samples(&f, "a", 4)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&fake), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(*fake.protocols.lock().unwrap(), [Protocol::V2, Protocol::V2]);
    assert_eq!(metrics::get().rw_protocol.with(&["v2_ok"]).get(), 2.0);
}

#[tokio::test(start_paused = true)]
async fn falls_back_to_1_0_on_415_and_resends_the_batch() {
    let fake = Fake { v2: V2Support::Unsupported, ..Fake::default() };
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[v2_config("v2_415")], |_| fake.clone());
    w.append(samples(&f, "a", 4)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&fake), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(*fake.protocols.lock().unwrap(), [Protocol::V2, Protocol::V1, Protocol::V1]);
    assert_eq!(metrics::get().rw_protocol.with(&["v2_415"]).get(), 1.0);
}

#[tokio::test(start_paused = true)]
async fn falls_back_to_1_0_when_a_1x_backend_answers_2xx_without_the_written_header() {
    let fake = Fake { v2: V2Support::Ignores, ..Fake::default() };
    let f = SeriesFactory::default();
    let (w, _dir) = writer(&[v2_config("v2_ignored")], |_| fake.clone());
    w.append(samples(&f, "a", 2)).await;
    w.shutdown(Duration::from_secs(10)).await;
    assert_eq!(values(&fake), [0.0, 1.0], "the ignored 2.0 request was sent again as 1.0");
    assert_eq!(*fake.protocols.lock().unwrap(), [Protocol::V2, Protocol::V1]);
}
