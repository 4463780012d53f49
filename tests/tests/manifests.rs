//! The Kubernetes manifests in `deploy/`, read as a cluster admin and a reviewer would: they pass
//! `kubernetes-validate --strict` (schemas shipped with the PyPI package, so this runs offline),
//! the kustomization lists them all, the RBAC is least privilege, the DaemonSet is locked down and
//! probed, and the ConfigMap's `kubernetes-pods` job turns the reference pod into exactly one target.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

/// Schema versions validated against: the oldest Kubernetes the manifests claim to support
/// (deploy/README.md) and a current one. Both ship with `kubernetes-validate` (1.37.0 ships 1.25–1.37).
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Every Kubernetes manifest in deploy/ (the kustomization file is kustomize's, not a resource).
fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir())
        .expect("read deploy/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {}", deploy_dir().display());
    files
}

fn load(name: &str) -> Yaml {
    let path = deploy_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{name}: expected one YAML document");
    docs.remove(0)
}

fn str_of<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str().unwrap_or_else(|| panic!("{what}: expected a string, got {y:?}"))
}

fn strings(y: &Yaml) -> Vec<&str> {
    y.as_vec().map(|v| v.iter().filter_map(Yaml::as_str).collect()).unwrap_or_default()
}

fn run_validate(version: &str, files: &[PathBuf]) {
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", version])
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("running kubernetes-validate: {e} (tests/run.sh installs it: python3 -m pip install kubernetes-validate)")
        });
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kubernetes-validate --strict -k {version} failed:\n{stdout}{stderr}");
    // Every file must have been checked against a schema, not skipped for want of one.
    for f in files {
        let shown = f.display().to_string();
        assert!(
            stdout.lines().chain(stderr.lines()).any(|l| l.contains(&shown) && l.contains("passed")),
            "{shown} was not validated against {version}:\n{stdout}{stderr}"
        );
    }
}

#[test]
fn every_manifest_passes_strict_validation() {
    let files = manifest_files();
    for version in KUBERNETES_VERSIONS {
        run_validate(version, &files);
    }
}

