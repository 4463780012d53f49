//! Pod discovery checked against an implementation that is not ours: vmagent's
//! `kubernetes_sd_configs` (role `pod`; Debian's `victoria-metrics` 1.79, which follows
//! Prometheus' labels) and the agent watch the same test API server with the same scrape config,
//! and the discovered label sets of every target on `/api/v1/targets` must be the same, first for
//! the pods as listed, then after pods change, are deleted, move to another node and appear.
//! vmagent's answer is the expected output; nothing here is written by the agent.
//!
//! Why not Prometheus itself: Debian builds it without Kubernetes discovery ("Kubernetes support
//! has been completely removed", its NEWS.Debian since 1.5; 2.42 rejects the key), and no other
//! package source here has it. Prometheus' own expectations come in through its pod discovery
//! tests instead, transcribed in `agent/src/discovery/kubernetes/pod_tests.rs`.
//!
//! The pods are the edge cases of `agent/tests/fixtures/discovery/pods.json` (init containers
//! with and without ports, a port without name or protocol, IPv6, a pod without IP, a finished
//! one, names to sanitise, a non-controller owner first) and a few more below.
//!
//! Left out of the comparison, each checked on its own: the job-level `__scrape_interval__` and
//! `__scrape_timeout__` (vmagent writes Go's `1h0m0s`, Prometheus and the agent `1h`), and
//! Prometheus 3.x's three per-target histogram settings (`__convert_classic_histograms_to_nhcb__`,
//! `__always_scrape_classic_histograms__`, `__scrape_native_histograms__`), which the agent shows
//! as 3.x does and vmagent and Prometheus 2.x lack. Otherwise Prometheus 3.x's pod labels are
//! 2.x's without `attach_metadata` (its `discovery/kubernetes/pod.go` at 3.x's head moved
//! `__meta_kubernetes_pod_name`, labels and annotations into a shared helper, same names and
//! values).

use std::collections::BTreeMap;
use std::time::Duration;

use scrapelet_tests::apiserver::ApiServer;
use scrapelet_tests::procs::scratch;
use scrapelet_tests::vmagent::VmAgent;
use scrapelet_tests::{Scrapelet, wait_for};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(90);

/// Discovered labels the agent shows and vmagent does not (Prometheus 3.x's, for a job that sets
/// none of the histogram keys), or writes otherwise (Go's duration format), with the agent's
/// values, as Prometheus 3.x gives them.
const CHECKED_APART: [(&str, &str); 5] = [
    ("__always_scrape_classic_histograms__", "false"),
    ("__convert_classic_histograms_to_nhcb__", "false"),
    ("__scrape_native_histograms__", "false"),
    ("__scrape_interval__", "1h"),
    ("__scrape_timeout__", "10s"),
];

/// One config for both: vmagent reads it as it is, the agent as the drop-in it is. The
/// `labelmap` makes every target's labels distinct, so neither side merges targets whose
/// labels after relabelling would be the same (port-less containers of one pod), which is not
/// what this test is about.
fn config(kubeconfig: &std::path::Path) -> String {
    format!(
        "global:\n  scrape_interval: 1h\nscrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n      \
         - role: pod\n        kubeconfig_file: {}\n        selectors:\n          - role: pod\n            \
         field: spec.nodeName=node-a\n    relabel_configs:\n      - action: labelmap\n        \
         regex: __meta_kubernetes_(.+)\n",
        kubeconfig.display()
    )
}

