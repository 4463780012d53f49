//! The kubelet pod source end to end: a test kubelet (HTTPS with the test CA, bearer token) lists
//! pods whose IPs are loopback addresses where fixture targets listen; the agent, on node `node-a`
//! with the embedded cluster default's job switched to `pod_source: kubelet`, scrapes them into a
//! real Prometheus, with the same labels as the API source, through kubelet faults.

use std::path::PathBuf;
use std::time::Duration;

use scrapelet_tests::apiserver::{ApiServer, annotated_pod};
use scrapelet_tests::kubelet::{Fault, TestKubelet, testdata};
use scrapelet_tests::procs::scratch;
use scrapelet_tests::{Prometheus, Scrapelet, wait_for};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);
const TOKEN: &str = "kubelet-test-token";

/// The embedded default with its one `- role: pod` entry replaced by `entry` (indented 8).
fn default_with(entry: &str, prom: &Prometheus) -> String {
    let default = scrapelet_tests::defaults::without_kubelet_job();
    let cfg = default
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
        .replace("scrape_timeout: 10s", "scrape_timeout: 900ms")
        .replace("      - role: pod\n", &format!("      - role: pod\n{entry}"))
        .replace("${REMOTE_WRITE_URL}", &prom.write_url());
    assert!(cfg.contains(entry), "the default's shape changed");
    cfg + "    queue_config:\n      batch_send_deadline: 200ms\n"
}

