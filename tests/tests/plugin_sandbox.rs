//! The plugin sandbox under attack (issue 23): hostile components built against
//! `wit/plugin.wit` alone (`plugins/test-hostile`, `plugins/test-transform-hostile`) run in one
//! agent next to a witness target scraped every second. Every misdeed is contained — its own
//! scrape fails with its reason, counted by kind, or it is rate limited and counted — while the
//! witness keeps its interval, `/-/healthy` answers, the WAL never fails, and SIGTERM ends the
//! agent within its grace period. Then the pool's own limits (queue, slots, memory of all
//! calls), the JSON log format, and a component of the 0.1.0 contract.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::plugins::{plugin, remote_write, self_metric, silent_target, start_agent};
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, wait_for};

const TIMEOUT: Duration = Duration::from_secs(90);
const INTERVAL: Duration = Duration::from_secs(1);
/// Kubernetes' default grace period (and the DaemonSet's).
const GRACE: Duration = Duration::from_secs(30);
const APP: &str = "app_requests_total{code=\"200\"} 10\napp_requests_total{code=\"500\"} 2\napp_up 1\n";

/// Exporter misdeeds and the error kind each must be counted as.
const EXPORTERS: &[(&str, &str)] = &[
    ("loop", "timeout"),
    ("clock-spin", "timeout"),
    ("sleep", "timeout"),
    ("poll", "timeout"),
    ("memory", "memory"),
    ("trap", "trap"),
    ("panic", "panic"),
    ("chatty-panic", "panic"),
    ("huge", "output_limit"),
    ("file", "plugin_error"),
    ("socket", "plugin_error"),
    ("other-host", "fetch_refused"),
    ("files", "handles"),
    ("state-bomb", "plugin_error"),
    ("fail-forge", "plugin_error"),
];

/// Transform misdeeds and their error kinds.
const TRANSFORMS: &[(&str, &str)] =
    &[("loop", "timeout"), ("sleep", "timeout"), ("bad-name", "bad_output"), ("nan", "bad_output")];

/// Misdeeds that are limited and counted, but do not fail the scrape: fetching without end,
/// forging log lines, flooding the log, writing 200 kB to stderr.
const LIMITED: &[&str] = &["fetch-flood", "log-forge", "log-flood", "chatty"];

fn hostile_config(prom: &Prometheus, app: &str, witness: &str, data: &std::path::Path) -> String {
    let silent = silent_target();
    let (exporter, transform) = (plugin("test-hostile"), plugin("test-transform-hostile"));
    let mut plugins = String::from("plugins:\n");
    let mut jobs =
        format!("scrape_configs:\n  - job_name: witness\n    static_configs: [{{targets: [\"{witness}\"]}}]\n");
    for mode in EXPORTERS.iter().map(|(m, _)| *m).chain(LIMITED.iter().copied()) {
        plugins.push_str(&format!(
            "  - name: x-{mode}\n    path: {}\n    data_dir: {}\n    limits: {{memory: 48MiB, output: 1MiB}}\n    config: {{mode: \"{mode}\", file: data.txt}}\n",
            exporter.display(),
            data.display()
        ));
        jobs.push_str(&format!(
            "  - job_name: x-{mode}\n    exporter: x-{mode}\n    static_configs: [{{targets: [\"{app}\"]}}]\n"
        ));
    }
    // A fetch from a target that never answers.
    plugins
        .push_str(&format!("  - name: x-fetch-hang\n    path: {}\n    config: {{mode: fetch}}\n", exporter.display()));
    jobs.push_str(&format!(
        "  - job_name: x-fetch-hang\n    exporter: x-fetch-hang\n    static_configs: [{{targets: [\"{silent}\"]}}]\n"
    ));
    for mode in TRANSFORMS.iter().map(|(m, _)| *m).chain(["collide"]) {
        plugins.push_str(&format!(
            "  - name: t-{mode}\n    path: {}\n    config: {{mode: \"{mode}\"}}\n",
            transform.display()
        ));
        jobs.push_str(&format!(
            "  - job_name: t-{mode}\n    transforms: [t-{mode}]\n    static_configs: [{{targets: [\"{app}\"]}}]\n"
        ));
    }
    format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n{plugins}{jobs}{}", remote_write(prom))
}

/// Polls `/-/healthy` until stopped; the failures (no answer within a second, not 200).
fn watch_health(addr: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut failures = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = healthy(&addr) {
                failures.push(e);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        failures
    })
}

