//! WebAssembly plugins end to end: the JSON exporter chosen by a relabelled pod annotation;
//! transform verdicts cached per series; hot reload of a changed `.wasm` (a broken one keeps the
//! old version) and of a plugin's config; `scrapelet plugin run`. The sandbox under attack is
//! `plugin_sandbox.rs`, the plugin-state contract `plugin_state.rs`.

use std::path::Path;
use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::plugins::{plugin, remote_write, self_metric};
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, wait_for};

const APP: &str = "# TYPE app_requests_total counter\napp_requests_total{code=\"200\"} 10\n";
const STATS: &str = r#"{"requests": 42, "queues": [{"name": "a", "depth": 3}, {"name": "b", "depth": 7}]}"#;
const TIMEOUT: Duration = Duration::from_secs(60);

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

/// Runs `scrapelet plugin run ARGS` to its end (at most a minute); exit success, stdout, stderr.
fn plugin_run(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let mut child = std::process::Command::new(scrapelet_tests::scrapelet_bin())
        .args(["plugin", "run"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_for("plugin run to end", TIMEOUT, || child.try_wait().unwrap());
    let read = |r: Option<&mut dyn std::io::Read>| {
        let mut s = String::new();
        r.map(|r| r.read_to_string(&mut s));
        s
    };
    let out = read(child.stdout.as_mut().map(|s| s as &mut dyn std::io::Read));
    let err = read(child.stderr.as_mut().map(|s| s as &mut dyn std::io::Read));
    (status.success(), out, err)
}

/// `plugin run` checks as the agent does: a transform's invalid label name or non-finite factor
/// fails (exit 1), colliding label sets keep the first series, an exposition the agent could
/// not scrape fails, and a call blocked in the host ends at `--timeout`. Components of the 0.1.0
/// contract still run.
#[test]
fn plugin_run_validates_as_the_agent_does() {
    let dir = std::env::temp_dir().join(format!("scrapelet-plugin-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let series = dir.join("series.txt");
    std::fs::write(&series, "{__name__=\"a\",x=\"1\"}\n{__name__=\"b\"}\n").unwrap();
    let transform = plugin("test-transform-hostile");
    let run_mode = |wasm: &Path, mode: &str, extra: &[&str]| {
        let config = dir.join(format!("{mode}.yml"));
        std::fs::write(&config, format!("mode: \"{mode}\"\n")).unwrap();
        let mut args: Vec<&std::ffi::OsStr> = vec![wasm.as_os_str(), "--config".as_ref(), config.as_os_str()];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        plugin_run(&args)
    };
    let with_series = ["--series", series.to_str().unwrap()];

    let (ok, out, err) = run_mode(&transform, "bad-name", &with_series);
    assert!(!ok && err.contains(r#"invalid label name "bad-name""#), "{out}{err}");
    let (ok, out, err) = run_mode(&transform, "nan", &with_series);
    assert!(!ok && err.contains("rescale factor NaN") && err.contains("not a finite number"), "{out}{err}");
    let (ok, out, err) = run_mode(&transform, "collide", &with_series);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            r#"rewrite {__name__="a",x="1"} -> {__name__="collided"}"#,
            r#"drop    {__name__="b"} (a duplicate: an earlier series already has {__name__="collided"})"#,
        ]
    );

    let exporter = plugin("test-hostile");
    let (ok, out, err) = run_mode(&exporter, "bad-exposition", &[]);
    assert!(!ok && out.contains("hostile_ok 1") && err.contains("the agent would fail this scrape"), "{out}{err}");
    let (ok, _, err) = run_mode(&exporter, "sleep", &["--timeout", "1s"]);
    assert!(!ok && err.contains("exceeded its time limit of 1s"), "{err}");

    // A 0.1.0 transform: its verdict types are the same shapes in 0.2.0.
    let old = plugin("test-v01-transform");
    let (ok, out, err) = plugin_run(&[old.as_os_str(), "--series".as_ref(), series.as_os_str()]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().next(), Some(r#"rescale {__name__="a",x="1"} -> {__name__="a",v="01",x="1"} x2"#), "{out}");

    let check = std::process::Command::new(scrapelet_tests::scrapelet_bin())
        .args(["plugin", "check"])
        .arg(plugin("test-v01"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success() && text.contains("scrapelet:plugin@0.1.0 exporter world"), "{text}");
}