/// The fixture's pods and more edge cases: a pod on another node (never a target), a Ready
/// condition of "Unknown", a failed pod, an SCTP port, a container without image, a native
/// sidecar (an init container that keeps running, with a port), ephemeral containers (never
/// targets), label and annotation keys with upper case, digits and punctuation, and no hostIP.
fn pods() -> Vec<Value> {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/tests/fixtures/discovery/pods.json");
    let list: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let mut pods = list["items"].as_array().unwrap().clone();
    pods.push(json!({
        "metadata": {"name": "elsewhere", "namespace": "shop", "uid": "u-else"},
        "spec": {"nodeName": "node-b", "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Running", "podIP": "10.2.0.1", "hostIP": "192.168.0.20"}
    }));
    pods.push(json!({
        "metadata": {"name": "odd-7c9d-x1", "namespace": "kube-system", "uid": "u-odd",
            "labels": {"App": "Odd", "k8s-app": "odd", "9lives": "yes", "a.b/c-d": "e"},
            "annotations": {"Example.COM/Key_1": "v", "kubectl.kubernetes.io/last-applied-configuration": "{\"a\": 1}"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "odd", "uid": "o3", "controller": true}]},
        "spec": {"nodeName": "node-a", "hostNetwork": true,
            "initContainers": [{"name": "native-sidecar", "image": "s:1", "restartPolicy": "Always",
                "ports": [{"name": "sidecar-http", "containerPort": 15090, "protocol": "TCP"}]}],
            "containers": [
                {"name": "sctp", "image": "s:2", "ports": [{"name": "assoc", "containerPort": 3868, "protocol": "SCTP"}]},
                {"name": "noimage"}],
            "ephemeralContainers": [{"name": "debugger", "image": "busybox", "ports": [{"containerPort": 7777}]}]},
        "status": {"phase": "Running", "podIP": "192.168.0.10",
            "conditions": [{"type": "Ready", "status": "Unknown"}],
            "initContainerStatuses": [{"name": "native-sidecar", "containerID": "cri-o://ns1", "image": "", "imageID": "", "ready": true, "restartCount": 0}],
            "containerStatuses": [{"name": "noimage", "containerID": "docker://n1", "image": "", "imageID": "", "ready": true, "restartCount": 2}]}
    }));
    pods.push(json!({
        "metadata": {"name": "crashed", "namespace": "batch", "uid": "u-crash",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "nightly-28", "uid": "o4", "controller": true}]},
        "spec": {"nodeName": "node-a", "containers": [{"name": "job", "image": "j:2"}]},
        "status": {"phase": "Failed", "podIP": "10.1.2.10", "hostIP": "192.168.0.10",
            "conditions": [{"type": "Ready", "status": "False"}]}
    }));
    pods
}

/// Each target's discovered labels as `{name="value",...}`, sorted (a multiset of targets).
fn discovered(targets: &Value) -> Vec<String> {
    let mut out: Vec<String> = targets["data"]["activeTargets"]
        .as_array()
        .expect("activeTargets")
        .iter()
        .map(|t| {
            let labels: BTreeMap<&str, &str> = t["discoveredLabels"]
                .as_object()
                .expect("discoveredLabels")
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().expect("a label value")))
                .collect();
            let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            format!("{{{}}}", pairs.join(","))
        })
        .collect();
    out.sort();
    out
}

/// Pod labels Prometheus 2.42 has and vmagent 1.79 not yet: they are checked against Prometheus'
/// own tests (`pod_tests.rs`) and left out here (their presence is checked).
const NEWER_THAN_VMAGENT: [&str; 2] = ["__meta_kubernetes_pod_container_id", "__meta_kubernetes_pod_container_image"];

/// vmagent's targets without the job-level labels it writes in its own way.
fn vmagent_targets(vm: &VmAgent) -> Value {
    let mut targets = vm.targets();
    for t in targets["data"]["activeTargets"].as_array_mut().expect("activeTargets") {
        let labels = t["discoveredLabels"].as_object_mut().expect("discoveredLabels");
        labels.retain(|name, _| !CHECKED_APART.iter().any(|(n, _)| n == name));
    }
    targets
}

/// The agent's targets with the labels vmagent lacks or writes otherwise checked and taken out.
fn agent_targets(agent: &Scrapelet) -> Value {
    let mut targets = agent.targets();
    for t in targets["data"]["activeTargets"].as_array_mut().expect("activeTargets") {
        let labels = t["discoveredLabels"].as_object_mut().expect("discoveredLabels");
        for (name, value) in CHECKED_APART {
            assert_eq!(labels.remove(name), Some(json!(value)), "{name} as Prometheus 3 sets it");
        }
        for name in NEWER_THAN_VMAGENT {
            assert!(labels.remove(name).is_some(), "{name} is set on every pod target");
        }
    }
    targets
}

