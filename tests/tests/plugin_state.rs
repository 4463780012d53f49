//! The host side of the plugin-state contract (`wit/plugin.wit`, 0.2.0): per-target state that
//! an exporter keeps between scrapes (never shared, dropped on reload, kept only by a successful
//! call, bounded), and the job's own credentials attached to a plugin's fetches (the guest never
//! sees them and cannot set its own).

use std::time::Duration;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::plugins::{AuthServer, plugin, remote_write, self_metric};
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

#[test]
fn plugin_fetches_carry_the_jobs_credentials_which_the_plugin_cannot_set() {
    let prom = Prometheus::start();
    let target = AuthServer::start("Basic am14OmZpcnN0"); // jmx:first
    let dir = std::env::temp_dir().join(format!("scrapelet-plugin-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let password = dir.join("password");
    std::fs::write(&password, "first\n").unwrap();
    let wasm = plugin("test-hostile");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nplugins:\n\
         \x20 - name: fetch\n    path: {w}\n    config: {{mode: fetch, path: /jolokia/}}\n\
         \x20 - name: forge\n    path: {w}\n    config: {{mode: fetch-auth, path: /jolokia/}}\n\
         scrape_configs:\n\
         \x20 - job_name: jolokia\n    exporter: fetch\n    basic_auth: {{username: jmx, password_file: {p}}}\n\
         \x20   static_configs: [{{targets: [\"{t}\"]}}]\n\
         \x20 - job_name: forge\n    exporter: forge\n    static_configs: [{{targets: [\"{t}\"]}}]\n{rw}",
        w = wasm.display(),
        p = password.display(),
        t = target.addr,
        rw = remote_write(&prom)
    );
    let agent = Scrapelet::start(&config);
    let ok = prom.wait_for_series(r#"hostile_fetch_status{job="jolokia"} == 200"#, TIMEOUT);
    assert_eq!(ok[0].1, "200");

    // A rotated password file is read again: the next fetches carry the new password.
    target.expect("Basic am14OnNlY29uZA=="); // jmx:second
    std::fs::write(&password, "second\n").unwrap();
    wait_for("a fetch with the rotated password", TIMEOUT, || {
        target.seen().iter().any(|a| a == "Basic am14OnNlY29uZA==").then_some(())
    });

    // A plugin's own Authorization header is refused before anything is sent.
    let refused = r#"scrapelet_plugin_errors_total{plugin="forge",kind="fetch_refused"}"#;
    wait_for("the forged header refused", TIMEOUT, || self_metric(&agent, refused));
    let seen = target.seen();
    assert!(!seen.iter().any(|a| a.contains("Zm9yZ2Vk")), "a plugin-set Authorization reached the target: {seen:?}");
    assert!(seen.iter().all(|a| !a.is_empty()), "the jolokia job's fetches all carried credentials: {seen:?}");
}
