//! Pod discovery end to end: the test API server (real wire format, driven by kube-rs unchanged)
//! announces pods whose IPs are loopback addresses where fixture targets listen; the agent, on
//! node `node-a` with the embedded cluster default's pod job (its `kubelet` job is left out:
//! `kubelet_metrics.rs` tests that one), scrapes them into a real Prometheus.

use std::time::Duration;

use scrapelet_tests::apiserver::{ApiServer, RequestKind, annotated_pod, pod};
use scrapelet_tests::{Prometheus, Scrapelet, wait_for};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The embedded cluster default, pointed at the test API server and scraping every second.
fn config(api: &ApiServer, prom: &Prometheus) -> String {
    let kubeconfig = std::env::temp_dir().join(format!(
        "scrapelet-k8s-{}-{}.kubeconfig",
        std::process::id(),
        api.url().rsplit(':').next().unwrap()
    ));
    api.write_kubeconfig(&kubeconfig).unwrap();
    let default = scrapelet_tests::defaults::without_kubelet_job();
    let cfg = default
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
        .replace("scrape_timeout: 10s", "scrape_timeout: 900ms")
        .replace(
            "      - role: pod\n",
            &format!("      - role: pod\n        kubeconfig_file: {}\n", kubeconfig.display()),
        )
        .replace("${REMOTE_WRITE_URL}", &prom.write_url());
    assert!(cfg.contains("kubeconfig_file"), "the default's shape changed");
    cfg + "    queue_config:\n      batch_send_deadline: 200ms\n"
}

fn start(api: &ApiServer, prom: &Prometheus) -> Scrapelet {
    Scrapelet::start_with_env(&config(api, prom), &[("NODE_NAME", "node-a")])
}

#[test]
fn pods_on_this_node_are_scraped_with_their_labels_and_others_never() {
    let (api, prom) = (ApiServer::start(), Prometheus::start());
    let (local, local_pod) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.2", "app_requests_total 5\n");
    let (remote, remote_pod) = annotated_pod("web-7d9f-bbbbb", "node-b", "127.0.0.3", "app_requests_total 7\n");
    api.add_pod(local_pod);
    api.add_pod(remote_pod);
    let annotations = [("prometheus.io/scrape", "true"), ("prometheus.io/port", "metrics")];
    api.add_pod(pod(
        "shop",
        "bad-7d9f-zzzzz",
        "node-a",
        "127.0.0.10",
        &[],
        &annotations,
        &[("web", &[("http", 8080, "TCP")])],
    ));
    let agent = start(&api, &prom);

    let got = prom.wait_for_series("app_requests_total", TIMEOUT);
    let want = format!(
        r#"{{__name__="app_requests_total",container="web",instance="{}",job="kubernetes-pods",namespace="shop",node="node-a",pod="web-7d9f-aaaaa"}}"#,
        local.addr
    );
    assert_eq!(got, vec![(want, "5".to_string())]);
    // Three more scrapes of this node's pod: rounds in which the other node's pod, had the agent
    // known it, would have been scraped too.
    let seen = local.hits();
    wait_for("three more scrapes of this node's pod", TIMEOUT, || (local.hits() >= seen + 3).then_some(()));
    assert_eq!(remote.hits(), 0, "a pod on another node must never be scraped");
    assert_eq!(prom.query("app_requests_total").len(), 1);
    assert!(api.unscoped_requests().is_empty(), "listed or watched beyond this node: {:?}", api.unscoped_requests());
    let (status, page) = scrapelet_tests::http::get(&agent.addr, "/targets").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains(&format!("http://{}/metrics", local.addr)) && page.contains("(1/1 up)"), "{page}");
    // A pod whose annotation cannot be used is shown with the reason and counted, not lost silently.
    assert!(page.contains("shop/bad-7d9f-zzzzz") && page.contains("invalid_port"), "{page}");
    assert!(agent.metrics().contains(r#"scrapelet_discovery_invalid_annotations_total{reason="invalid_port"} 1"#));
}

#[test]
fn pods_losing_their_annotation_or_deleted_stop_and_go_stale() {
    let (api, prom) = (ApiServer::start(), Prometheus::start());
    let (_a, pod_a) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.4", "series_a 1\n");
    let (_c, pod_c) = annotated_pod("web-7d9f-ccccc", "node-a", "127.0.0.5", "series_c 1\n");
    let (_d, pod_d) = annotated_pod("web-7d9f-ddddd", "node-a", "127.0.0.6", "series_d 1\n");
    for p in [pod_a, pod_c, pod_d] {
        api.add_pod(p);
    }
    let _agent = start(&api, &prom);
    for s in ["series_a", "series_c", "series_d"] {
        prom.wait_for_series(s, TIMEOUT);
    }
    api.update_pod("shop", "web-7d9f-aaaaa", |p| p["metadata"]["annotations"]["prometheus.io/scrape"] = json!("false"));
    api.delete_pod("shop", "web-7d9f-ccccc");
    api.move_pod("shop", "web-7d9f-ddddd", "node-b");
    // Staleness markers make them disappear at once (without, Prometheus shows them for 5 minutes).
    for s in ["series_a", "series_c", "series_d", r#"up{job="kubernetes-pods"}"#] {
        wait_for(&format!("{s} to go stale"), TIMEOUT, || prom.query(s).is_empty().then_some(()));
    }
}

#[test]
fn discovery_recovers_from_dropped_watches_and_410_without_duplicate_targets() {
    let (api, prom) = (ApiServer::start(), Prometheus::start());
    let (_a, pod_a) = annotated_pod("web-7d9f-aaaaa", "node-a", "127.0.0.7", "series_a 1\n");
    api.add_pod(pod_a);
    let agent = start(&api, &prom);
    prom.wait_for_series("series_a", TIMEOUT);

    api.drop_watches();
    let (_b, pod_b) = annotated_pod("web-7d9f-bbbbb", "node-a", "127.0.0.8", "series_b 1\n");
    api.add_pod(pod_b);
    prom.wait_for_series("series_b", TIMEOUT);

    api.compact();
    api.drop_watches();
    let (_c, pod_c) = annotated_pod("web-7d9f-ccccc", "node-a", "127.0.0.9", "series_c 1\n");
    api.add_pod(pod_c);
    prom.wait_for_series("series_c", TIMEOUT);

    assert!(api.count(RequestKind::List) >= 2, "a 410 after compaction must lead to a relist");
    let targets = agent.targets();
    let mut urls: Vec<&str> =
        targets["data"]["activeTargets"].as_array().unwrap().iter().map(|t| t["scrapeUrl"].as_str().unwrap()).collect();
    urls.sort();
    let before = urls.len();
    urls.dedup();
    assert_eq!((before, urls.len()), (3, 3), "{urls:?}");
    for s in ["series_a", "series_b", "series_c"] {
        assert_eq!(prom.query(s).len(), 1, "{s}");
    }
}
