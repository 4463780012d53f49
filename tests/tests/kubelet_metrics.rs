//! The shipped `kubelet` job end to end: the test kubelet (HTTPS with the test CA, a bearer token,
//! bodies captured from real kubelets) scraped by the agent, on node `node-a` with `NODE_IP` from
//! the environment, into a real Prometheus: workload labels kept, `node` on every series, the
//! cardinality guard applied, and a wrong token, a missing grant or a wrong CA shown as `up` 0
//! with a clear error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scrapelet_tests::defaults::kubelet_job_config;
use scrapelet_tests::kubelet::{Fault, TestKubelet, fixture, metrics_body, testdata};
use scrapelet_tests::procs::scratch;
use scrapelet_tests::{Prometheus, Scrapelet, wait_for};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOKEN: &str = "kubelet-metrics-token";
const ENV: &[(&str, &str)] = &[("NODE_IP", "127.0.0.1"), ("NODE_NAME", "node-a")];

/// A file holding `token`, in a fresh temporary directory.
fn token_file(token: &str) -> PathBuf {
    let path = scratch("kubelet-metrics-token").join("token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path
}

fn port(kubelet: &TestKubelet) -> u16 {
    kubelet.url.rsplit(':').next().unwrap().parse().unwrap()
}

/// The agent running the shipped kubelet job against `kubelet`.
fn agent(
    kubelet: &TestKubelet,
    token: &Path,
    ca: &Path,
    prom: &Prometheus,
    edit: impl Fn(String) -> String,
) -> Scrapelet {
    let config = edit(kubelet_job_config(port(kubelet), token, ca, &prom.write_url()));
    Scrapelet::start_with_env(&config, ENV)
}

/// The kubelet targets of `/api/v1/targets` once all three have been scraped with `health`.
fn kubelet_targets(agent: &Scrapelet, health: &str) -> Vec<Value> {
    wait_for(&format!("three kubelet targets {health}"), TIMEOUT, || {
        let t = agent.targets();
        let rows: Vec<Value> = t["data"]["activeTargets"]
            .as_array()?
            .iter()
            .filter(|t| t["labels"]["job"] == "kubelet" && t["health"] == health)
            .cloned()
            .collect();
        (rows.len() == 3).then_some(rows)
    })
}

fn last_errors(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["lastError"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn cadvisor_resource_and_kubelet_metrics_arrive_with_node_and_workload_labels() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let _agent = agent(&kubelet, &token_file(TOKEN), &testdata("ca.pem"), &prom, |c| c);
    let instance = format!("127.0.0.1:{}", port(&kubelet));

    // cAdvisor: the container's own labels win (honor_labels), the target adds node and the path.
    let got = prom.wait_for_series(r#"container_cpu_usage_seconds_total{container="coredns"}"#, TIMEOUT);
    let want = format!(
        r#"{{__name__="container_cpu_usage_seconds_total",container="coredns",cpu="total",id="/kubepods/burstable/pod2e4a8134-958b-4b93-a054-b289a73ea206/3f47c9fc7c82894a00bb8c8371734e00ee00af9742d1ed2351791b4a989db78e",image="k8s.gcr.io/coredns:1.6.2",instance="{instance}",job="kubelet",metrics_path="/metrics/cadvisor",name="3f47c9fc7c82894a00bb8c8371734e00ee00af9742d1ed2351791b4a989db78e",namespace="kube-system",node="node-a",pod="coredns-5644d7b6d9-9msql"}}"#
    );
    assert_eq!(got, vec![(want, "71.997998203".to_string())]);
    // The samples carry the scrape's time, not cAdvisor's 2019 stamps (which Prometheus would refuse).
    let age = prom.query(r#"time() - timestamp(container_cpu_usage_seconds_total{container="coredns"})"#);
    assert!(age[0].1.parse::<f64>().unwrap() < 60.0, "{age:?}");

    // /metrics/resource and /metrics, each target labelled with its path.
    let pods = prom.wait_for_series(r#"pod_memory_working_set_bytes{metrics_path="/metrics/resource"}"#, TIMEOUT);
    assert_eq!(pods.len(), 9, "{pods:?}");
    let goroutines = prom.wait_for_series(r#"go_goroutines{job="kubelet",metrics_path="/metrics"}"#, TIMEOUT);
    assert_eq!(goroutines[0].1, "424");
    wait_for("all three kubelet targets up", TIMEOUT, || {
        (prom.query(r#"up{job="kubelet"} == 1"#).len() == 3).then_some(())
    });

    // Every kubelet series has `node`; no target label was renamed to exported_*.
    assert!(prom.query(r#"{job="kubelet",node!="node-a"}"#).is_empty());
    assert!(prom.query(r#"{job="kubelet",exported_namespace!=""}"#).is_empty());
    assert!(!prom.query(r#"count({job="kubelet"})"#).is_empty());

    // The cardinality guard: a family the kubelet serves, dropped before it is sent.
    assert!(metrics_body("/metrics/cadvisor").unwrap().contains("container_cpu_load_average_10s{"));
    assert!(prom.query(r#"container_cpu_load_average_10s"#).is_empty(), "dropped by the guard");
    assert!(!prom.query(r#"container_memory_working_set_bytes{pod="agent-nsvs4"}"#).is_empty(), "not dropped");
}

#[test]
fn a_wrong_token_or_a_missing_grant_is_up_0_with_the_status_on_targets() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let token = token_file("not-the-token");
    let agent = agent(&kubelet, &token, &testdata("ca.pem"), &prom, |c| c);

    let down = kubelet_targets(&agent, "down");
    for e in last_errors(&down) {
        assert!(e.contains("server returned HTTP status 401"), "{e}");
    }
    wait_for("up 0 in prometheus", TIMEOUT, || (prom.query(r#"up{job="kubelet"} == 0"#).len() == 3).then_some(()));
    assert!(prom.query("container_cpu_usage_seconds_total").is_empty());

    // The token file is read on every scrape: a rotated token is used at once.
    std::fs::write(&token, TOKEN).unwrap();
    kubelet_targets(&agent, "up");

    // A token without `nodes/metrics`: the kubelet's 403.
    kubelet.set_fault(Fault::Forbidden);
    for e in last_errors(&kubelet_targets(&agent, "down")) {
        assert!(e.contains("server returned HTTP status 403"), "{e}");
    }
}

#[test]
fn a_kubelet_certificate_from_another_ca_is_up_0_with_a_tls_error() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let agent = agent(&kubelet, &token_file(TOKEN), &fixture("other-ca.pem"), &prom, |c| c);
    for e in last_errors(&kubelet_targets(&agent, "down")) {
        assert!(e.contains("invalid peer certificate") && e.contains("UnknownIssuer"), "{e}");
    }
    wait_for("up 0 in prometheus", TIMEOUT, || (prom.query(r#"up{job="kubelet"} == 0"#).len() == 3).then_some(()));
    assert_eq!(kubelet.requests(), 0, "no request, so no token, reached an unverified server");
}

/// The documented opt-out for self-signed kubelet certificates.
#[test]
fn insecure_skip_verify_accepts_a_self_signed_kubelet() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let opt_out = |c: String| {
        let edited = c.replace("      #   insecure_skip_verify: true\n", "      insecure_skip_verify: true\n");
        assert_ne!(edited, c, "the job documents the opt-out");
        edited
    };
    let agent = agent(&kubelet, &token_file(TOKEN), &fixture("other-ca.pem"), &prom, opt_out);
    kubelet_targets(&agent, "up");
    prom.wait_for_series(r#"container_memory_working_set_bytes{job="kubelet"}"#, TIMEOUT);
}