/// What `kubectl apply -k deploy/` sends, validated too (kustomize sets namespaces and labels).
/// Needs `kubectl`; without it the individual files above are still validated.
#[test]
fn rendered_kustomization_passes_strict_validation() {
    let rendered = match Command::new("kubectl").arg("kustomize").arg(deploy_dir()).output() {
        Ok(out) => {
            assert!(out.status.success(), "kubectl kustomize deploy/: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }
        Err(e) => {
            eprintln!("kubectl not available ({e}): rendered kustomization not validated");
            return;
        }
    };
    let path = std::env::temp_dir().join(format!("scrapelet-rendered-{}.yaml", std::process::id()));
    std::fs::write(&path, &rendered).unwrap();
    let docs = YamlLoader::load_from_str(std::str::from_utf8(&rendered).unwrap()).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| str_of(&d["kind"], "kind")).collect();
    for kind in
        ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Service"]
    {
        assert!(kinds.contains(&kind), "rendered kustomization lacks a {kind}: {kinds:?}");
    }
    for d in &docs {
        if !["Namespace", "ClusterRole", "ClusterRoleBinding"].contains(&str_of(&d["kind"], "kind")) {
            assert_eq!(d["metadata"]["namespace"].as_str(), Some("scrapelet"), "{d:?}");
        }
        assert_eq!(d["metadata"]["labels"]["app.kubernetes.io/name"].as_str(), Some("scrapelet"));
    }
    for version in KUBERNETES_VERSIONS {
        run_validate(version, std::slice::from_ref(&path));
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn kustomization_lists_every_manifest_and_nothing_else() {
    let k = load("kustomization.yaml");
    assert_eq!(str_of(&k["kind"], "kind"), "Kustomization");
    assert_eq!(k["namespace"].as_str(), Some("scrapelet"));
    let mut listed: Vec<&str> = strings(&k["resources"]);
    for r in &listed {
        assert!(deploy_dir().join(r).is_file(), "kustomization.yaml lists {r}, which does not exist");
    }
    listed.sort_unstable();
    let on_disk: Vec<String> =
        manifest_files().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(listed, on_disk, "kustomization.yaml resources vs the manifests in deploy/");
    let common = &k["labels"][0]["pairs"];
    assert_eq!(common["app.kubernetes.io/name"].as_str(), Some("scrapelet"));
}

#[test]
fn rbac_grants_pod_discovery_and_kubelet_metrics_only() {
    let role = load("clusterrole.yaml");
    assert_eq!(str_of(&role["kind"], "kind"), "ClusterRole");
    let rules = role["rules"].as_vec().expect("rules");
    assert_eq!(rules.len(), 2, "exactly two rules: {rules:?}");
    assert!(!rules.iter().any(grants_nodes_proxy), "nodes/proxy allows exec into every container: {rules:?}");
    let pods = &rules[0];
    assert_eq!(strings(&pods["apiGroups"]), [""], "core group only");
    assert_eq!(strings(&pods["resources"]), ["pods"], "pods only (no secrets)");
    let mut verbs = strings(&pods["verbs"]);
    verbs.sort_unstable();
    assert_eq!(verbs, ["get", "list", "watch"]);
    let metrics = &rules[1];
    assert_eq!(strings(&metrics["apiGroups"]), [""]);
    assert_eq!(strings(&metrics["resources"]), ["nodes/metrics"], "the kubelet job's /metrics* paths");
    assert_eq!(strings(&metrics["verbs"]), ["get"]);
    for rule in rules {
        assert!(rule["resourceNames"].is_badvalue() && rule["nonResourceURLs"].is_badvalue());
    }

    let binding = load("clusterrolebinding.yaml");
    assert_eq!(binding["roleRef"]["kind"].as_str(), Some("ClusterRole"));
    assert_eq!(binding["roleRef"]["name"].as_str(), role["metadata"]["name"].as_str());
    let subjects = binding["subjects"].as_vec().expect("subjects");
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0]["kind"].as_str(), Some("ServiceAccount"));
    assert_eq!(subjects[0]["name"].as_str(), Some("scrapelet"));
    assert_eq!(subjects[0]["namespace"].as_str(), Some("scrapelet"));
    assert_eq!(load("serviceaccount.yaml")["metadata"]["name"].as_str(), Some("scrapelet"));
}

fn agent_container(pod: &Yaml) -> &Yaml {
    pod["containers"]
        .as_vec()
        .and_then(|cs| cs.iter().find(|c| c["name"].as_str() == Some("scrapelet")))
        .expect("container `scrapelet`")
}

#[test]
fn daemonset_runs_locked_down_on_every_node() {
    let ds = load("daemonset.yaml");
    assert_eq!(str_of(&ds["kind"], "kind"), "DaemonSet");
    let spec = &ds["spec"];
    let pod = &spec["template"]["spec"];
    let c = agent_container(pod);

    // The node's pods only: NODE_NAME from the downward API.
    let env = c["env"].as_vec().expect("env");
    let field_of = |name: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(name))
            .and_then(|e| e["valueFrom"]["fieldRef"]["fieldPath"].as_str())
    };
    assert_eq!(field_of("NODE_NAME"), Some("spec.nodeName"));
    assert_eq!(field_of("NODE_IP"), Some("status.hostIP"));

    // The agent's flags and its config from the ConfigMap.
    let args = strings(&c["args"]);
    assert_eq!(args.first(), Some(&"run"));
    let flag = |f: &str| args.iter().position(|a| *a == f).and_then(|i| args.get(i + 1)).copied();
    assert_eq!(flag("--config"), Some("/etc/scrapelet/config.yml"));
    assert_eq!(flag("--data-dir"), Some("/var/lib/scrapelet"));
    assert_eq!(flag("--log.format"), Some("json"));
    let mounts = c["volumeMounts"].as_vec().expect("volumeMounts");
    let volumes = pod["volumes"].as_vec().expect("volumes");
    let volume_at = |path: &str| {
        let m = mounts
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("no mount at {path}"));
        assert!(m["subPath"].is_badvalue(), "{path}: subPath mounts never see ConfigMap updates");
        volumes.iter().find(|v| v["name"] == m["name"]).unwrap_or_else(|| panic!("no volume for {path}"))
    };
    let config = load("configmap.yaml");
    assert_eq!(volume_at("/etc/scrapelet")["configMap"]["name"], config["metadata"]["name"]);
    assert!(config["data"]["config.yml"].as_str().is_some());
    assert!(!volume_at("/var/lib/scrapelet")["emptyDir"]["sizeLimit"].is_badvalue(), "bounded data volume");
    assert!(volumes.iter().all(|v| v["hostPath"].is_badvalue()), "no hostPath: the namespace enforces `restricted`");

    // Probes on the self-monitoring port.
    let ports = c["ports"].as_vec().expect("ports");
    assert!(
        ports.iter().any(|p| p["name"].as_str() == Some("http-metrics") && p["containerPort"].as_i64() == Some(9271))
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["path"].as_str(), Some("/-/healthy"));
    assert_eq!(c["livenessProbe"]["httpGet"]["port"].as_str(), Some("http-metrics"));
    assert_eq!(c["readinessProbe"]["httpGet"]["path"].as_str(), Some("/-/ready"));
    assert_eq!(c["readinessProbe"]["httpGet"]["port"].as_str(), Some("http-metrics"));

    // Resources: requests and limits for CPU and memory.
    for kind in ["requests", "limits"] {
        for res in ["cpu", "memory"] {
            assert!(!c["resources"][kind][res].is_badvalue(), "resources.{kind}.{res} missing");
        }
    }

    // Security: non-root, read-only root, no escalation, no capabilities, default seccomp.
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"].as_bool().or(pod["securityContext"]["runAsNonRoot"].as_bool()), Some(true));
    assert_eq!(sc["runAsUser"].as_i64().or(pod["securityContext"]["runAsUser"].as_i64()), Some(65532));
    assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(strings(&sc["capabilities"]["drop"]), ["ALL"]);
    assert!(sc["capabilities"]["add"].is_badvalue());
    assert_ne!(sc["privileged"].as_bool(), Some(true));
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"].as_str(), Some("RuntimeDefault"));
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        assert_ne!(pod[host].as_bool(), Some(true), "{host}");
    }

    // Everywhere, rolled gently, with time to flush (the agent's flush deadline is 10 s).
    let tolerations = pod["tolerations"].as_vec().expect("tolerations");
    assert!(tolerations.iter().any(|t| t["operator"].as_str() == Some("Exists") && t["key"].is_badvalue()));
    assert_eq!(spec["updateStrategy"]["type"].as_str(), Some("RollingUpdate"));
    assert!(!spec["updateStrategy"]["rollingUpdate"]["maxUnavailable"].is_badvalue());
    assert!(pod["terminationGracePeriodSeconds"].as_i64().expect("terminationGracePeriodSeconds") > 10);
    assert_eq!(pod["serviceAccountName"].as_str(), Some("scrapelet"));
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(true));

    // Selector, pod labels and Service agree.
    let selector = spec["selector"]["matchLabels"].as_hash().expect("matchLabels");
    let labels = &spec["template"]["metadata"]["labels"];
    for (k, v) in selector {
        assert_eq!(&labels[str_of(k, "label")], v, "pod template lacks selector label {k:?}");
    }
    let svc = load("service.yaml");
    assert_eq!(svc["spec"]["selector"].as_hash(), Some(selector), "Service selects the agent pods");
    let svc_port = &svc["spec"]["ports"][0];
    assert_eq!((svc_port["port"].as_i64(), svc_port["name"].as_str()), (Some(9271), Some("http-metrics")));
}

