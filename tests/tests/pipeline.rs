//! The core pipeline end to end: a real node exporter and fixture targets scraped by the agent,
//! relabelled, and remote-written into a real Prometheus, which the test queries back.

use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::{FixtureServer, NodeExporter, Prometheus, Scrapelet, wait_for};

const APP: &str = "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n\
app_requests_total{method=\"GET\",code=\"200\"} 10\n\
app_requests_total{method=\"POST\",code=\"500\"} 2\n\
# TYPE app_debug_info gauge\napp_debug_info{build=\"x\"} 1\n\
# TYPE app_clash gauge\napp_clash{job=\"inner\",instance=\"inner:1\"} 3\n";

fn config(prom: &Prometheus, node: &NodeExporter, app: &FixtureServer) -> String {
    format!(
        r#"
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  external_labels:
    cluster: e2e
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["{node}"]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: node_exporter_build_info|node_time_seconds
        action: keep
  - job_name: app
    static_configs:
      - targets: ["{app}"]
        labels:
          team: core
    relabel_configs:
      - target_label: env
        replacement: test
      - source_labels: [__address__]
        regex: "127\\.0\\.0\\.1:(\\d+)"
        target_label: port
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: app_debug_info
        action: drop
remote_write:
  - url: {url}
    queue_config:
      batch_send_deadline: 200ms
"#,
        node = node.addr,
        app = app.addr,
        url = prom.write_url()
    )
}

#[test]
fn samples_arrive_in_prometheus_with_exact_labels() {
    let prom = Prometheus::start();
    let node = NodeExporter::start();
    let app = FixtureServer::start(|_, _| Reply::text(APP));
    let _agent = Scrapelet::start(&config(&prom, &node, &app));
    let timeout = Duration::from_secs(60);
    let port = app.addr.rsplit(':').next().unwrap();
    let labels = |extra: &str| {
        let all =
            format!(r#"{extra},cluster="e2e",env="test",instance="{}",job="app",port="{port}",team="core""#, app.addr);
        let mut pairs: Vec<&str> = all.split(',').collect();
        pairs.sort();
        format!("{{{}}}", pairs.join(","))
    };

    let got = prom.wait_for_series(r#"app_requests_total"#, timeout);
    let mut want = vec![
        (labels(r#"__name__="app_requests_total",code="200",method="GET""#), "10".to_string()),
        (labels(r#"__name__="app_requests_total",code="500",method="POST""#), "2".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);

    let up = prom.wait_for_series(r#"up{job="app"}"#, timeout);
    assert_eq!(up, vec![(labels(r#"__name__="up""#), "1".to_string())]);

    // Target labels win; the scraped ones are kept as exported_*.
    let clash = prom.wait_for_series("app_clash", timeout);
    assert_eq!(
        clash,
        vec![(labels(r#"__name__="app_clash",exported_instance="inner:1",exported_job="inner""#), "3".to_string())]
    );

    // metric_relabel_configs dropped these.
    assert!(prom.query("app_debug_info").is_empty());
    let node_up = prom.wait_for_series(r#"up{job="node"}"#, timeout);
    assert_eq!(node_up[0].1, "1");
    prom.wait_for_series(r#"node_exporter_build_info{job="node",cluster="e2e"}"#, timeout);
    assert!(prom.query(r#"{job="node",__name__=~"node_cpu.*"}"#).is_empty(), "node metrics not kept must be dropped");
    for name in [
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ] {
        prom.wait_for_series(&format!(r#"{name}{{job="app"}}"#), timeout);
    }
    let post = prom.query(r#"scrape_samples_post_metric_relabeling{job="app"}"#);
    assert_eq!(post[0].1, "3", "4 scraped, 1 dropped");
}

#[test]
fn vanished_series_and_targets_go_stale() {
    let prom = Prometheus::start();
    let app =
        FixtureServer::start(
            |_, hit| {
                if hit < 3 { Reply::text("flappy 1\nsteady 1\n") } else { Reply::text("steady 1\n") }
            },
        );
    let cfg = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [\"{}\"]\nremote_write:\n  - url: {}\n    queue_config:\n      batch_send_deadline: 200ms\n",
        app.addr,
        prom.write_url()
    );
    let _agent = Scrapelet::start(&cfg);
    prom.wait_for_series("flappy", Duration::from_secs(60));
    // Without a staleness marker Prometheus would keep returning it for 5 minutes.
    wait_for("flappy to go stale", Duration::from_secs(30), || prom.query("flappy").is_empty().then_some(()));
    assert_eq!(prom.query("steady").len(), 1);
}

/// Each malformed body fails only its own scrape: `up` 0 and a counted reason. (A repeated series
/// or an unknown escape does not fail a scrape: see `prom3.rs`.)
#[test]
fn malformed_bodies_fail_their_scrape_only() {
    let prom = Prometheus::start();
    let bad = FixtureServer::start(|path, _| match path {
        "/truncated" => Reply::text("ok_metric 1\ntruncated_metric{a=\"b"),
        "/no_content_type" => Reply::Body { content_type: "", body: b"m 1\n".to_vec() },
        "/invalid_utf8" => Reply::text(b"m{a=\"\xff\xfe\"} 1\n".to_vec()),
        "/huge" => Reply::Huge { len: 1 << 30 },
        "/no_eof" => Reply::openmetrics("m 1\n"),
        "/status" => Reply::Status(503),
        _ => Reply::text("good 1\n"),
    });
    let cases = [
        ("truncated", "parse"),
        ("no_content_type", "content_type"),
        ("invalid_utf8", "parse"),
        ("huge", "body_size_limit"),
        ("no_eof", "parse"),
        ("status", "http_status"),
    ];
    let mut cfg = String::from("global:\n  scrape_interval: 2s\n  scrape_timeout: 1900ms\nscrape_configs:\n");
    for (name, _) in cases.iter().chain([("good", "")].iter()) {
        cfg += &format!(
            "  - job_name: {name}\n    metrics_path: /{name}\n    static_configs:\n      - targets: [\"{}\"]\n",
            bad.addr
        );
    }
    cfg +=
        &format!("remote_write:\n  - url: {}\n    queue_config:\n      batch_send_deadline: 200ms\n", prom.write_url());
    let mut agent = Scrapelet::start(&cfg);
    let timeout = Duration::from_secs(90);
    prom.wait_for_series(r#"good{job="good"}"#, timeout);
    for (job, reason) in cases {
        let up = prom.wait_for_series(&format!(r#"up{{job="{job}"}}"#), timeout);
        assert_eq!(up[0].1, "0", "up for {job}");
        let want = format!(r#"scrapelet_scrape_failures_total{{job="{job}",reason="{reason}"}}"#);
        wait_for(&want, timeout, || agent.metrics().contains(&want).then_some(()));
    }
    assert!(prom.query(r#"ok_metric"#).is_empty(), "a failed scrape keeps none of its samples");
    assert!(prom.query(r#"m"#).is_empty());
    assert!(agent.alive(), "agent died: {}", agent.log());
    assert_eq!(prom.query(r#"up{job="good"}"#)[0].1, "1");
}
