//! WebAssembly plugins end to end: hostile exporters fail only their own scrape (counted, `up`
//! 0) while other targets keep flowing into a real Prometheus; the JSON exporter chosen by a
//! relabelled pod annotation; transform verdicts cached per series; hot reload of a changed
//! `.wasm` (a broken one keeps the old version) and of a plugin's config.

use std::path::Path;
use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::plugins::{plugin, remote_write, self_metric};
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, wait_for};

const APP: &str = "# TYPE app_requests_total counter\napp_requests_total{code=\"200\"} 10\n";
const STATS: &str = r#"{"requests": 42, "queues": [{"name": "a", "depth": 3}, {"name": "b", "depth": 7}]}"#;
const TIMEOUT: Duration = Duration::from_secs(60);

const HOSTILE: &[(&str, &str)] = &[
    ("loop", "timeout"),
    ("memory", "memory"),
    ("trap", "trap"),
    ("panic", "panic"),
    ("huge", "output_limit"),
    ("file", "plugin_error"),
    ("socket", "plugin_error"),
    ("other-host", "fetch_refused"),
];

fn hostile_config(prom: &Prometheus, app: &FixtureServer) -> String {
    let wasm = plugin("test-hostile");
    let mut plugins = String::from("plugins:\n");
    let mut jobs =
        format!("scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [\"{}\"]\n", app.addr);
    for (mode, _) in HOSTILE {
        plugins.push_str(&format!(
            "  - name: hostile-{mode}\n    path: {}\n    limits: {{memory: 48MiB, output: 1MiB}}\n    config: {{mode: {mode}}}\n",
            wasm.display()
        ));
        jobs.push_str(&format!(
            "  - job_name: hostile-{mode}\n    exporter: hostile-{mode}\n    static_configs:\n      - targets: [\"{}\"]\n",
            app.addr
        ));
    }
    format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n{plugins}{jobs}{}", remote_write(prom))
}