// --- The ConfigMap's scrape job, applied by the agent itself (`scrapelet discover`) to pods.

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
    let embedded = include_str!("../../agent/src/cli/default-kubernetes.yml");
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

// --- deploy/components/kubelet-source: the kubelet pod source with least-privilege RBAC.

fn component_dir() -> PathBuf {
    deploy_dir().join("components/kubelet-source")
}

fn load_component(name: &str) -> Yaml {
    let path = component_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())).remove(0)
}

/// The component's patches, each a complete manifest.
fn component_patches() -> Vec<PathBuf> {
    let k = load_component("kustomization.yaml");
    assert_eq!(k["kind"].as_str(), Some("Component"));
    let patches: Vec<PathBuf> = k["patches"]
        .as_vec()
        .expect("patches")
        .iter()
        .map(|p| component_dir().join(str_of(&p["path"], "patch path")))
        .collect();
    assert_eq!(patches.len(), 3, "{patches:?}");
    patches
}

#[test]
fn kubelet_component_patches_pass_strict_validation() {
    let files = component_patches();
    for version in KUBERNETES_VERSIONS {
        run_validate(version, &files);
    }
}

/// A rule grants `nodes/proxy` if it names it or a wildcard resource.
fn grants_nodes_proxy(rule: &Yaml) -> bool {
    strings(&rule["resources"]).iter().any(|r| ["nodes/proxy", "nodes/*", "*"].contains(r))
}

