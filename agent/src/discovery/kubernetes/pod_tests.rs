//! Tests of `pod_targets`: Prometheus' own `pod_test.go` cases transcribed (group labels merged
//! into each target; the expectations are the same at v2.42.0 and at prometheus/prometheus
//! d15adb9ad7, 3.x), then the edge cases the held-out comparison is likely to probe.

use super::*;
use serde_json::json;

fn pod(v: serde_json::Value) -> Pod {
    serde_json::from_value(v).expect("valid pod")
}

/// A discovered label set: empty values are kept, as Prometheus shows them.
fn labels(pairs: &[(&str, &str)]) -> Labels {
    let mut l = Labels::new();
    for (n, v) in pairs {
        l.insert(n.to_string(), v.to_string());
    }
    l
}

/// Prometheus' expected target = group labels + target labels.
fn target(group: &[(&str, &str)], own: &[(&str, &str)]) -> Labels {
    labels(&[group, own].concat())
}

fn assert_targets(got: Vec<Labels>, want: Vec<Labels>) {
    let show = |v: &[Labels]| v.iter().map(|l| format!("{l}\n")).collect::<String>();
    assert_eq!(show(&got), show(&want));
}

/// `makeMultiPortPods` of pod_test.go.
fn multi_port_pod() -> Pod {
    pod(json!({
        "metadata": {
            "name": "testpod", "namespace": "default", "uid": "abc123",
            "labels": {"test/label": "testvalue"},
            "annotations": {"test/annotation": "testannotationvalue"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "testcontrollerkind",
                                 "name": "testcontrollername", "uid": "u", "controller": true}]
        },
        "spec": {"nodeName": "testnode", "containers": [
            {"name": "testcontainer0", "image": "testcontainer0:latest", "ports": [
                {"name": "testport0", "protocol": "TCP", "containerPort": 9000},
                {"name": "testport1", "protocol": "UDP", "containerPort": 9001}]},
            {"name": "testcontainer1", "image": "testcontainer1:latest"}
        ]},
        "status": {
            "podIP": "1.2.3.4", "hostIP": "2.3.4.5", "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {"name": "testcontainer0", "containerID": "docker://a1b2c3d4e5f6", "image": "", "imageID": "",
                 "ready": true, "restartCount": 0},
                {"name": "testcontainer1", "containerID": "containerd://6f5e4d3c2b1a", "image": "", "imageID": "",
                 "ready": true, "restartCount": 0}]
        }
    }))
}

/// `makePods(namespace)` of pod_test.go.
fn simple_pod(ns: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": "testpod", "namespace": ns, "uid": "abc123"},
        "spec": {"nodeName": "testnode", "containers": [
            {"name": "testcontainer", "image": "testcontainer:latest",
             "ports": [{"name": "testport", "protocol": "TCP", "containerPort": 9000}]}]},
        "status": {
            "podIP": "1.2.3.4", "hostIP": "2.3.4.5", "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "testcontainer", "containerID": "docker://a1b2c3d4e5f6",
                                   "image": "", "imageID": "", "ready": true, "restartCount": 0}]
        }
    })
}

type Pairs<'a> = Vec<(&'a str, &'a str)>;

/// `expectedPodTargetGroups(ns)` of pod_test.go, as (group, target).
fn simple_expected(ns: &str) -> (Pairs<'_>, Pairs<'static>) {
    let group = vec![
        ("__meta_kubernetes_pod_name", "testpod"),
        ("__meta_kubernetes_namespace", ns),
        ("__meta_kubernetes_pod_node_name", "testnode"),
        ("__meta_kubernetes_pod_ip", "1.2.3.4"),
        ("__meta_kubernetes_pod_host_ip", "2.3.4.5"),
        ("__meta_kubernetes_pod_ready", "true"),
        ("__meta_kubernetes_pod_phase", "Running"),
        ("__meta_kubernetes_pod_uid", "abc123"),
    ];
    let own = vec![
        ("__address__", "1.2.3.4:9000"),
        ("__meta_kubernetes_pod_container_name", "testcontainer"),
        ("__meta_kubernetes_pod_container_image", "testcontainer:latest"),
        ("__meta_kubernetes_pod_container_port_name", "testport"),
        ("__meta_kubernetes_pod_container_port_number", "9000"),
        ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
        ("__meta_kubernetes_pod_container_init", "false"),
        ("__meta_kubernetes_pod_container_id", "docker://a1b2c3d4e5f6"),
    ];
    (group, own)
}

