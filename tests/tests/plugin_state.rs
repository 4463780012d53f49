//! The host side of the plugin-state contract (`wit/plugin.wit`, 0.2.0): per-target state that
//! an exporter keeps between scrapes (never shared, dropped on reload, kept only by a successful
//! call, bounded).

use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::plugins::{plugin, remote_write, self_metric};
use scrapelet_tests::{FixtureServer, Prometheus, Scrapelet, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

fn state_config(prom: &Prometheus, targets: &[&str], tag: &str) -> String {
    let wasm = plugin("test-hostile");
    let targets = targets.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nplugins:\n\
         \x20 - name: counter\n    path: {w}\n    config: {{mode: state, tag: {tag}}}\n\
         \x20 - name: failing\n    path: {w}\n    config: {{mode: state, then: fail}}\n\
         \x20 - name: bomb\n    path: {w}\n    limits: {{state: 1KiB}}\n    config: {{mode: state-bomb, bytes: 2048}}\n\
         scrape_configs:\n\
         \x20 - job_name: counter\n    exporter: counter\n    static_configs: [{{targets: [{targets}]}}]\n\
         \x20 - job_name: failing\n    exporter: failing\n    static_configs: [{{targets: [{targets}]}}]\n\
         \x20 - job_name: bomb\n    exporter: bomb\n    static_configs: [{{targets: [{targets}]}}]\n{rw}",
        w = wasm.display(),
        rw = remote_write(prom)
    )
}

#[test]
fn exporter_state_is_per_target_kept_by_successful_calls_and_dropped_on_reload() {
    let prom = Prometheus::start();
    let (a, b) = (FixtureServer::start(|_, _| Reply::Status(404)), FixtureServer::start(|_, _| Reply::Status(404)));
    let mut agent = Scrapelet::start(&state_config(&prom, &[&a.addr, &b.addr], "one"));

    // Each target counts its own calls: every scrape adds exactly one to its own counter.
    let counted = "count_over_time(hostile_state_calls[5m]) >= 4";
    let got = wait_for("four counted scrapes of both targets", TIMEOUT, || {
        Some(prom.query(counted)).filter(|r| r.len() == 2)
    });
    assert_eq!(got.len(), 2, "{got:?}");
    let step = "max_over_time(hostile_state_calls[5m]) - min_over_time(hostile_state_calls[5m]) + 1 \
                == count_over_time(hostile_state_calls[5m])";
    assert_eq!(prom.query(step).len(), 2, "one step per scrape, per target: {:?}", prom.query("hostile_state_calls"));

    // A call that fails after state-set leaves no state; one over limits.state fails its scrape.
    let failing = r#"scrapelet_plugin_errors_total{plugin="failing",kind="plugin_error"}"#;
    wait_for("failing calls", TIMEOUT, || self_metric(&agent, failing).filter(|&n| n >= 4.0));
    assert_eq!(self_metric(&agent, r#"scrapelet_plugin_state_bytes{plugin="failing"}"#), Some(0.0));
    assert!(self_metric(&agent, r#"scrapelet_plugin_state_bytes{plugin="counter"}"#).unwrap() > 0.0);
    let bomb = r#"scrapelet_plugin_errors_total{plugin="bomb",kind="plugin_error"}"#;
    wait_for("the state bomb refused", TIMEOUT, || self_metric(&agent, bomb));
    assert!(agent.log().contains("limits.state of 1024 bytes"), "{}", agent.log());

    // A changed plugin config is a reload: the counters start again.
    std::fs::write(agent.proc.dir.join("config.yml"), state_config(&prom, &[&a.addr, &b.addr], "two")).unwrap();
    let pid = agent.proc.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_for("both counters reset", TIMEOUT, || {
        Some(prom.query("resets(hostile_state_calls[5m]) >= 1")).filter(|r| r.len() == 2)
    });
    assert!(agent.alive());
}