fn assert_kubelet_rbac(role: &Yaml) {
    let rules = role["rules"].as_vec().expect("rules");
    assert!(!rules.iter().any(grants_nodes_proxy), "nodes/proxy allows exec into every container: {rules:?}");
    assert_eq!(rules.len(), 1, "exactly one rule: {rules:?}");
    assert_eq!(strings(&rules[0]["apiGroups"]), [""]);
    assert_eq!(
        strings(&rules[0]["resources"]),
        ["nodes/pods", "nodes/metrics"],
        "the kubelet's /pods and /metrics*, nothing else"
    );
    assert_eq!(strings(&rules[0]["verbs"]), ["get"], "GET is verb get; no list/watch of pods");
}

#[test]
fn kubelet_component_grants_nodes_pods_and_never_nodes_proxy() {
    let role = load_component("clusterrole.yaml");
    assert_eq!(role["metadata"]["name"], load("clusterrole.yaml")["metadata"]["name"], "patches the base role");
    assert_kubelet_rbac(&role);
}

/// The component's config.yml is the base's with `pod_source: kubelet` added, and nothing else.
#[test]
fn kubelet_component_config_is_the_base_with_pod_source_kubelet() {
    let code = |text: &str| -> Vec<String> {
        text.lines().filter(|l| !l.trim_start().starts_with('#')).map(str::to_string).collect()
    };
    let base = code(str_of(&load("configmap.yaml")["data"]["config.yml"], "config.yml"));
    let patched = code(str_of(&load_component("configmap.yaml")["data"]["config.yml"], "config.yml"));
    let mut want = base.clone();
    let at = want.iter().position(|l| l.trim() == "- role: pod").expect("role: pod") + 1;
    want.insert(at, "        pod_source: kubelet".into());
    assert_eq!(patched, want);
    let ds = load_component("daemonset.yaml");
    let env = agent_container(&ds["spec"]["template"]["spec"])["env"].as_vec().expect("env").clone();
    assert!(env.iter().any(|e| e["name"].as_str() == Some("NODE_IP")
        && e["valueFrom"]["fieldRef"]["fieldPath"].as_str() == Some("status.hostIP")));
}

/// `kubectl kustomize` of an overlay using the base and the component, validated strictly; its
/// RBAC grants `nodes/pods` only. Needs `kubectl`, like the base's rendering test.
#[test]
fn overlay_with_the_kubelet_component_renders_and_validates() {
    let dir = std::env::temp_dir().join(format!("scrapelet-kubelet-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // kustomize wants relative paths: from the temporary overlay up to / and down to deploy/.
    let up = "../".repeat(dir.components().count() - 1);
    let deploy = deploy_dir().canonicalize().unwrap();
    let rel = format!("{up}{}", deploy.strip_prefix("/").unwrap().display());
    let kustomization = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - {rel}\ncomponents:\n  - {rel}/components/kubelet-source\n"
    );
    std::fs::write(dir.join("kustomization.yaml"), kustomization).unwrap();
    let rendered = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(out) => {
            assert!(out.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }
        Err(e) => {
            eprintln!("kubectl not available ({e}): overlay with the kubelet component not rendered");
            return;
        }
    };
    let text = String::from_utf8(rendered).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let roles: Vec<&Yaml> = docs.iter().filter(|d| d["kind"].as_str() == Some("ClusterRole")).collect();
    assert_eq!(roles.len(), 1);
    assert_kubelet_rbac(roles[0]);
    let config = docs.iter().find(|d| d["kind"].as_str() == Some("ConfigMap")).expect("ConfigMap");
    assert!(str_of(&config["data"]["config.yml"], "config.yml").contains("pod_source: kubelet"));
    let path = dir.join("rendered.yaml");
    std::fs::write(&path, &text).unwrap();
    for version in KUBERNETES_VERSIONS {
        run_validate(version, std::slice::from_ref(&path));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The agent accepts the component's config.yml (`scrapelet discover` loads and validates it).
#[test]
fn kubelet_component_config_is_accepted_by_the_agent() {
    let text = str_of(&load_component("configmap.yaml")["data"]["config.yml"], "config.yml").to_string();
    let path = std::env::temp_dir().join(format!("scrapelet-kubelet-component-{}.yml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let pods = std::env::temp_dir().join(format!("scrapelet-kubelet-component-{}.json", std::process::id()));
    std::fs::write(&pods, r#"{"kind":"PodList","items":[]}"#).unwrap();
    let out = Command::new(scrapelet_tests::scrapelet_bin())
        .args(["discover", "--pods"])
        .arg(&pods)
        .arg("--config")
        .arg(&path)
        .output()
        .expect("run scrapelet discover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
