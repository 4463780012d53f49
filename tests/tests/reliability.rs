//! Lose nothing: a fixture target whose value counts its own hits (so every scrape is a distinct
//! sample) is scraped by the agent through backend outages, injected 500/429 faults and a
//! `kill -9`; afterwards a real Prometheus must hold every value the target served.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use scrapelet_tests::backend::{Agent, Fault, FaultProxy};
use scrapelet_tests::fixture::Reply;
use scrapelet_tests::{FixtureServer, Prometheus, http, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

fn counter_target() -> FixtureServer {
    FixtureServer::start(|_, hit| Reply::text(format!("# TYPE hits_total counter\nhits_total {hit}\n")))
}

fn config(target: &FixtureServer, url: &str, protocol: &str) -> String {
    format!(
        "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\nscrape_configs:\n  - job_name: hits\n    \
         static_configs:\n      - targets: [\"{}\"]\nremote_write:\n  - url: {url}\n    protocol: {protocol}\n    \
         queue_config:\n      batch_send_deadline: 200ms\n      min_backoff: 50ms\n      max_backoff: 1s\n      \
         max_samples_per_send: 50\nwal:\n  segment_bytes: 64KiB\n",
        target.addr
    )
}

fn scratch(name: &str) -> PathBuf {
    scrapelet_tests::procs::scratch(&format!("rel-{name}"))
}

/// Waits until the target has served `n` more scrapes.
fn scrapes(target: &FixtureServer, n: u64) {
    let from = target.hits();
    wait_for(&format!("{n} more scrapes"), TIMEOUT, || (target.hits() >= from + n).then_some(()));
}

/// Waits until the proxy has forwarded `n` more requests to the backend (the agent sends again).
fn forwarded(proxy: &FaultProxy, n: u64) {
    let from = proxy.counts.forwarded.load(Ordering::Relaxed);
    wait_for(&format!("{n} more requests forwarded"), TIMEOUT, || {
        (proxy.counts.forwarded.load(Ordering::Relaxed) >= from + n).then_some(())
    });
}

/// Takes the backend down until `scrapes` more scrapes were served, checking that this was an
/// outage (the backend got nothing, the agent's requests failed) and that the WAL took what was
/// scraped meanwhile: at least one sample (`hits_total`) of every scrape served, in bytes
/// written during the outage. Returns the hit count when the outage began.
fn outage(agent: &Agent, proxy: &FaultProxy, target: &FixtureServer, scrapes: u64) -> u64 {
    let failed = proxy.counts.faults.load(Ordering::Relaxed);
    proxy.set(Fault::Down);
    wait_for("a request refused by the outage", TIMEOUT, || {
        (proxy.counts.faults.load(Ordering::Relaxed) > failed).then_some(())
    });
    let (bytes, samples) =
        (agent.metric("scrapelet_wal_bytes_written_total "), agent.metric("scrapelet_wal_samples_written_total "));
    let (hits, sent) = (target.hits(), proxy.counts.forwarded.load(Ordering::Relaxed));
    self::scrapes(target, scrapes);
    let served = target.hits() - hits;
    let (bytes, samples) = (
        agent.metric("scrapelet_wal_bytes_written_total ") - bytes,
        agent.metric("scrapelet_wal_samples_written_total ") - samples,
    );
    assert_eq!(proxy.counts.forwarded.load(Ordering::Relaxed), sent, "nothing reached the backend during the outage");
    assert!(
        bytes > 0.0 && samples >= (served - 1) as f64,
        "{served} scrapes, {samples} samples and {bytes} bytes in the WAL"
    );
    hits
}

/// Every value of `hits_total` Prometheus holds.
fn stored(prom: &Prometheus) -> BTreeSet<u64> {
    let q = http::encode("hits_total[1h]");
    let (status, body) = http::get(&prom.addr, &format!("/api/v1/query?query={q}")).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let Some(series) = v["data"]["result"].as_array().and_then(|r| r.first()) else { return BTreeSet::new() };
    series["values"].as_array().unwrap().iter().map(|p| p[1].as_str().unwrap().parse().unwrap()).collect()
}

/// Waits until Prometheus holds every hit in `0..served` except `excused` (scrapes in flight when
/// the agent was stopped or killed: served, but never handed to the agent's WAL).
fn assert_nothing_lost(prom: &Prometheus, served: u64, excused: &[u64]) {
    let missing = || -> Vec<u64> {
        let have = stored(prom);
        (0..served).filter(|h| !have.contains(h) && !excused.contains(h)).collect()
    };
    let result = std::panic::catch_unwind(|| {
        wait_for("every served sample in prometheus", TIMEOUT, || missing().is_empty().then_some(()))
    });
    assert!(result.is_ok(), "lost samples (hit numbers): {:?} of {served}", missing());
}

#[test]
fn a_backend_outage_loses_nothing() {
    let prom = Prometheus::start();
    let proxy = FaultProxy::start(&prom.addr);
    let target = counter_target();
    let dir = scratch("outage");
    let agent = Agent::start(&config(&target, &proxy.write_url(), "1.0"), &dir);
    forwarded(&proxy, 1);
    let began = outage(&agent, &proxy, &target, 12);
    proxy.set(Fault::None);
    forwarded(&proxy, 2);
    scrapes(&target, 2);
    agent.stop();
    let served = target.hits();
    assert!(served > began + 12, "served {served}");
    assert_nothing_lost(&prom, served, &[served - 1]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn kill_9_during_an_outage_then_restart_loses_nothing() {
    let prom = Prometheus::start();
    let proxy = FaultProxy::start(&prom.addr);
    let target = counter_target();
    let dir = scratch("kill");
    let cfg = config(&target, &proxy.write_url(), "1.0");
    let agent = Agent::start(&cfg, &dir);
    forwarded(&proxy, 1);
    outage(&agent, &proxy, &target, 8);
    agent.kill();
    let at_kill = target.hits();
    let agent = Agent::start(&cfg, &dir);
    scrapes(&target, 3); // still down: the new agent's samples queue behind the replayed ones
    proxy.set(Fault::None);
    wait_for("replay to finish", TIMEOUT, || {
        (agent.metric("scrapelet_wal_replayed_samples_total{") > 0.0).then_some(())
    });
    forwarded(&proxy, 2);
    scrapes(&target, 2);
    let log = agent.log();
    agent.stop();
    let served = target.hits();
    assert_nothing_lost(&prom, served, &[at_kill - 1, served - 1]);
    assert!(!log.contains("panicked"), "{log}");
    let _ = std::fs::remove_dir_all(dir);
}

/// 40 series, each the target's hit count: every scrape is a distinct sample of every series.
fn many_series_target() -> FixtureServer {
    FixtureServer::start(|_, hit| {
        let lines: String = (0..40).map(|n| format!("hits_total{{n=\"{n}\"}} {hit}\n")).collect();
        Reply::text(format!("# TYPE hits_total counter\n{lines}"))
    })
}

/// Every value of every `hits_total` series Prometheus holds, by the series' `n` label.
fn stored_by_series(prom: &Prometheus) -> std::collections::BTreeMap<String, BTreeSet<u64>> {
    let q = http::encode("hits_total[1h]");
    let (status, body) = http::get(&prom.addr, &format!("/api/v1/query?query={q}")).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let series = v["data"]["result"].as_array().cloned().unwrap_or_default();
    let values = |s: &serde_json::Value| {
        s["values"].as_array().unwrap().iter().map(|p| p[1].as_str().unwrap().parse().unwrap()).collect()
    };
    series.iter().map(|s| (s["metric"]["n"].as_str().unwrap_or("").to_string(), values(s))).collect()
}

/// Several shards in front of a backend 100 ms away, an outage, a `kill -9` during it and a
/// restart: Prometheus must hold every value of every series. It refuses a sample older than the
/// newest of its series (out of order) with a 400 that the agent drops, so a series whose samples
/// took different shards, or whose replayed and new samples did, shows up as missing values.
#[test]
fn several_shards_a_distant_backend_and_kill_9_during_an_outage_lose_nothing_and_keep_order() {
    let prom = Prometheus::start();
    let proxy = FaultProxy::start(&prom.addr);
    proxy.set_delay(Duration::from_millis(100));
    let target = many_series_target();
    let dir = scratch("shards");
    let cfg = format!(
        "global:\n  scrape_interval: 300ms\n  scrape_timeout: 250ms\nscrape_configs:\n  - job_name: hits\n    \
         static_configs:\n      - targets: [\"{}\"]\nremote_write:\n  - url: {}\n    queue_config:\n      \
         min_shards: 4\n      max_shards: 8\n      batch_send_deadline: 100ms\n      min_backoff: 50ms\n      \
         max_backoff: 1s\n      max_samples_per_send: 20\nwal:\n  segment_bytes: 64KiB\n",
        target.addr,
        proxy.write_url()
    );
    let agent = Agent::start(&cfg, &dir);
    forwarded(&proxy, 4);
    assert_eq!(agent.metric("scrapelet_remote_write_shards{"), 4.0);
    outage(&agent, &proxy, &target, 12);
    agent.kill();
    let at_kill = target.hits();
    let agent = Agent::start(&cfg, &dir);
    scrapes(&target, 6); // still down: the new agent's samples queue behind the replayed ones
    proxy.set(Fault::None);
    wait_for("replay to finish", TIMEOUT, || {
        (agent.metric("scrapelet_wal_replayed_samples_total{") > 0.0).then_some(())
    });
    forwarded(&proxy, 8);
    scrapes(&target, 4);
    let dropped = agent.metric("scrapelet_remote_write_dropped_samples_total{");
    let log = agent.stop();
    let served = target.hits();
    let excused = [at_kill - 1, served - 1];
    let missing = || -> Vec<(String, u64)> {
        let have = stored_by_series(&prom);
        (0..40)
            .flat_map(|n| (0..served).map(move |h| (n.to_string(), h)))
            .filter(|(n, h)| !excused.contains(h) && !have.get(n).is_some_and(|v| v.contains(h)))
            .collect()
    };
    let result = std::panic::catch_unwind(|| {
        wait_for("every served sample in prometheus", TIMEOUT, || missing().is_empty().then_some(()))
    });
    let lost = missing();
    let first = &lost[..lost.len().min(10)];
    assert!(
        result.is_ok(),
        "lost {} samples of {served} scrapes, first: {first:?}; the agent's log:\n{log}",
        lost.len()
    );
    assert_eq!(dropped, 0.0, "nothing dropped (an out-of-order request would be a dropped 400)");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn intermittent_500_and_429_with_retry_after_lose_nothing() {
    let prom = Prometheus::start();
    let proxy = FaultProxy::start(&prom.addr);
    let target = counter_target();
    let dir = scratch("faults");
    let agent = Agent::start(&config(&target, &proxy.write_url(), "1.0"), &dir);
    let faults = || proxy.counts.faults.load(Ordering::Relaxed);
    proxy.set(Fault::Every500(3));
    wait_for("three 500s answered", TIMEOUT, || (faults() >= 3).then_some(()));
    proxy.set(Fault::Every429 { n: 2, secs: 1 });
    let before = faults();
    wait_for("three 429s answered", TIMEOUT, || (faults() >= before + 3).then_some(()));
    proxy.set(Fault::None);
    forwarded(&proxy, 2);
    let retried = agent.metric("scrapelet_remote_write_samples_retried_total{");
    let dropped = agent
        .metrics()
        .lines()
        .filter(|l| l.starts_with("scrapelet_remote_write_dropped_samples_total"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum::<f64>();
    agent.stop();
    let served = target.hits();
    assert_nothing_lost(&prom, served, &[served - 1]);
    assert!(retried > 0.0, "faults were retried");
    assert_eq!(dropped, 0.0, "nothing dropped");
    for h in proxy.counts.headers.lock().unwrap().iter() {
        let get = |k: &str| h.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("content-encoding"), Some("snappy"));
        assert_eq!(get("content-type"), Some("application/x-protobuf"));
        assert_eq!(get("x-prometheus-remote-write-version"), Some("0.1.0"));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Prometheus 2.42 predates remote write 2.0: it reads a 2.0 body as an empty 1.0 request and
/// answers 204 without `X-Prometheus-Remote-Write-Samples-Written`; the agent must notice, fall
/// back to 1.0 and resend, losing nothing.
#[test]
fn remote_write_2_falls_back_to_1_against_prometheus_2_42() {
    let prom = Prometheus::start();
    let proxy = FaultProxy::start(&prom.addr);
    let target = counter_target();
    let dir = scratch("v2");
    let agent = Agent::start(&config(&target, &proxy.write_url(), "2.0"), &dir);
    // The 2.0 request, then 1.0 ones: the first is answered as Prometheus 2.42 does, the agent
    // falls back and resends.
    forwarded(&proxy, 3);
    let version = agent.metric("scrapelet_remote_write_protocol_version{");
    agent.stop();
    let served = target.hits();
    assert_nothing_lost(&prom, served, &[served - 1]);
    assert_eq!(version, 1.0);
    let headers = proxy.counts.headers.lock().unwrap();
    let first_type = headers[0].iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone());
    assert_eq!(first_type.as_deref(), Some("application/x-protobuf;proto=io.prometheus.write.v2.Request"));
    let _ = std::fs::remove_dir_all(dir);
}
