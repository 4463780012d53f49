//! The deploy side of issue 20 (a hostile pod on the node), read as a reviewer would: who may
//! reach port 9271, the agent's priority and its share of the node, the WAL volume against the
//! WAL's own limit, the drain on shutdown, the shipped job's limits, and the hostPath component.

use yaml_rust2::{Yaml, YamlLoader};

use super::*;

/// A Kubernetes quantity or a Prometheus size (`2Gi`, `1536MiB`, `512Mi`), in bytes.
fn bytes(s: &str) -> u64 {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = s[..digits].parse().unwrap_or_else(|_| panic!("{s:?}: not a size"));
    let unit = match &s[digits..] {
        "" | "B" => 1,
        "Ki" | "KiB" => 1 << 10,
        "Mi" | "MiB" => 1 << 20,
        "Gi" | "GiB" => 1 << 30,
        other => panic!("{s:?}: unit {other:?}"),
    };
    n * unit
}

fn shipped_config() -> Yaml {
    let config = load("configmap.yaml");
    YamlLoader::load_from_str(str_of(&config["data"]["config.yml"], "config.yml")).unwrap().remove(0)
}

#[test]
fn only_the_agents_and_the_monitoring_namespace_reach_port_9271() {
    let np = load("networkpolicy.yaml");
    let ds = load("daemonset.yaml");
    assert_eq!(np["spec"]["podSelector"]["matchLabels"], ds["spec"]["selector"]["matchLabels"], "selects the agents");
    assert_eq!(strings(&np["spec"]["policyTypes"]), ["Ingress"]);
    let rules = np["spec"]["ingress"].as_vec().expect("ingress rules");
    assert_eq!(rules.len(), 1, "{rules:?}");
    let ports = rules[0]["ports"].as_vec().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!((ports[0]["port"].as_i64(), ports[0]["protocol"].as_str()), (Some(9271), Some("TCP")));
    let from = rules[0]["from"].as_vec().expect("from");
    assert!(from.iter().all(|f| f["ipBlock"].is_badvalue()), "no address ranges: {from:?}");
    let own = from
        .iter()
        .any(|f| f["podSelector"].as_hash().is_some_and(|h| h.is_empty()) && f["namespaceSelector"].is_badvalue());
    assert!(own, "the agents' own namespace (self-scrape): {from:?}");
    let monitoring = from.iter().any(|f| {
        f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str() == Some("monitoring")
            && f["podSelector"].is_badvalue()
    });
    assert!(monitoring, "the monitoring namespace: {from:?}");
    assert!(
        !from.iter().any(|f| f["namespaceSelector"].as_hash().is_some_and(|h| h.is_empty())),
        "not every namespace"
    );
}

#[test]
fn the_agent_has_a_priority_and_its_share_of_the_node() {
    let ds = load("daemonset.yaml");
    let pod = &ds["spec"]["template"]["spec"];
    let class = load("priorityclass.yaml");
    assert_eq!(pod["priorityClassName"], class["metadata"]["name"]);
    let value = class["value"].as_i64().expect("value");
    assert!((100_000_000..=1_000_000_000).contains(&value), "above workloads, within the user range: {value}");
    assert_eq!(class["globalDefault"].as_bool(), Some(false));
    let r = &agent_container(pod)["resources"];
    for kind in ["requests", "limits"] {
        for res in ["cpu", "memory", "ephemeral-storage"] {
            assert!(!r[kind][res].is_badvalue(), "resources.{kind}.{res} missing");
        }
    }
    let (req, lim) =
        (bytes(str_of(&r["requests"]["memory"], "memory")), bytes(str_of(&r["limits"]["memory"], "memory")));
    assert!(req <= lim && lim >= 512 << 20, "memory {req} / {lim}: the dense-node figure in deploy/README.md");
    let volume = pod["volumes"].as_vec().unwrap().iter().find(|v| v["name"].as_str() == Some("data")).unwrap();
    let size_limit = bytes(str_of(&volume["emptyDir"]["sizeLimit"], "sizeLimit"));
    let (eph_req, eph_lim) = (
        bytes(str_of(&r["requests"]["ephemeral-storage"], "ephemeral-storage")),
        bytes(str_of(&r["limits"]["ephemeral-storage"], "ephemeral-storage")),
    );
    assert!(eph_req >= size_limit, "the scheduler reserves the queue's disk: {eph_req} < {size_limit}");
    assert!(eph_lim > size_limit, "the volume plus the container's logs fit under the limit");
}

