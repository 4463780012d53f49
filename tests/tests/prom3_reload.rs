//! A running agent as Prometheus 3 behaves: a config reload keeps the series of targets still
//! scraped free of staleness markers (checked in a real Prometheus that receives them), a job
//! that loses its targets reports 0, and `/api/v1/targets` refreshes discovered labels and lists
//! dropped targets (pods from a test kubelet whose pods change between polls).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scrapelet_tests::apiserver::annotated_pod;
use scrapelet_tests::fixture::Reply;
use scrapelet_tests::kubelet::{TestKubelet, testdata};
use scrapelet_tests::procs::scratch;
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, http, wait_for};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// A self-metric's value, if the agent reports it.
fn self_metric(agent: &Scrapelet, series: &str) -> Option<f64> {
    let metrics = agent.metrics();
    let line = metrics.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))?;
    line.rsplit(' ').next()?.parse().ok()
}

/// Rewrites the agent's config and sends SIGHUP; waits until the reload is counted.
fn reload(agent: &Scrapelet, config: &str) {
    let done = r#"scrapelet_config_reloads_total{result="success"}"#;
    let before = self_metric(agent, done).unwrap_or(0.0);
    std::fs::write(agent.proc.dir.join("config.yml"), config).unwrap();
    let pid = agent.proc.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_for("the reload", TIMEOUT, || self_metric(agent, done).filter(|&n| n > before));
}

