//! A plugin author's first hour, as the README tells it (issue 25): `scrapelet plugin new`, then
//! a real `cargo build` of the generated crate for wasm32-wasip2 (no scrapelet checkout: the SDK
//! and WIT files are the copies the command wrote), `plugin check`, `plugin run` on the sample
//! input it wrote, `scrape --job` and the agent itself with the `scrapelet.yml` it wrote, against a
//! real Prometheus. One exporter, one transform.
//!
//! SLOW and needs the registry (or a warm cargo cache): the first build of the generated crates
//! compiles wit-bindgen and serde (about a minute on 2 cores); the builds share
//! `target/plugin-new/` so later runs take seconds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::procs::{scratch, target_dir};
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, scrapelet_bin};

const TIMEOUT: Duration = Duration::from_secs(60);

/// `scrapelet ARGS` in `dir`: (exit code 0, stdout, stderr).
fn scrapelet(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(scrapelet_bin()).current_dir(dir).args(args).output().expect("run scrapelet");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// `plugin new NAME --KIND` in a fresh directory, then the README's build command; returns the
/// crate's directory and its `.wasm`.
fn new_and_build(name: &str, kind: &str) -> (PathBuf, PathBuf) {
    let parent = scratch("plugin-new");
    let (ok, out, err) = scrapelet(&parent, &["plugin", "new", name, kind]);
    assert!(ok, "plugin new: {out}{err}");
    let dir = parent.join(name);
    let shared = target_dir().join("plugin-new");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&dir)
        .args(["build", "--quiet", "--release"])
        .env("CARGO_TARGET_DIR", &shared)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("running cargo");
    assert!(status.success(), "cargo build of the generated {name} failed (is the wasm32-wasip2 target installed?)");
    // The README's path: target/ in the crate (here the shared CARGO_TARGET_DIR instead).
    let wasm = shared.join("wasm32-wasip2/release").join(format!("{}.wasm", name.replace('-', "_")));
    assert!(wasm.exists(), "{} was not built", wasm.display());
    let (ok, out, err) = scrapelet(&dir, &["plugin", "check", wasm.to_str().unwrap()]);
    assert!(ok && out.contains(&format!("scrapelet:plugin@0.2.0 {} world", &kind[2..])), "plugin check: {out}{err}");
    (dir, wasm)
}

/// The generated `scrapelet.yml`, pointed at the built plugin, `target` and `prom`, scraping
/// every second.
fn agent_config(dir: &Path, wasm: &Path, default_target: &str, target: &str, prom: &Prometheus) -> String {
    let text = std::fs::read_to_string(dir.join("scrapelet.yml")).unwrap();
    let relative = format!("target/wasm32-wasip2/release/{}", wasm.file_name().unwrap().to_string_lossy());
    assert!(text.contains(&relative) && text.contains(default_target), "{text}");
    let text = text
        .replace(&relative, wasm.to_str().unwrap())
        .replace(default_target, target)
        .replace("http://127.0.0.1:9090/api/v1/write", &prom.write_url());
    format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n{text}")
}