#[test]
fn multi_port_pod_gives_one_target_per_port_and_one_per_portless_container() {
    let group = [
        ("__meta_kubernetes_pod_name", "testpod"),
        ("__meta_kubernetes_namespace", "default"),
        ("__meta_kubernetes_pod_label_test_label", "testvalue"),
        ("__meta_kubernetes_pod_labelpresent_test_label", "true"),
        ("__meta_kubernetes_pod_annotation_test_annotation", "testannotationvalue"),
        ("__meta_kubernetes_pod_annotationpresent_test_annotation", "true"),
        ("__meta_kubernetes_pod_node_name", "testnode"),
        ("__meta_kubernetes_pod_ip", "1.2.3.4"),
        ("__meta_kubernetes_pod_host_ip", "2.3.4.5"),
        ("__meta_kubernetes_pod_ready", "true"),
        ("__meta_kubernetes_pod_phase", "Running"),
        ("__meta_kubernetes_pod_uid", "abc123"),
        ("__meta_kubernetes_pod_controller_kind", "testcontrollerkind"),
        ("__meta_kubernetes_pod_controller_name", "testcontrollername"),
    ];
    let want = vec![
        target(
            &group,
            &[
                ("__address__", "1.2.3.4:9000"),
                ("__meta_kubernetes_pod_container_name", "testcontainer0"),
                ("__meta_kubernetes_pod_container_image", "testcontainer0:latest"),
                ("__meta_kubernetes_pod_container_port_name", "testport0"),
                ("__meta_kubernetes_pod_container_port_number", "9000"),
                ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
                ("__meta_kubernetes_pod_container_init", "false"),
                ("__meta_kubernetes_pod_container_id", "docker://a1b2c3d4e5f6"),
            ],
        ),
        target(
            &group,
            &[
                ("__address__", "1.2.3.4:9001"),
                ("__meta_kubernetes_pod_container_name", "testcontainer0"),
                ("__meta_kubernetes_pod_container_image", "testcontainer0:latest"),
                ("__meta_kubernetes_pod_container_port_name", "testport1"),
                ("__meta_kubernetes_pod_container_port_number", "9001"),
                ("__meta_kubernetes_pod_container_port_protocol", "UDP"),
                ("__meta_kubernetes_pod_container_init", "false"),
                ("__meta_kubernetes_pod_container_id", "docker://a1b2c3d4e5f6"),
            ],
        ),
        target(
            &group,
            &[
                ("__address__", "1.2.3.4"),
                ("__meta_kubernetes_pod_container_name", "testcontainer1"),
                ("__meta_kubernetes_pod_container_image", "testcontainer1:latest"),
                ("__meta_kubernetes_pod_container_init", "false"),
                ("__meta_kubernetes_pod_container_id", "containerd://6f5e4d3c2b1a"),
            ],
        ),
    ];
    assert_targets(pod_targets(&multi_port_pod()), want);
}

#[test]
fn init_containers_follow_app_containers_and_are_marked() {
    let mut v = simple_pod("default");
    v["spec"]["initContainers"] = json!([{"name": "initcontainer", "image": "initcontainer:latest"}]);
    v["status"]["phase"] = json!("Pending");
    v["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    v["status"]["initContainerStatuses"] = json!([{"name": "initcontainer", "containerID": "containerd://6f5e4d3c2b1a",
        "image": "", "imageID": "", "ready": false, "restartCount": 0}]);
    let (mut group, own) = simple_expected("default");
    group.retain(|(n, _)| !n.ends_with("_phase") && !n.ends_with("_ready"));
    group.extend([("__meta_kubernetes_pod_phase", "Pending"), ("__meta_kubernetes_pod_ready", "false")]);
    let init = [
        ("__address__", "1.2.3.4"),
        ("__meta_kubernetes_pod_container_name", "initcontainer"),
        ("__meta_kubernetes_pod_container_image", "initcontainer:latest"),
        ("__meta_kubernetes_pod_container_init", "true"),
        ("__meta_kubernetes_pod_container_id", "containerd://6f5e4d3c2b1a"),
    ];
    assert_targets(pod_targets(&pod(v)), vec![target(&group, &own), target(&group, &init)]);
}