/// The WAL's own limit (which counts the segment being written) keeps the emptyDir under its
/// sizeLimit, with room for the series records and checkpoints: past sizeLimit the kubelet evicts
/// the pod and the backlog is deleted.
#[test]
fn the_wal_limit_keeps_the_volume_under_its_size_limit() {
    let ds = load("daemonset.yaml");
    let volumes = ds["spec"]["template"]["spec"]["volumes"].as_vec().unwrap();
    let data = volumes.iter().find(|v| v["name"].as_str() == Some("data")).unwrap();
    let size_limit = bytes(str_of(&data["emptyDir"]["sizeLimit"], "sizeLimit"));
    let max_wal = bytes(str_of(&shipped_config()["wal"]["max_wal_bytes"], "wal.max_wal_bytes"));
    assert!(max_wal > 0 && max_wal + (256 << 20) <= size_limit, "max_wal_bytes {max_wal} vs sizeLimit {size_limit}");
    let embedded = YamlLoader::load_from_str(include_str!("../../../agent/src/cli/default-kubernetes.yml")).unwrap();
    assert_eq!(embedded[0]["wal"], shipped_config()["wal"], "the embedded cluster default has the same limit");
}

#[test]
fn shutdown_drains_within_the_grace_period() {
    let ds = load("daemonset.yaml");
    let pod = &ds["spec"]["template"]["spec"];
    let args = strings(&agent_container(pod)["args"]);
    let at = args.iter().position(|a| *a == "--storage.remote.flush-deadline").expect("a flush deadline");
    let deadline = args[at + 1].strip_suffix('s').and_then(|s| s.parse::<i64>().ok()).expect("seconds");
    let grace = pod["terminationGracePeriodSeconds"].as_i64().expect("terminationGracePeriodSeconds");
    assert!(deadline >= 30 && deadline + 5 <= grace, "flush {deadline}s within grace {grace}s");
}

/// Any one pod is bounded by default, may ask for more, never past the operator's caps, and its
/// redirects are not followed.
#[test]
fn the_pod_job_bounds_every_pod() {
    let config = shipped_config();
    let job = config["scrape_configs"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|j| j["job_name"].as_str() == Some("kubernetes-pods"))
        .unwrap();
    assert_eq!(job["follow_redirects"].as_bool(), Some(false));
    for cap in ["sample_limit", "label_limit", "body_size_limit"] {
        assert!(!job[cap].is_badvalue(), "{cap} (the cap) missing");
    }
    let defaults: Vec<(&str, &str)> = job["relabel_configs"]
        .as_vec()
        .unwrap()
        .iter()
        .filter(|r| {
            r["source_labels"].is_badvalue() && r["target_label"].as_str().is_some_and(|t| t.ends_with("_limit__"))
        })
        .map(|r| (str_of(&r["target_label"], "target_label"), str_of(&r["replacement"], "replacement")))
        .collect();
    assert_eq!(defaults, [("__sample_limit__", "50000"), ("__label_limit__", "40"), ("__body_size_limit__", "16MiB")]);
}

/// The hostPath component: the queue on the node, writable by the agent through an init
/// container that can only chown, and the namespace's enforced level lowered to what that needs.
#[test]
fn the_hostpath_component_keeps_the_queue_on_the_node() {
    let docs = render_overlay("wal-hostpath", &["wal-hostpath"]);
    let ds = docs.iter().find(|d| d["kind"].as_str() == Some("DaemonSet")).expect("DaemonSet");
    let pod = &ds["spec"]["template"]["spec"];
    let data = pod["volumes"].as_vec().unwrap().iter().find(|v| v["name"].as_str() == Some("data")).unwrap();
    assert_eq!(data["hostPath"]["path"].as_str(), Some("/var/lib/scrapelet"));
    assert!(data["emptyDir"].is_badvalue(), "the emptyDir is gone: {data:?}");
    let init = pod["initContainers"].as_vec().expect("initContainers");
    assert_eq!(init.len(), 1);
    let sc = &init[0]["securityContext"];
    assert_eq!(strings(&sc["capabilities"]["add"]), ["CHOWN"]);
    assert_eq!(strings(&sc["capabilities"]["drop"]), ["ALL"]);
    assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(strings(&init[0]["command"]), ["chown", "65532:65532", "/var/lib/scrapelet"]);
    let agent = agent_container(pod);
    assert_eq!(agent["securityContext"]["runAsNonRoot"].as_bool(), Some(true), "the agent itself stays non-root");
    let ns = docs.iter().find(|d| d["kind"].as_str() == Some("Namespace")).expect("Namespace");
    let labels = &ns["metadata"]["labels"];
    assert_eq!(labels["pod-security.kubernetes.io/enforce"].as_str(), Some("privileged"));
    assert_eq!(labels["pod-security.kubernetes.io/warn"].as_str(), Some("restricted"));
    assert_eq!(labels["pod-security.kubernetes.io/audit"].as_str(), Some("restricted"));
}