#[test]
fn a_new_exporter_builds_checks_runs_and_scrapes_in_the_agent() {
    let (dir, wasm) = new_and_build("hello-json", "--exporter");
    let wasm_arg = wasm.to_str().unwrap();

    let (ok, out, err) =
        scrapelet(&dir, &["plugin", "run", wasm_arg, "--config", "plugin.yml", "--payload", "sample.json"]);
    assert!(ok, "plugin run: {out}{err}");
    // sample.json is {"uptime_seconds": 12.5, "requests_total": 42, "healthy": true, "version": "1.4.2"}.
    let expected = "# TYPE hello_json_healthy gauge\nhello_json_healthy 1\n\
                    # TYPE hello_json_requests_total counter\nhello_json_requests_total 42\n\
                    # TYPE hello_json_uptime_seconds gauge\nhello_json_uptime_seconds 12.5\n\
                    # HELP hello_json_fields Top-level fields of the document.\n\
                    # TYPE hello_json_fields gauge\nhello_json_fields{path=\"/stats.json\"} 4\n";
    assert_eq!(out, expected);

    // A config error names the key.
    std::fs::write(dir.join("bad.yml"), "counters: requests_total\n").unwrap();
    let (ok, _, err) = scrapelet(&dir, &["plugin", "run", wasm_arg, "--config", "bad.yml", "--payload", "sample.json"]);
    assert!(
        !ok && err.contains(r#"plugin "hello_json" failed: invalid plugin config at counters: invalid type"#),
        "{err}"
    );

    let sample = std::fs::read(dir.join("sample.json")).unwrap();
    let pod = FixtureServer::start(move |path, _| match path {
        "/stats.json" => Reply::Body { content_type: "application/json", body: sample.clone() },
        _ => Reply::Status(404),
    });
    let prom = Prometheus::start();
    let config = agent_config(&dir, &wasm, "127.0.0.1:8080", &pod.addr, &prom);
    std::fs::write(dir.join("agent.yml"), &config).unwrap();

    // `scrape --job` runs the job's exporter as the agent does.
    let url = format!("http://{}/", pod.addr);
    let (ok, out, err) = scrapelet(&dir, &["scrape", &url, "--config", "agent.yml", "--job", "hello-json"]);
    assert!(ok, "scrape --job: {out}{err}");
    let labels = format!(r#"{{instance="{}",job="hello-json"}}"#, pod.addr);
    assert!(out.contains(&format!("hello_json_requests_total{labels} 42\n")), "{out}");
    assert!(out.contains(&format!("up{labels} 1\n")), "{out}");

    let agent = Scrapelet::start(&config);
    let got = prom.wait_for_series(r#"hello_json_requests_total{job="hello-json"}"#, TIMEOUT);
    assert_eq!(got[0].1, "42", "{got:?}");
    assert_eq!(prom.wait_for_series(r#"hello_json_uptime_seconds{job="hello-json"}"#, TIMEOUT)[0].1, "12.5");
    // The targets page says what the plugin fetches from, not the job's unused /metrics.
    let targets = agent.targets();
    let shown = &targets["data"]["activeTargets"][0]["exporter"];
    assert_eq!(shown.as_str(), Some(format!("exporter hello-json on http://{}", pod.addr).as_str()), "{targets}");
}

#[test]
fn a_new_transform_builds_checks_runs_on_a_saved_page_and_in_the_agent() {
    let (dir, wasm) = new_and_build("ms-to-s", "--transform");
    let (ok, out, err) =
        scrapelet(&dir, &["plugin", "run", wasm.to_str().unwrap(), "--config", "plugin.yml", "--series", "series.txt"]);
    assert!(ok, "plugin run: {out}{err}");
    // plugin.yml drops request_id and debug_*; *_milliseconds become *_seconds × 0.001.
    let expected = [
        r#"rescale {__name__="http_request_duration_milliseconds",path="/",request_id="a1"} -> {__name__="http_request_duration_seconds",path="/"} x0.001"#,
        r#"drop    {__name__="http_request_duration_milliseconds",path="/",request_id="b2"} (a duplicate: an earlier series already has {__name__="http_request_duration_seconds",path="/"})"#,
        r#"drop    {__name__="debug_cache_entries"}"#,
        r#"keep    {__name__="app_requests_total",code="200"}"#,
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);

    let app = FixtureServer::start(|_, _| {
        Reply::text(
            "# TYPE rpc_latency_milliseconds gauge\nrpc_latency_milliseconds{request_id=\"x\"} 250\ndebug_x 1\n",
        )
    });
    let prom = Prometheus::start();
    let _agent = Scrapelet::start(&agent_config(&dir, &wasm, "127.0.0.1:9100", &app.addr, &prom));
    let got = prom.wait_for_series(r#"rpc_latency_seconds{job="ms-to-s"}"#, TIMEOUT);
    assert_eq!((got.len(), got[0].1.as_str()), (1, "0.25"), "{got:?}");
    assert!(!got[0].0.contains("request_id"), "{got:?}");
    assert!(prom.query(r#"debug_x"#).is_empty());
}