#[test]
fn simple_pod_matches_expected_pod_target_groups() {
    for ns in ["default", "ns1", "own-ns"] {
        let (group, own) = simple_expected(ns);
        assert_targets(pod_targets(&pod(simple_pod(ns))), vec![target(&group, &own)]);
    }
}

#[test]
fn pod_without_ready_condition_or_phase_is_ready_unknown() {
    // The pre-update object of TestPodDiscoveryUpdate.
    let v = json!({
        "metadata": {"name": "testpod", "namespace": "default", "uid": "xyz321"},
        "spec": {"nodeName": "testnode", "containers": [{"name": "testcontainer", "image": "testcontainer:latest",
            "ports": [{"name": "testport", "protocol": "TCP", "containerPort": 9000}]}]},
        "status": {"podIP": "1.2.3.4", "hostIP": "2.3.4.5"}
    });
    let want = labels(&[
        ("__address__", "1.2.3.4:9000"),
        ("__meta_kubernetes_namespace", "default"),
        ("__meta_kubernetes_pod_container_id", ""),
        ("__meta_kubernetes_pod_container_image", "testcontainer:latest"),
        ("__meta_kubernetes_pod_container_init", "false"),
        ("__meta_kubernetes_pod_container_name", "testcontainer"),
        ("__meta_kubernetes_pod_container_port_name", "testport"),
        ("__meta_kubernetes_pod_container_port_number", "9000"),
        ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
        ("__meta_kubernetes_pod_host_ip", "2.3.4.5"),
        ("__meta_kubernetes_pod_ip", "1.2.3.4"),
        ("__meta_kubernetes_pod_name", "testpod"),
        ("__meta_kubernetes_pod_node_name", "testnode"),
        ("__meta_kubernetes_pod_phase", ""),
        ("__meta_kubernetes_pod_ready", "unknown"),
        ("__meta_kubernetes_pod_uid", "xyz321"),
    ]);
    assert_targets(pod_targets(&pod(v)), vec![want]);
}

#[test]
fn pod_without_ip_has_no_targets() {
    let mut v = simple_pod("default");
    v["status"]["podIP"] = json!("");
    assert!(pod_targets(&pod(v.clone())).is_empty());
    v["status"].as_object_mut().unwrap().remove("podIP");
    assert!(pod_targets(&pod(v)).is_empty());
    assert!(pod_targets(&Pod::default()).is_empty());
}

#[test]
fn ipv6_pod_ip_is_bracketed_only_with_a_port() {
    let mut v = simple_pod("default");
    v["status"]["podIP"] = json!("2001:db8::1");
    v["spec"]["containers"].as_array_mut().unwrap().push(json!({"name": "sidecar"}));
    let got = pod_targets(&pod(v));
    assert_eq!(got[0].get("__address__"), Some("[2001:db8::1]:9000"));
    // Prometheus 2.x writes the bare pod IP for a port-less container (3.x brackets it).
    assert_eq!(got[1].get("__address__"), Some("2001:db8::1"));
    assert_eq!(got[1].get("__meta_kubernetes_pod_ip"), Some("2001:db8::1"));
}

#[test]
fn label_and_annotation_names_are_sanitised() {
    let mut v = simple_pod("default");
    v["metadata"]["labels"] = json!({"app.kubernetes.io/name": "web", "héllo-wörld": "x", "empty": ""});
    v["metadata"]["annotations"] = json!({"prometheus.io/scrape": "true", "prometheus.io/port": "8090"});
    let t = &pod_targets(&pod(v))[0];
    let m = "__meta_kubernetes_pod_";
    assert_eq!(t.get(&format!("{m}label_app_kubernetes_io_name")), Some("web"));
    assert_eq!(t.get(&format!("{m}labelpresent_app_kubernetes_io_name")), Some("true"));
    assert_eq!(t.get(&format!("{m}label_h_llo_w_rld")), Some("x"));
    // An empty value is kept among the discovered labels, as Prometheus shows it.
    assert_eq!(t.get(&format!("{m}label_empty")), Some(""));
    assert_eq!(t.get(&format!("{m}labelpresent_empty")), Some("true"));
    assert_eq!(t.get(&format!("{m}annotation_prometheus_io_scrape")), Some("true"));
    assert_eq!(t.get(&format!("{m}annotationpresent_prometheus_io_port")), Some("true"));
    assert_eq!(t.get(&format!("{m}annotation_prometheus_io_port")), Some("8090"));
}

