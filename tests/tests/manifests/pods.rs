//! The ConfigMap's scrape job, applied by the agent itself (`scrapelet discover`) to pods.

use std::path::PathBuf;
use std::process::Command;

use yaml_rust2::YamlLoader;

use super::*;

type Labels = BTreeMap<String, String>;

struct TestPod<'a> {
    name: &'a str,
    ip: &'a str,
    annotations: &'a [(&'a str, &'a str)],
    /// (container name, declared port numbers, is init container)
    containers: &'a [(&'a str, &'a [i64], bool)],
}

/// The pod as the API server returns it (namespace `demo`, node `node-a`).
fn pod_json(pod: &TestPod) -> serde_json::Value {
    let container = |(name, ports, _): &(&str, &[i64], bool)| {
        let ports: Vec<_> = ports.iter().map(|p| serde_json::json!({"containerPort": p, "protocol": "TCP"})).collect();
        serde_json::json!({"name": name, "image": format!("{name}:1"), "ports": ports})
    };
    let annotations: serde_json::Map<_, _> =
        pod.annotations.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    serde_json::json!({
        "metadata": {"name": pod.name, "namespace": "demo", "uid": "u", "annotations": annotations},
        "spec": {
            "nodeName": "node-a",
            "containers": pod.containers.iter().filter(|c| !c.2).map(container).collect::<Vec<_>>(),
            "initContainers": pod.containers.iter().filter(|c| c.2).map(container).collect::<Vec<_>>(),
        },
        "status": {"phase": "Running", "podIP": pod.ip, "hostIP": "192.168.0.2"}
    })
}