/// Waits for `n` more scrapes of `job`.
fn scrapes(agent: &Scrapelet, job: &str, n: f64) {
    let s = format!(r#"scrapelet_scrapes_total{{job="{job}"}}"#);
    let start = self_metric(agent, &s).unwrap_or(0.0);
    wait_for(&format!("{n} scrapes of {job}"), TIMEOUT, || self_metric(agent, &s).filter(|&v| v >= start + n));
}

/// Evaluates `promql` every `step` seconds over [start, end]: the times that had no value. A
/// staleness marker shows as such a gap until the next sample.
fn gaps(prom: &Prometheus, promql: &str, start: f64, end: f64, step: f64) -> Vec<f64> {
    let path = format!("/api/v1/query_range?query={}&start={start:.3}&end={end:.3}&step={step}", http::encode(promql));
    let (status, body) = http::get(&prom.addr, &path).expect("query_range");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let result = v["data"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "{promql}: {body}");
    let have: Vec<f64> = result[0]["values"].as_array().unwrap().iter().map(|p| p[0].as_f64().unwrap()).collect();
    let mut missing = Vec::new();
    let mut t = start;
    while t <= end {
        if !have.iter().any(|h| (h - t).abs() < step / 2.0) {
            missing.push(t);
        }
        t += step;
    }
    missing
}

fn config(prom: &Prometheus, app: &FixtureServer, app_job: &str, extra_targets: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [\"{app}\"]\n{app_job}  - job_name: extra\n    static_configs:\n      - targets: [{extra_targets}]\nremote_write:\n  - url: {url}\n    queue_config:\n      batch_send_deadline: 200ms\n",
        app = app.addr,
        url = prom.write_url()
    )
}

/// Prometheus keeps series state across a reload (`reusableCache`, and stale markers only for
/// series no longer exposed): editing a job must leave no gap in a series still scraped.
#[test]
fn reload_leaves_no_staleness_marker_on_series_still_exposed() {
    let prom = Prometheus::start();
    let app = FixtureServer::start(|_, _| Reply::text("steady{a=\"1\"} 1\nother 2\n"));
    let extra = format!("\"{}\"", app.addr);
    let agent = Scrapelet::start(&config(&prom, &app, "", &extra));
    prom.wait_for_series(r#"steady{job="app"}"#, TIMEOUT);
    scrapes(&agent, "app", 3.0);
    let start = now();

    // Only the timeout changes: the cache is reused.
    reload(&agent, &config(&prom, &app, "    scrape_timeout: 800ms\n", &extra));
    scrapes(&agent, "app", 3.0);
    // Metric relabelling changes: series are resolved anew; `other` is no longer sent and goes
    // stale at once (without a marker Prometheus would show it for 5 minutes).
    let drop_other = "    scrape_timeout: 800ms\n    metric_relabel_configs:\n      - {source_labels: [__name__], regex: other, action: drop}\n";
    reload(&agent, &config(&prom, &app, drop_other, &extra));
    wait_for("other to go stale", TIMEOUT, || prom.query(r#"other{job="app"}"#).is_empty().then_some(()));
    // The job `extra` loses its only target.
    reload(&agent, &config(&prom, &app, drop_other, ""));
    wait_for("extra's gauge at 0", TIMEOUT, || {
        self_metric(&agent, r#"scrapelet_targets{job="extra"}"#).filter(|&v| v == 0.0)
    });
    scrapes(&agent, "app", 3.0);
    let end = now() - 1.5;
    // Until Prometheus holds samples past `end` (remote write delivers them a moment later).
    for series in [r#"steady{job="app"}"#, r#"up{job="app"}"#] {
        wait_for(&format!("{series} sent past the checked span"), TIMEOUT, || {
            let t = prom.query(&format!("timestamp({series})")).first()?.1.parse::<f64>().ok()?;
            (t > end).then_some(())
        });
    }

    for series in [r#"steady{job="app"}"#, r#"up{job="app"}"#] {
        let missing = gaps(&prom, series, start, end, 0.25);
        assert!(missing.is_empty(), "{series} had no value at {missing:?} (a staleness marker)");
    }
    assert_eq!(self_metric(&agent, r#"scrapelet_targets{job="app"}"#), Some(1.0));
    assert!(prom.query(r#"steady{job="extra"}"#).is_empty(), "the removed target's series went stale");
}

/// The embedded default's pod job, on a test kubelet's pods.
fn kubelet_config(kubelet: &TestKubelet, prom: &Prometheus) -> String {
    let token = scratch("prom3-kubelet-token").join("token");
    std::fs::write(&token, "t0ken\n").unwrap();
    let entry = format!(
        "      - role: pod\n        pod_source: kubelet\n        kubelet:\n          url: {}\n          poll_interval: 1s\n          timeout: 1s\n          bearer_token_file: {}\n          tls_config:\n            ca_file: {}\n",
        kubelet.url,
        token.display(),
        testdata("ca.pem").display()
    );
    let cfg = scrapelet_tests::defaults::without_kubelet_job()
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
        .replace("scrape_timeout: 10s", "scrape_timeout: 900ms")
        .replace("      - role: pod\n", &entry)
        .replace("${REMOTE_WRITE_URL}", &prom.write_url());
    assert!(cfg.contains("pod_source: kubelet"), "the default's shape changed");
    cfg
}

fn data(agent: &Scrapelet) -> Value {
    agent.targets()["data"].clone()
}

/// Discovered labels follow the pod within one poll; a pod the job's `keep` rule drops is listed
/// under `droppedTargets` (Prometheus' `TestDiscoveredLabelsUpdate`, `TestDroppedTargetsList`).
#[test]
fn discovered_labels_refresh_and_dropped_pods_are_listed() {
    let (kubelet, prom) = (TestKubelet::start("t0ken"), Prometheus::start());
    let (_fixture, pod) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.26", "series_a 1\n");
    kubelet.set_pods(vec![pod]);
    let agent = Scrapelet::start_with_env(&kubelet_config(&kubelet, &prom), &[("NODE_NAME", "node-a")]);
    prom.wait_for_series("series_a", TIMEOUT);

    let d = data(&agent);
    assert_eq!(d["activeTargets"].as_array().unwrap().len(), 1);
    // The pod's other port is not the annotated one: the job's `keep` rule drops that target.
    let dropped = d["droppedTargets"].as_array().unwrap();
    assert_eq!(dropped.len(), 1, "{d}");
    assert_eq!(dropped[0]["scrapePool"], "kubernetes-pods");
    assert_eq!(dropped[0]["discoveredLabels"]["__meta_kubernetes_pod_container_port_number"], "8080");
    assert_eq!(dropped[0]["discoveredLabels"]["job"], "kubernetes-pods");
    assert_eq!(d["droppedTargetCounts"]["kubernetes-pods"], 1);
    let only_active = agent_json(&agent, "/api/v1/targets?state=active");
    assert!(only_active["data"]["droppedTargets"].as_array().unwrap().is_empty());

    // The pod turns unready and gets a new uid: the same target, new discovered labels.
    kubelet.update_pod("shop", "web-7d9f-aaaaa", |p| {
        p["metadata"]["uid"] = json!("0f3e2c1a-0000-4000-8000-00000000beef");
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    });
    wait_for("the new uid on /api/v1/targets", TIMEOUT, || {
        let d = data(&agent);
        let t = &d["activeTargets"][0]["discoveredLabels"];
        (t["__meta_kubernetes_pod_uid"] == "0f3e2c1a-0000-4000-8000-00000000beef"
            && t["__meta_kubernetes_pod_ready"] == "false")
            .then_some(())
    });

    // Annotated `scrape: "false"`: no active target left, both listed as dropped, gauge at 0.
    kubelet.update_pod("shop", "web-7d9f-aaaaa", |p| {
        p["metadata"]["annotations"]["prometheus.io/scrape"] = json!("false")
    });
    wait_for("the pod among droppedTargets", TIMEOUT, || {
        let d = data(&agent);
        (d["activeTargets"].as_array().unwrap().is_empty() && d["droppedTargets"].as_array().unwrap().len() == 2)
            .then_some(())
    });
    assert_eq!(self_metric(&agent, r#"scrapelet_targets{job="kubernetes-pods"}"#), Some(0.0));
    wait_for("series_a to go stale", TIMEOUT, || prom.query("series_a").is_empty().then_some(()));
}

fn agent_json(agent: &Scrapelet, path: &str) -> Value {
    serde_json::from_str(&http::get(&agent.addr, path).expect("agent").1).unwrap()
}

/// `target_limit`: more targets than the limit fail every scrape of the job (Prometheus'
/// `TestScrapePoolTargetLimit` message), and `scrape_failure_log_file` gets one JSON line per
/// failed fetch.
#[test]
fn target_limit_fails_the_job_and_failures_are_logged_to_the_file() {
    let app = FixtureServer::start(|path, _| if path == "/bad" { Reply::Status(500) } else { Reply::text("m 1\n") });
    let log = scratch("prom3-fail").join("failures.log");
    let cfg = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: limited\n    target_limit: 1\n    static_configs:\n      - targets: [\"{a}\", \"localhost:{p}\"]\n  - job_name: failing\n    metrics_path: /bad\n    scrape_failure_log_file: {log}\n    static_configs:\n      - targets: [\"{a}\"]\n",
        a = app.addr,
        p = app.addr.rsplit(':').next().unwrap(),
        log = log.display()
    );
    let agent = Scrapelet::start(&cfg);
    wait_for("both limited targets down with the limit error", TIMEOUT, || {
        let d = data(&agent);
        let limited: Vec<&Value> =
            d["activeTargets"].as_array().unwrap().iter().filter(|t| t["scrapePool"] == "limited").collect();
        (limited.len() == 2
            && limited.iter().all(|t| {
                t["health"] == "down" && t["lastError"] == "target_limit exceeded (number of targets: 2, limit: 1)"
            }))
        .then_some(())
    });
    let line = wait_for("a failure line", TIMEOUT, || {
        std::fs::read_to_string(&log).ok().and_then(|s| s.lines().next().map(str::to_string))
    });
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!((v["level"].as_str(), v["job_name"].as_str()), (Some("ERROR"), Some("failing")), "{line}");
    assert!(v["msg"].as_str().unwrap().contains("500"), "{line}");
    assert_eq!(v["target"], format!("http://{}/bad", app.addr));
}