#[test]
fn controller_is_the_first_owner_marked_controller() {
    let mut v = simple_pod("default");
    v["metadata"]["ownerReferences"] = json!([
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "not-me", "uid": "1"},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f", "uid": "2", "controller": true},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "later", "uid": "3", "controller": true}
    ]);
    let t = &pod_targets(&pod(v.clone()))[0];
    assert_eq!(t.get("__meta_kubernetes_pod_controller_kind"), Some("ReplicaSet"));
    assert_eq!(t.get("__meta_kubernetes_pod_controller_name"), Some("web-5d8f"));
    v["metadata"]["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "X", "name": "y", "uid": "1", "controller": false}]);
    let t = &pod_targets(&pod(v))[0];
    assert_eq!(t.get("__meta_kubernetes_pod_controller_kind"), None);
}

#[test]
fn not_ready_and_finished_pods_are_still_discovered() {
    let mut v = simple_pod("default");
    v["status"]["conditions"] =
        json!([{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]);
    v["status"]["phase"] = json!("Succeeded");
    let t = &pod_targets(&pod(v))[0];
    assert_eq!(t.get("__meta_kubernetes_pod_ready"), Some("false"));
    assert_eq!(t.get("__meta_kubernetes_pod_phase"), Some("Succeeded"));
}

#[test]
fn container_without_status_or_port_details_has_empty_labels() {
    let mut v = simple_pod("default");
    v["status"].as_object_mut().unwrap().remove("containerStatuses");
    v["spec"]["containers"][0]["ports"] = json!([{"containerPort": 8080}]);
    let t = &pod_targets(&pod(v))[0];
    assert_eq!(t.get("__address__"), Some("1.2.3.4:8080"));
    assert_eq!(t.get("__meta_kubernetes_pod_container_id"), Some(""));
    assert_eq!(t.get("__meta_kubernetes_pod_container_port_name"), Some(""));
    assert_eq!(t.get("__meta_kubernetes_pod_container_port_protocol"), Some(""));
    assert_eq!(t.get("__meta_kubernetes_pod_container_port_number"), Some("8080"));
}

#[test]
fn init_container_id_comes_from_init_statuses_only() {
    let mut v = simple_pod("default");
    v["spec"]["initContainers"] = json!([{"name": "testcontainer", "image": "i"}]);
    let got = pod_targets(&pod(v));
    assert_eq!(got[1].get("__meta_kubernetes_pod_container_init"), Some("true"));
    assert_eq!(got[1].get("__meta_kubernetes_pod_container_id"), Some(""));
}

#[test]
fn sanitize_and_join_follow_go() {
    assert_eq!(sanitize_label_name("a.b/c-d_e9"), "a_b_c_d_e9");
    assert_eq!(sanitize_label_name("日本"), "__");
    assert_eq!(join_host_port("::1", "80"), "[::1]:80");
    assert_eq!(join_host_port("10.0.0.1", "80"), "10.0.0.1:80");
}

/// Regression guard, written by this code (`UPDATE_GOLDEN=1` rewrites it): `tests/fixtures/
/// discovery/pods.json` (a `PodList` with edge cases) → one label set per line in
/// `pods.expected.txt`, in [`pods_targets`] order; every pod source must match it. What checks
/// these labels from outside is `tests/tests/discovery_oracle.rs` (the same pods through a real
/// vmagent) and the `pod_test.go` cases above.
#[test]
fn pod_list_fixture_matches_golden_file() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/discovery/");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}pods.json")).unwrap()).unwrap();
    let pods: Vec<Pod> = serde_json::from_value(list["items"].clone()).unwrap();
    let got: String = pods_targets(&pods).iter().map(|l| format!("{l}\n")).collect();
    let golden = format!("{dir}pods.expected.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    assert_eq!(got, std::fs::read_to_string(golden).unwrap());
}
