//! Reading only what the rules need, against a real Tomcat 9 with Jolokia and the JMX exporter's
//! `tomcat.yml`: a scrape with the state of the previous one gives the same series as a full read,
//! in one round trip; the agent keeps that state per target (one Jolokia request per scrape in
//! steady state); a webapp deployed mid-run shows on the next scrape.

use std::time::{SystemTime, UNIX_EPOCH};

use jmx_core::JmxConfig;
use jmx_core::jolokia::{Jolokia, Options, State, scrape};
use scrapelet_tests::jmx::{HttpJolokia, Samples, Stack, TIMEOUT, send_traffic};
use scrapelet_tests::tomcat::rules_for;
use scrapelet_tests::{Tomcat, http, wait_for};
use serde_json::Value;

struct Http(HttpJolokia);

impl Jolokia for Http {
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        self.0.post(body)
    }
}

/// Series no scrape moves: the connector, the thread pool and Jolokia's own servlet count the
/// scrapes themselves.
fn stable(s: &scrapelet_tests::jmx::Sample) -> bool {
    let jolokia = s.labels.iter().any(|(_, v)| v == "jolokia-agent");
    (s.family.starts_with("tomcat_servlet_") && !jolokia) || s.family.starts_with("tomcat_session_")
}

#[test]
fn a_scrape_with_the_previous_state_gives_the_series_of_a_full_read() {
    let tomcat = Tomcat::start("Catalina");
    send_traffic(&tomcat);
    let config = JmxConfig::from_yaml(&rules_for("Catalina")).unwrap();
    let mut jolokia = Http(HttpJolokia::new(tomcat.addr(), Tomcat::JOLOKIA));
    let options = Options { jvm_metrics: true };
    // Tomcat registers a request processor MBean for a connection it had none for: the first
    // scrapes may find one new MBean each (listed and read alone); then the set is steady.
    let mut state = scrape(&config, options, State::new(1), &mut jolokia).unwrap().state;
    for _ in 0..2 {
        state = scrape(&config, options, state, &mut jolokia).unwrap().state;
    }
    let before = jolokia.0.bytes;
    let cheap = scrape(&config, options, state, &mut jolokia).unwrap();
    let cheap_bytes = jolokia.0.bytes - before;
    let full = scrape(&config, options, State::new(1), &mut jolokia).unwrap();
    let full_bytes = jolokia.0.bytes - before - cheap_bytes;
    let (a, b) = (Samples::parse(&full.rules), Samples::parse(&cheap.rules));
    let series = |s: &Samples| {
        let mut v: Vec<String> = s.0.iter().map(|x| format!("{}{:?}", x.family, x.labels)).collect();
        v.sort();
        v
    };
    assert_eq!(series(&a), series(&b));
    assert!(a.0.iter().filter(|s| stable(s)).count() >= 16, "{}", full.rules);
    for s in a.0.iter().filter(|s| stable(s)) {
        let labels: Vec<(&str, &str)> = s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(b.value(&s.family, &labels), Some(s.value), "{s:?}");
    }
    assert_eq!(Samples::parse(&full.jvm).0.len(), Samples::parse(&cheap.jvm).0.len());
    assert_eq!((cheap.round_trips, cheap.discovered), (1, 0));
    assert!(cheap_bytes * 10 < full_bytes, "{cheap_bytes} bytes, a full read {full_bytes}");
}

/// Raw samples of `series` over the last `range` (a range vector instant query).
fn raw_samples(stack: &Stack, selector: &str, range: &str) -> Vec<(f64, f64)> {
    let query = http::encode(&format!("{selector}[{range}]"));
    let (status, body) = http::get(&stack.prom.addr, &format!("/api/v1/query?query={query}")).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let values = v["data"]["result"][0]["values"].as_array().cloned().unwrap_or_default();
    values.iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_str().unwrap().parse().unwrap())).collect()
}

#[test]
fn the_agent_keeps_the_state_one_jolokia_request_per_scrape() {
    let stack = Stack::start("Catalina", &[("tomcat", "params: {rules: [tomcat]}")]);
    stack.wait_up("tomcat");
    // Jolokia's servlet counts its requests; the agent's scrapes are its only client now.
    let jolokia = r#"tomcat_servlet_requestcount_total{job="tomcat",module="localhost/",servlet="jolokia-agent"}"#;
    let steady = wait_for("five scrapes after the first", TIMEOUT, || {
        let samples = raw_samples(&stack, jolokia, "5m");
        (samples.len() >= 6).then_some(samples)
    });
    // The first scrapes discover (a few requests each, also for a request processor MBean Tomcat
    // adds for the agent's connection); then one request a scrape.
    let steps: Vec<f64> = steady.windows(2).map(|w| w[1].1 - w[0].1).collect();
    assert!(steps[steps.len() - 3..].iter().all(|d| *d == 1.0), "requests between scrapes: {steps:?}");
    let metrics = stack.agent.metrics();
    let state = metrics.lines().find(|l| l.starts_with("scrapelet_plugin_state_bytes")).unwrap_or("");
    let bytes: f64 = state.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    assert!(bytes > 0.0, "the plugin's state is kept: {state:?}");
}

#[test]
fn a_webapp_deployed_mid_run_shows_on_the_next_scrape() {
    let stack = Stack::start("Catalina", &[("tomcat", "params: {rules: [tomcat]}")]);
    stack.wait_up("tomcat");
    let up = r#"up{job="tomcat"}"#;
    wait_for("a few scrapes in steady state", TIMEOUT, || (raw_samples(&stack, up, "5m").len() >= 3).then_some(()));
    let deployed_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    stack.tomcat.deploy("/second");
    let (status, _) = stack.tomcat.get("/second/ok");
    assert_eq!(status, 200);
    let second = r#"tomcat_servlet_requestcount_total{job="tomcat",module="localhost/second",servlet="ok"}"#;
    assert_eq!(stack.value(second), 1.0);
    // Its first sample is from the first scrape that started after the deploy (or one that
    // started just before and read after it), not a later one.
    let first_new = raw_samples(&stack, second, "5m")[0].0;
    let next_scrape = raw_samples(&stack, up, "5m").into_iter().map(|(t, _)| t).find(|t| *t > deployed_at);
    let next_scrape = next_scrape.expect("a scrape after the deploy");
    assert!(first_new <= next_scrape, "first sample at {first_new}, first scrape after the deploy at {next_scrape}");
}