/// Waits until vmagent shows targets satisfying `settled`, then until the agent shows the same
/// discovered label sets, failing with both lists if it never does.
fn agree(vm: &VmAgent, agent: &Scrapelet, what: &str, settled: impl Fn(&[String]) -> bool) {
    let expected = wait_for(&format!("vmagent to discover {what}"), TIMEOUT, || {
        Some(discovered(&vmagent_targets(vm))).filter(|d| settled(d))
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for(&format!("the agent to discover what vmagent did ({what})"), TIMEOUT, || {
            (discovered(&agent_targets(agent)) == expected).then_some(())
        })
    }));
    if result.is_err() {
        let got = discovered(&agent_targets(agent));
        panic!("{what}: discovered labels differ (- vmagent, + the agent):\n{}", diff(&expected, &got));
    }
}

/// The targets of one list missing from the other, one line each, the labels they share left
/// out when a target of the other list has the same address.
fn diff(vmagent: &[String], agent: &[String]) -> String {
    let labels = |t: &str| {
        let inner = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(t);
        inner
            .split(",__")
            .enumerate()
            .map(|(i, l)| if i == 0 { l.to_string() } else { format!("__{l}") })
            .collect::<Vec<_>>()
    };
    let address = |t: &str| labels(t)[0].clone();
    let mut out = String::new();
    for (sign, mine, theirs) in [('-', vmagent, agent), ('+', agent, vmagent)] {
        for t in mine.iter().filter(|t| !theirs.contains(t)) {
            let twin = theirs.iter().find(|o| address(o) == address(t)).map(|o| labels(o)).unwrap_or_default();
            let own: Vec<String> = labels(t).into_iter().filter(|l| !twin.contains(l)).collect();
            out.push_str(&format!("{sign} {} {}\n", address(t), own.join(",")));
        }
    }
    out
}

/// Targets Prometheus makes of `pods` on node-a: one per declared port of each container and init
/// container, one for a container without ports, none for a pod without IP.
fn target_count(pods: &[Value]) -> usize {
    let on_node = pods.iter().filter(|p| p["spec"]["nodeName"] == "node-a" && p["status"]["podIP"].is_string());
    let containers = on_node.flat_map(|p| {
        let spec = &p["spec"];
        spec["containers"].as_array().into_iter().chain(spec["initContainers"].as_array()).flatten().cloned()
    });
    containers.map(|c| c["ports"].as_array().map_or(1, |ports| ports.len().max(1))).sum()
}

#[test]
fn pod_targets_have_the_discovered_labels_vmagent_gives_them() {
    let api = ApiServer::start();
    let mut pods = pods();
    for p in &pods {
        api.add_pod(p.clone());
    }
    let kubeconfig = scratch("discovery-oracle").join("kubeconfig");
    api.write_kubeconfig(&kubeconfig).unwrap();
    let vm = VmAgent::start(&config(&kubeconfig));
    let agent = Scrapelet::start_with_env(&config(&kubeconfig), &[("NODE_NAME", "node-a")]);

    let count = target_count(&pods);
    assert_eq!(count, 13, "the pods' targets as counted from their specs");
    agree(&vm, &agent, "the listed pods", |d| d.len() == count);

    // Watch events: a label changed, a pod deleted, one moved away, a new one.
    api.update_pod("shop", "web-0", |p| {
        p["metadata"]["labels"]["app.kubernetes.io/name"] = json!("web-v2");
        p["metadata"]["annotations"]["added"] = json!("later");
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    });
    api.delete_pod("default", "v6");
    api.move_pod("batch", "done", "node-b");
    let new = json!({
        "metadata": {"name": "late", "namespace": "shop", "uid": "u-late", "labels": {"tier": "late"}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "i", "ports": [{"name": "m", "containerPort": 9000}]}]},
        "status": {"phase": "Running", "podIP": "10.1.2.11", "hostIP": "192.168.0.10",
            "conditions": [{"type": "Ready", "status": "True"}]}
    });
    api.add_pod(new.clone());
    pods.retain(|p| p["metadata"]["name"] != "v6" && p["metadata"]["name"] != "done");
    pods.push(new);
    let count = target_count(&pods);
    agree(&vm, &agent, "the changed pods", |d| {
        d.len() == count
            && d.iter().any(|t| t.contains(r#"__meta_kubernetes_pod_label_app_kubernetes_io_name="web-v2""#))
            && d.iter().any(|t| t.contains(r#"__meta_kubernetes_pod_name="late""#))
    });
}