/// The ConfigMap's config.yml, as a file the agent can read: a new file per call, since tests run
/// in parallel and a file rewritten while another test's agent reads it would read as empty.
fn configmap_config() -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let config = load("configmap.yaml");
    let text = str_of(&config["data"]["config.yml"], "config.yml");
    let path = std::env::temp_dir().join(format!("scrapelet-manifests-{}-{n}-config.yml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// (address, path, labels) of each target the ConfigMap's job keeps, as `scrapelet discover` says.
fn targets(pod: &TestPod) -> Vec<(String, String, Labels)> {
    let pods = std::env::temp_dir().join(format!("scrapelet-manifests-{}-{}.json", std::process::id(), pod.name));
    std::fs::write(&pods, pod_json(pod).to_string()).unwrap();
    let out = Command::new(scrapelet_tests::scrapelet_bin())
        .args(["discover", "--pods"])
        .arg(&pods)
        .arg("--config")
        .arg(configmap_config())
        .output()
        .expect("run scrapelet discover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("discover prints JSON");
    let mut kept: Vec<(String, String, Labels)> = all
        .iter()
        .filter(|t| !t["labels"].as_object().unwrap().is_empty())
        .map(|t| {
            let (d, l) = (&t["discoveredLabels"], &t["labels"]);
            let labels: Labels =
                l.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
            let path = d["__meta_kubernetes_pod_annotation_prometheus_io_path"].as_str().unwrap_or("/metrics");
            (labels["instance"].clone(), path.to_string(), labels)
        })
        .collect();
    kept.dedup();
    kept
}

#[test]
fn the_reference_pod_is_one_target_on_its_annotated_port() {
    // The pod template of shared/fixtures/seed-deployment.yaml: ports 8080 and 8090, annotated 8090.
    let seed = TestPod {
        name: "spring-boot-monitoring-demo-7d9c-x2x4p",
        ip: "10.0.0.5",
        annotations: &[
            ("prometheus.io/scrape", "true"),
            ("prometheus.io/port", "8090"),
            ("prometheus.io/path", "/metrics"),
        ],
        containers: &[("spring-boot-monitoring-demo", &[8080, 8090], false)],
    };
    let got = targets(&seed);
    assert_eq!(got.len(), 1, "{got:?}");
    let (address, path, labels) = &got[0];
    assert_eq!((address.as_str(), path.as_str()), ("10.0.0.5:8090", "/metrics"));
    let want: Labels = [
        ("instance", "10.0.0.5:8090"),
        ("job", "kubernetes-pods"),
        ("namespace", "demo"),
        ("pod", "spring-boot-monitoring-demo-7d9c-x2x4p"),
        ("container", "spring-boot-monitoring-demo"),
        ("node", "node-a"),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect();
    assert_eq!(labels, &want);
}

#[test]
fn the_job_handles_the_usual_pod_shapes() {
    let scrape = ("prometheus.io/scrape", "true");
    let addresses = |pod: TestPod| targets(&pod).into_iter().map(|(a, p, _)| format!("{a}{p}")).collect::<Vec<_>>();
    // Not annotated: nothing.
    let pod = TestPod { name: "a", ip: "10.0.0.6", annotations: &[], containers: &[("c", &[80], false)] };
    assert!(addresses(pod).is_empty());
    // No port annotation: every declared port, as Prometheus does.
    let pod = TestPod { name: "b", ip: "10.0.0.7", annotations: &[scrape], containers: &[("c", &[80, 9100], false)] };
    assert_eq!(addresses(pod), ["10.0.0.7:80/metrics", "10.0.0.7:9100/metrics"]);
    // No declared ports: the annotation gives the port; an init container adds nothing.
    let pod = TestPod {
        name: "c",
        ip: "10.0.0.8",
        annotations: &[scrape, ("prometheus.io/port", "9000"), ("prometheus.io/path", "/m")],
        containers: &[("app", &[], false), ("setup", &[], true)],
    };
    assert_eq!(addresses(pod), ["10.0.0.8:9000/m"]);
    // IPv6, port-less.
    let pod = TestPod {
        name: "d",
        ip: "fd00::5",
        annotations: &[scrape, ("prometheus.io/port", "9000")],
        containers: &[("c", &[], false)],
    };
    assert_eq!(addresses(pod), ["[fd00::5]:9000/metrics"]);
}

/// The agent scrapes its own self-metrics once, through its own pod's annotations.
#[test]
fn the_agent_scrapes_itself_exactly_once() {
    let ds = load("daemonset.yaml");
    let template = &ds["spec"]["template"];
    let annotations: Vec<(&str, &str)> = template["metadata"]["annotations"]
        .as_hash()
        .expect("pod annotations")
        .iter()
        .map(|(k, v)| (str_of(k, "annotation"), str_of(v, "annotation value")))
        .collect();
    let ports: Vec<i64> = agent_container(&template["spec"])["ports"]
        .as_vec()
        .expect("ports")
        .iter()
        .filter_map(|p| p["containerPort"].as_i64())
        .collect();
    let pod = TestPod {
        name: "scrapelet-abcde",
        ip: "10.0.0.9",
        annotations: &annotations,
        containers: &[("scrapelet", &ports, false)],
    };
    let got: Vec<String> = targets(&pod).into_iter().map(|(a, p, _)| format!("{a}{p}")).collect();
    assert_eq!(got, ["10.0.0.9:9271/metrics"]);
    let config = load("configmap.yaml");
    let text = str_of(&config["data"]["config.yml"], "config.yml");
    assert!(!text.contains("127.0.0.1:9271"), "a static self-scrape job would scrape the agent a second time");
}

/// The ConfigMap ships the agent's embedded cluster default, so `kubectl apply -k` and a
/// config-less agent scrape the same way.
#[test]
fn configmap_config_is_the_embedded_default() {
    let config = load("configmap.yaml");
    let shipped = str_of(&config["data"]["config.yml"], "config.yml");
    let embedded = include_str!("../../../agent/src/cli/default-kubernetes.yml");
    let jobs = |text: &str| {
        text[text.find("scrape_configs:").expect("scrape_configs")..text.find("remote_write:").expect("remote_write")]
            .to_string()
    };
    assert_eq!(jobs(shipped), jobs(embedded), "deploy/configmap.yaml and agent/src/cli/default-kubernetes.yml differ");
}

/// The ConfigMap's `kubelet` job, read as an admin would: this node's kubelet over HTTPS with the
/// service-account token, verified against the cluster CA (the opt-out only in a comment), the
/// three metrics paths, `node` on every target, and the cardinality guard.
#[test]
fn kubelet_job_scrapes_this_nodes_kubelet_verified_with_the_token() {
    let config = load("configmap.yaml");
    let text = str_of(&config["data"]["config.yml"], "config.yml");
    let doc = YamlLoader::load_from_str(text).unwrap().remove(0);
    let jobs = doc["scrape_configs"].as_vec().expect("scrape_configs");
    let job = jobs.iter().find(|j| j["job_name"].as_str() == Some("kubelet")).expect("a kubelet job");
    assert_eq!(job["scheme"].as_str(), Some("https"));
    assert_eq!(job["honor_labels"].as_bool(), Some(true), "cAdvisor's namespace/pod/container are kept");
    assert_eq!(job["honor_timestamps"].as_bool(), Some(false));
    let token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    assert_eq!(job["authorization"]["credentials_file"].as_str(), Some(token));
    let tls = &job["tls_config"];
    assert_eq!(tls["ca_file"].as_str(), Some("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"));
    assert!(tls["insecure_skip_verify"].is_badvalue(), "verification is on by default");
    assert!(text.contains("#   insecure_skip_verify: true"), "the opt-out is documented next to it");
    let groups = job["static_configs"].as_vec().expect("static_configs");
    let paths: Vec<&str> = groups.iter().map(|g| str_of(&g["labels"]["__metrics_path__"], "path")).collect();
    assert_eq!(paths, ["/metrics/cadvisor", "/metrics/resource", "/metrics"]);
    for g in groups {
        assert_eq!(strings(&g["targets"]), ["${NODE_IP}:10250"]);
        assert_eq!(g["labels"]["node"].as_str(), Some("${NODE_NAME}"));
        assert!(g["labels"]["namespace"].is_badvalue() && g["labels"]["pod"].is_badvalue(), "the kubelet is no pod");
    }
    let guard: Vec<&str> = job["metric_relabel_configs"]
        .as_vec()
        .expect("the guard")
        .iter()
        .map(|r| str_of(&r["action"], "action"))
        .collect();
    assert_eq!(guard, ["drop", "drop", "drop"]);
}