#[test]
fn hostile_plugins_fail_only_their_own_scrape() {
    let prom = Prometheus::start();
    let app = FixtureServer::start(|_, _| Reply::text(APP));
    let mut agent = Scrapelet::start(&hostile_config(&prom, &app));

    for (mode, kind) in HOSTILE {
        let series = format!(r#"scrapelet_plugin_errors_total{{plugin="hostile-{mode}",kind="{kind}"}}"#);
        wait_for(&series, TIMEOUT, || self_metric(&agent, &series).filter(|&n| n >= 1.0));
        let up = prom.wait_for_series(&format!(r#"up{{job="hostile-{mode}"}}"#), TIMEOUT);
        assert_eq!(up[0].1, "0", "{mode}: {up:?}");
    }
    assert!(agent.alive(), "the agent survived every hostile plugin");
    let before = self_metric(&agent, r#"scrapelet_scrapes_total{job="app"}"#).unwrap();
    wait_for("the app target to keep being scraped", TIMEOUT, || {
        self_metric(&agent, r#"scrapelet_scrapes_total{job="app"}"#).filter(|&n| n >= before + 3.0)
    });
    assert_eq!(prom.wait_for_series(r#"up{job="app"}"#, TIMEOUT)[0].1, "1");
    assert_eq!(prom.wait_for_series(r#"app_requests_total{job="app"}"#, TIMEOUT)[0].1, "10");
    let none = prom.query(r#"{__name__=~"hostile_(read_bytes|connected|escaped)"}"#);
    assert!(none.is_empty(), "a sandbox escape reported data: {none:?}");
    let log = agent.log();
    assert!(log.contains("exceeded its time limit") && log.contains("panicked on purpose"), "{log}");
    assert!(agent.alive());
}

#[test]
fn json_exporter_selected_by_pod_annotation_maps_json_to_metrics() {
    let prom = Prometheus::start();
    let pod = FixtureServer::start(|path, _| match path {
        "/stats.json" => Reply::Body { content_type: "application/json", body: STATS.into() },
        _ => Reply::Status(404),
    });
    let config = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 900ms
plugins:
  - name: json
    path: {wasm}
    config:
      path: /stats.json
      metrics:
        - {{name: app_requests_total, type: counter, path: $.requests}}
        - {{name: app_queue_depth, path: "$.queues[*]", value: "@.depth", labels: {{queue: "@.name"}}}}
scrape_configs:
  - job_name: pods
    static_configs:
      - targets: ["{addr}"]
        labels:
          __meta_kubernetes_pod_annotation_scrapelet_io_exporter: json
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_scrapelet_io_exporter]
        regex: (.+)
        target_label: __exporter__
{rw}"#,
        wasm = plugin("json-exporter").display(),
        addr = pod.addr,
        rw = remote_write(&prom)
    );
    let _agent = Scrapelet::start(&config);
    let got = prom.wait_for_series(r#"app_queue_depth{job="pods"}"#, TIMEOUT);
    let values: Vec<&str> = got.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, ["3", "7"], "{got:?}");
    assert!(got[0].0.contains(r#"queue="a""#), "{got:?}");
    assert_eq!(prom.wait_for_series(r#"app_requests_total{job="pods"}"#, TIMEOUT)[0].1, "42");
    assert_eq!(prom.wait_for_series(r#"up{job="pods"}"#, TIMEOUT)[0].1, "1");
}

fn transform_config(prom: &Prometheus, app: &FixtureServer, wasm: &Path, tag: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nplugins:\n  - name: tagger\n    path: {}\n    config: {}\n\
         scrape_configs:\n  - job_name: app\n    transforms: [tagger]\n    static_configs:\n      - targets: [\"{}\"]\n{}",
        wasm.display(),
        if tag.is_empty() { "{}".to_string() } else { format!("{{tag: {tag}}}") },
        app.addr,
        remote_write(prom)
    )
}

#[test]
fn transform_verdicts_are_cached_and_plugins_hot_reload() {
    let prom = Prometheus::start();
    let app = FixtureServer::start(|_, _| Reply::text(APP));
    let dir = std::env::temp_dir().join(format!("scrapelet-plugin-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("tagger.wasm");
    std::fs::copy(plugin("test-transform-hostile"), &wasm).unwrap();
    let mut agent = Scrapelet::start(&transform_config(&prom, &app, &wasm, ""));
    let calls = r#"scrapelet_plugin_calls_total{plugin="tagger"}"#;
    let scrapes = r#"scrapelet_scrapes_total{job="app"}"#;

    let got = prom.wait_for_series(r#"app_requests_total{seen_by="plugin",tag="v1"}"#, TIMEOUT);
    assert_eq!(got[0].1, "10");
    let (c0, s0) = (self_metric(&agent, calls).unwrap(), self_metric(&agent, scrapes).unwrap());
    wait_for("more scrapes", TIMEOUT, || self_metric(&agent, scrapes).filter(|&n| n >= s0 + 3.0));
    assert_eq!(self_metric(&agent, calls).unwrap(), c0, "verdicts are cached: no call per scrape");

    // A broken file: the old version keeps running and the failure is counted.
    std::fs::write(&wasm, b"not a component").unwrap();
    let failures = r#"scrapelet_plugin_loads_total{plugin="tagger",result="failure"}"#;
    wait_for("the failed reload", TIMEOUT, || self_metric(&agent, failures));
    let s1 = self_metric(&agent, scrapes).unwrap();
    wait_for("scrapes after a failed reload", TIMEOUT, || self_metric(&agent, scrapes).filter(|&n| n >= s1 + 2.0));
    assert_eq!(prom.query(r#"up{job="app"}"#)[0].1, "1");

    // A new plugin file: verdicts are made again (this one keeps series as they are).
    std::fs::copy(plugin("transform-example"), &wasm).unwrap();
    prom.wait_for_series(r#"app_requests_total{job="app",seen_by=""}"#, TIMEOUT);

    // A changed plugin config through a config reload (SIGHUP).
    std::fs::copy(plugin("test-transform-hostile"), &wasm).unwrap();
    prom.wait_for_series(r#"app_requests_total{tag="v1"}"#, TIMEOUT);
    std::fs::write(agent.proc.dir.join("config.yml"), transform_config(&prom, &app, &wasm, "v2")).unwrap();
    let pid = agent.proc.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    prom.wait_for_series(r#"app_requests_total{tag="v2"}"#, TIMEOUT);
    assert!(agent.alive());
}

/// `scrapelet plugin run`: the same exporter against a captured payload and against a live
/// target, with a file from `--data-dir` visible at `/data`.
#[test]
fn plugin_run_answers_from_a_payload_or_a_live_target() {
    let dir = std::env::temp_dir().join(format!("scrapelet-plugin-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("plugin.yml");
    std::fs::write(
        &config,
        "path: /stats.json\nmetrics:\n  - {name: app_requests_total, type: counter, path: $.requests}\n",
    )
    .unwrap();
    std::fs::write(dir.join("captured.json"), STATS).unwrap();
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(scrapelet_tests::scrapelet_bin())
            .args(["plugin", "run"])
            .arg(plugin("json-exporter"))
            .arg("--config")
            .arg(&config)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let payload = dir.join("captured.json");
    let (ok, out, err) = run(&["--payload", payload.to_str().unwrap()]);
    assert!(ok && out.contains("app_requests_total 42"), "{out}{err}");

    let pod = FixtureServer::start(|path, _| match path {
        "/stats.json" => Reply::Body { content_type: "application/json", body: r#"{"requests": 7}"#.into() },
        _ => Reply::Status(404),
    });
    let (ok, out, err) = run(&["--target", &pod.addr, "--data-dir", dir.to_str().unwrap()]);
    assert!(ok && out.contains("app_requests_total 7"), "{out}{err}");

    let (ok, _, err) = run(&["--target", "127.0.0.1:1"]);
    assert!(!ok && err.contains("scrapelet plugin run"), "{err}");
}