fn healthy(addr: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    s.write_all(b"GET /-/healthy HTTP/1.0\r\n\r\n").map_err(|e| format!("write: {e}"))?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).map_err(|e| format!("no answer within a second: {e}"))?;
    (reply.split_whitespace().nth(1) == Some("200")).then_some(()).ok_or(format!("answered {reply:?}"))
}

#[test]
fn hostile_plugins_are_contained_and_the_agent_keeps_its_promises() {
    let prom = Prometheus::start();
    let app = FixtureServer::start(|_, _| Reply::text(APP));
    let hits: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let witness = {
        let hits = hits.clone();
        FixtureServer::start(move |_, _| {
            hits.lock().unwrap().push(Instant::now());
            Reply::text("witness_up 1\n")
        })
    };
    let data = std::env::temp_dir().join(format!("scrapelet-sandbox-data-{}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("data.txt"), "hello").unwrap();
    let mut agent: Scrapelet = start_agent(&hostile_config(&prom, &app.addr, &witness.addr, &data), &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let health = watch_health(agent.addr.clone(), stop.clone());
    let log_stays_clean = |agent: &Scrapelet| {
        let log = agent.log();
        assert!(!log.lines().any(|l| l.contains("FORGED") && !l.contains("plugin")), "a forged line: {log}");
    };

    // Every misdeed fails its own scrape, counted by kind.
    for (prefix, list) in [("x", EXPORTERS), ("t", TRANSFORMS)] {
        for (mode, kind) in list {
            let series = format!(r#"scrapelet_plugin_errors_total{{plugin="{prefix}-{mode}",kind="{kind}"}}"#);
            wait_for(&series, TIMEOUT, || self_metric(&agent, &series).filter(|&n| n >= 2.0));
            let up = prom.wait_for_series(&format!(r#"up{{job="{prefix}-{mode}"}}"#), TIMEOUT);
            assert_eq!(up[0].1, "0", "{prefix}-{mode}: {up:?}");
        }
    }
    // A fetch that hangs ends at the deadline (the plugin sees an error, or the call is dropped).
    let hang = |kind: &str| {
        self_metric(&agent, &format!(r#"scrapelet_plugin_errors_total{{plugin="x-fetch-hang",kind="{kind}"}}"#))
    };
    wait_for("the hung fetch contained", TIMEOUT, || hang("plugin_error").or(hang("timeout")));
    assert_eq!(prom.wait_for_series(r#"up{job="x-fetch-hang"}"#, TIMEOUT)[0].1, "0");

    // Limits that do not fail the scrape: fetches stop at the limit, logs are rate limited,
    // colliding transform output keeps the first series.
    // (A call may also run out of time first: the deadline bounds it too.)
    let refused = r#"scrapelet_plugin_errors_total{plugin="x-fetch-flood",kind="fetch_limit"}"#;
    wait_for("a call stopped at limits.fetches", TIMEOUT, || self_metric(&agent, refused));
    prom.wait_for_series(r#"hostile_fetches{job="x-fetch-flood"}"#, TIMEOUT);
    let most = prom.query(r#"max_over_time(hostile_fetches{job="x-fetch-flood"}[5m])"#);
    assert!(most[0].1.parse::<f64>().unwrap() <= 32.0, "limits.fetches is 32 by default: {most:?}");
    let dropped = r#"scrapelet_plugin_log_lines_dropped_total{plugin="x-log-flood"}"#;
    wait_for("log lines dropped", TIMEOUT, || self_metric(&agent, dropped).filter(|&n| n > 1000.0));
    assert_eq!(prom.wait_for_series(r#"hostile_chatty{job="x-chatty"}"#, TIMEOUT)[0].1, "1");
    let dupes = r#"scrapelet_plugin_duplicate_samples_total{plugin="t-collide"}"#;
    wait_for("duplicates dropped", TIMEOUT, || self_metric(&agent, dupes).filter(|&n| n >= 4.0));
    assert_eq!(
        prom.wait_for_series("collided", TIMEOUT)[0].1,
        "10",
        "the first series keeps it (the rewrite drops job)"
    );
    assert_eq!(prom.wait_for_series(r#"up{job="t-collide"}"#, TIMEOUT)[0].1, "1");

    // Nothing escaped, the witness kept its interval, the agent stayed healthy.
    let escaped = prom.query(r#"{__name__=~"hostile_(woke|polled|read_bytes|connected|escaped|open_files)"}"#);
    assert!(escaped.is_empty(), "a misdeed was not contained: {escaped:?}");
    let before = witness.hits();
    wait_for("five more witness scrapes", TIMEOUT, || (witness.hits() >= before + 5).then_some(()));
    let times = hits.lock().unwrap().clone();
    let worst = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(worst <= 2 * INTERVAL, "the witness missed a scrape by more than an interval: a gap of {worst:?}");
    assert_eq!(prom.wait_for_series(r#"witness_up"#, TIMEOUT)[0].1, "1");
    assert_eq!(self_metric(&agent, "scrapelet_wal_write_errors_total"), Some(0.0));

    // The plugins and their limits are on /api/v1/targets.
    let targets = agent.targets();
    let plugins = &targets["data"]["plugins"];
    let files = plugins["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "x-files").unwrap();
    assert_eq!((files["limits"]["handles"].as_f64(), files["limits"]["fetches"].as_f64()), (Some(64.0), Some(32.0)));
    assert_eq!(plugins["pool"]["maxCalls"], 16, "{plugins}");
    let limit = r#"scrapelet_plugin_limit{plugin="x-files",limit="handles"}"#;
    assert_eq!(self_metric(&agent, limit), Some(64.0));

    // /-/healthy answered within a second every time.
    stop.store(true, Ordering::Relaxed);
    let failures = health.join().unwrap();
    assert!(failures.is_empty(), "/-/healthy failed while plugins misbehaved: {failures:?}");

    // The log: every plugin line tagged and escaped, the causes kept, no descriptor exhaustion.
    log_stays_clean(&agent);
    let log = agent.log();
    assert!(log.contains(r#"FORGED\0nul\u{1b}[31mred\r\u{2028}sep""#), "the forged text, escaped: {log}");
    assert!(log.contains(r"scrapelet::wal: FORGED\0"), "a plugin's Err, escaped: {log}");
    assert!(!log.contains('\0') && !log.contains("Too many open files"), "{log}");
    let causes = [
        "held more than 64 handles",
        "over the plugin's limit of 32 fetches",
        "limits.state of 1048576 bytes",
        "exceeded its time limit of 900ms",
        "chatty plugin panicked after 200 kB of stderr",
        "not a finite number",
        r#"invalid label name "bad-name""#,
    ];
    for reason in causes {
        assert!(log.contains(reason), "the log names the cause {reason:?}: {log}");
    }

    // SIGTERM while plugins sleep, loop and poll: the agent ends within the grace period.
    let pid = agent.proc.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = wait_for("the agent to exit after SIGTERM", GRACE, || agent.proc.child.try_wait().ok().flatten());
    assert!(status.success(), "{status}");
}

/// A config of `plugins` (name, mode, limits) each scraping `targets` (exporter jobs), no
/// remote write: these tests read the agent's own metrics and pages.
fn pool_config(plugins: &[(&str, &str, &str)], targets: &[&str]) -> String {
    let wasm = plugin("test-hostile");
    let targets = targets.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    let mut out = String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nplugins:\n");
    for (name, mode, limits) in plugins {
        out.push_str(&format!(
            "  - name: {name}\n    path: {}\n    limits: {{{limits}}}\n    config: {{mode: \"{mode}\", mib: 30, ms: 600}}\n",
            wasm.display()
        ));
    }
    out.push_str("scrape_configs:\n");
    for (name, _, _) in plugins {
        out.push_str(&format!(
            "  - job_name: {name}\n    exporter: {name}\n    static_configs: [{{targets: [{targets}]}}]\n"
        ));
    }
    out
}

/// Three fixture targets (the plugins fetch nothing from them).
fn three_targets() -> Vec<FixtureServer> {
    (0..3).map(|_| FixtureServer::start(|_, _| Reply::Status(404))).collect()
}

#[test]
fn the_pool_bounds_each_plugins_queue_and_its_slots() {
    let servers = three_targets();
    let addrs: Vec<&str> = servers.iter().map(|s| s.addr.as_str()).collect();
    // One slot. `one` may have one call admitted and sleeps to its deadline (900 ms) holding the
    // slot; `short` calls may only wait 200 ms for it.
    let plugins = [("one", "sleep", "queue: 1"), ("short", "sleep", "timeout: 200ms")];
    let agent = start_agent(&pool_config(&plugins, &addrs), &["--plugin.max-calls=1"]);
    let queue_full = r#"scrapelet_plugin_errors_total{plugin="one",kind="queue_full"}"#;
    wait_for("a call refused by the plugin's queue", TIMEOUT, || self_metric(&agent, queue_full));
    let pool_full = r#"scrapelet_plugin_errors_total{plugin="short",kind="pool_full"}"#;
    wait_for("a call that found no free slot", TIMEOUT, || self_metric(&agent, pool_full));
    let log = agent.log();
    assert!(log.contains("(limits.queue); this one was not started"), "{log}");
    assert!(log.contains("waited 200ms for one of the plugin pool's 1 slots"), "{log}");
    let pool = &agent.targets()["data"]["plugins"]["pool"];
    assert_eq!(pool["maxCalls"], 1, "{pool}");
    assert!(pool["calls"].as_u64().unwrap() <= 1, "{pool}");
    assert_eq!(self_metric(&agent, "scrapelet_plugin_pool_max_calls"), Some(1.0));
    assert!(self_metric(&agent, r#"scrapelet_plugin_calls_in_flight{plugin="one"}"#).unwrap() <= 1.0);
}

#[test]
fn the_memory_of_all_calls_in_progress_is_capped() {
    let servers = three_targets();
    let addrs: Vec<&str> = servers.iter().map(|s| s.addr.as_str()).collect();
    // Three targets each hold 30 MiB for 600 ms a second: calls overlap, two are over 48 MiB.
    let plugins = [("hold", "hold", "memory: 40MiB")];
    let agent = start_agent(&pool_config(&plugins, &addrs), &["--plugin.memory-limit=48MiB"]);
    let memory = r#"scrapelet_plugin_errors_total{plugin="hold",kind="memory"}"#;
    wait_for("a call over the pool's memory", TIMEOUT, || self_metric(&agent, memory));
    assert!(
        agent.log().contains("past their memory limit of 50331648 bytes (--plugin.memory-limit)"),
        "{}",
        agent.log()
    );
    wait_for("calls that fit still succeed", TIMEOUT, || {
        let targets = agent.targets();
        let active = targets["data"]["activeTargets"].as_array().cloned().unwrap_or_default();
        active.iter().any(|t| t["health"] == "up").then_some(())
    });
    assert_eq!(self_metric(&agent, "scrapelet_plugin_pool_memory_limit_bytes"), Some(50331648.0));
    assert_eq!(agent.targets()["data"]["plugins"]["pool"]["memoryLimitBytes"], 50331648);
}

#[test]
fn plugin_log_lines_are_json_fields_in_the_json_log_format() {
    let app = FixtureServer::start(|_, _| Reply::Status(404));
    let plugins = [("forge", "log-forge", "log_rate: 1KiB"), ("fail", "fail-forge", "queue: 2")];
    let agent = start_agent(&pool_config(&plugins, &[&app.addr]), &["--log.format=json"]);
    let logged = r#"scrapelet_plugin_log_bytes_total{plugin="forge"}"#;
    wait_for("the forged log line", TIMEOUT, || self_metric(&agent, logged));
    let failed = r#"scrapelet_plugin_errors_total{plugin="fail",kind="plugin_error"}"#;
    wait_for("the forged error", TIMEOUT, || self_metric(&agent, failed));
    let log = agent.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}")))
        .collect();
    let forged = lines.iter().find(|v| v["fields"]["message"] == "plugin log").expect("a plugin log line");
    assert_eq!(forged["fields"]["plugin"], "forge");
    let text = forged["fields"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("hello\n2026-01-01") && text.contains("FORGED\0nul"),
        "the message as the plugin wrote it: {text:?}"
    );
    assert!(forged["fields"]["target"].as_str().unwrap().contains(&app.addr), "{forged}");
    assert!(!log.contains('\0'), "{log:?}");
}

#[test]
fn components_of_the_0_1_0_contract_still_run() {
    let app = FixtureServer::start(|_, _| Reply::text("ok\n"));
    let config = format!(
        "global:\n  scrape_interval: 1s\nplugins:\n  - name: old\n    path: {}\n\
         scrape_configs:\n  - job_name: old\n    exporter: old\n    static_configs: [{{targets: [\"{}\"]}}]\n",
        plugin("test-v01").display(),
        app.addr
    );
    let agent = start_agent(&config, &[]);
    wait_for("the 0.1.0 exporter's target up", TIMEOUT, || {
        let targets = agent.targets();
        (targets["data"]["activeTargets"][0]["health"] == "up").then_some(())
    });
    let plugin = &agent.targets()["data"]["plugins"]["plugins"][0];
    assert_eq!((plugin["contract"].as_str(), plugin["world"].as_str()), (Some("0.1.0"), Some("exporter")), "{plugin}");
    assert!(agent.log().contains("a 0.1.0 plugin says hello"), "{}", agent.log());
}