/// A token file in a fresh temporary directory.
fn token_file() -> PathBuf {
    let path = scratch("kubelet-token").join("token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path
}

fn kubelet_config(kubelet: &TestKubelet, prom: &Prometheus) -> String {
    let entry = format!(
        "        pod_source: kubelet\n        kubelet:\n          url: {}\n          poll_interval: 1s\n          timeout: 1s\n          bearer_token_file: {}\n          tls_config:\n            ca_file: {}\n",
        kubelet.url,
        token_file().display(),
        testdata("ca.pem").display()
    );
    default_with(&entry, prom)
}

fn start(kubelet: &TestKubelet, prom: &Prometheus) -> Scrapelet {
    Scrapelet::start_with_env(&kubelet_config(kubelet, prom), &[("NODE_NAME", "node-a")])
}

fn discovered(agent: &Scrapelet) -> Vec<String> {
    let t = agent.targets();
    let mut out: Vec<String> =
        t["data"]["activeTargets"].as_array().unwrap().iter().map(|t| t["discoveredLabels"].to_string()).collect();
    out.sort();
    out
}

/// The kubelet source's row in `/api/v1/targets`' `discovery` list.
fn source(agent: &Scrapelet) -> Value {
    let t = agent.targets();
    let rows = t["data"]["discovery"].as_array().expect("data.discovery").clone();
    rows.into_iter().find(|r| r["source"] == "kubelet").expect("a kubelet source row")
}

#[test]
fn kubelet_pods_are_scraped_with_the_labels_the_api_source_gives() {
    let (kubelet, api, prom) = (TestKubelet::start(TOKEN), ApiServer::start(), Prometheus::start());
    let (local, local_pod) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.20", "app_requests_total 5\n");
    let (remote, remote_pod) = annotated_pod("web-7d9f-bbbbb", "node-b", "127.0.0.21", "app_requests_total 7\n");
    kubelet.set_pods(vec![local_pod.clone(), remote_pod.clone()]);
    api.add_pod(local_pod);
    api.add_pod(remote_pod);
    let agent = start(&kubelet, &prom);

    let got = prom.wait_for_series("app_requests_total", TIMEOUT);
    let want = format!(
        r#"{{__name__="app_requests_total",container="web",instance="{}",job="kubernetes-pods",namespace="shop",node="node-a",pod="web-7d9f-aaaaa"}}"#,
        local.addr
    );
    assert_eq!(got, vec![(want, "5".to_string())]);
    // More scrapes of this node's pod: rounds in which the other node's, were it a target, would
    // have been scraped too.
    let seen = local.hits();
    wait_for("three more scrapes of this node's pod", TIMEOUT, || (local.hits() >= seen + 3).then_some(()));
    assert_eq!(remote.hits(), 0, "a pod of another node is never scraped, even if listed");

    // The API source on the same pods: the same discovered label sets, byte for byte.
    let kubeconfig = scratch("kubelet-kubeconfig").join("kubeconfig");
    api.write_kubeconfig(&kubeconfig).unwrap();
    let entry = format!("        kubeconfig_file: {}\n", kubeconfig.display());
    // Its own external label, so its series never collide with the kubelet agent's in Prometheus.
    let api_cfg = default_with(&entry, &prom).replacen("global:\n", "global:\n  external_labels: {agent: api}\n", 1);
    let api_agent = Scrapelet::start_with_env(&api_cfg, &[("NODE_NAME", "node-a")]);
    let from_kubelet = discovered(&agent);
    let from_api = wait_for("the API source's targets", TIMEOUT, || {
        Some(discovered(&api_agent)).filter(|d| d.len() == from_kubelet.len())
    });
    assert_eq!(from_kubelet, from_api);
    assert_eq!(source(&agent)["health"], "up");
    assert!(kubelet.requests() >= 2, "polled on its interval");
}

/// Faults: the targets stay, the data keeps flowing, and the reason shows.
#[test]
fn kubelet_faults_keep_targets_and_data_and_show_the_reason() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let (fixture, p) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.22", "series_a 1\n");
    kubelet.set_pods(vec![p]);
    let agent = start(&kubelet, &prom);
    prom.wait_for_series("series_a", TIMEOUT);
    let targets = discovered(&agent);
    assert_eq!(targets.len(), 1);
    let faults = [
        (Fault::Down, "unreachable"),
        (Fault::Forbidden, "forbidden"),
        (Fault::Garbage, "decode"),
        (Fault::Truncated, "body"),
        (Fault::Slow(Duration::from_secs(3)), "timeout"),
    ];
    for (fault, reason) in faults {
        kubelet.set_fault(fault.clone());
        wait_for(&format!("{fault:?} reported as {reason}"), TIMEOUT, || {
            let s = source(&agent);
            (s["health"] == "down" && s["lastErrorReason"] == reason).then_some(())
        });
        let hits = fixture.hits();
        wait_for(&format!("scrapes during {fault:?}"), TIMEOUT, || (fixture.hits() >= hits + 2).then_some(()));
        assert_eq!(discovered(&agent), targets, "{fault:?}: targets must stay");
        let metric = format!("scrapelet_discovery_errors_total{{source=\"kubelet\",reason=\"{reason}\"}}");
        assert!(agent.metrics().contains(&metric), "{metric} missing");
        let page = scrapelet_tests::http::get(&agent.addr, "/targets").unwrap().1;
        assert!(page.contains("Pod discovery") && page.contains("down"), "{page}");
        kubelet.set_fault(Fault::None);
        wait_for("recovery", TIMEOUT, || (source(&agent)["health"] == "up").then_some(()));
    }
    assert_eq!(prom.query("series_a").len(), 1, "never went stale");
    let ready = scrapelet_tests::http::get(&agent.addr, "/-/ready").unwrap();
    assert_eq!(ready.0, 200);
    assert!(ready.1.contains("pod source kubelet of job kubernetes-pods: up"), "{}", ready.1);
    assert_eq!(agent.log().matches("kubelet pod source failing").count(), 5, "one warning per fault streak");
}

#[test]
fn pods_leaving_the_pod_list_or_their_annotation_go_stale_and_new_ones_appear() {
    let (kubelet, prom) = (TestKubelet::start(TOKEN), Prometheus::start());
    let (_a, pod_a) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.23", "series_a 1\n");
    let (_c, pod_c) = annotated_pod("web-7d9f-ccccc", "node-a", "127.0.0.24", "series_c 1\n");
    kubelet.set_pods(vec![pod_a, pod_c]);
    let _agent = start(&kubelet, &prom);
    prom.wait_for_series("series_a", TIMEOUT);
    prom.wait_for_series("series_c", TIMEOUT);

    let (_d, pod_d) = annotated_pod("web-7d9f-ddddd", "node-a", "127.0.0.25", "series_d 1\n");
    kubelet.add_pod(pod_d);
    prom.wait_for_series("series_d", TIMEOUT);

    kubelet.update_pod("shop", "web-7d9f-aaaaa", |p| {
        p["metadata"]["annotations"]["prometheus.io/scrape"] = json!("false")
    });
    kubelet.remove_pod("shop", "web-7d9f-ccccc");
    for s in ["series_a", "series_c"] {
        wait_for(&format!("{s} to go stale"), TIMEOUT, || prom.query(s).is_empty().then_some(()));
    }
    assert_eq!(prom.query("series_d").len(), 1);
}
