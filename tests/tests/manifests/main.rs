//! The Kubernetes manifests in `deploy/`, read as a cluster admin and a reviewer would: they pass
//! `kubernetes-validate --strict` (schemas shipped with the PyPI package, so this runs offline),
//! the kustomization lists them all, the RBAC is least privilege, the DaemonSet is locked down and
//! probed, and the ConfigMap's `kubernetes-pods` job turns the reference pod into exactly one target.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

mod hardening;
mod kubelet_source;
mod pods;

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

/// `kubectl kustomize DIR`. kubectl is required: tests/run.sh installs Debian's `kubectl`, and
/// without it these tests fail rather than pass unchecked.
fn kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl").arg("kustomize").arg(dir).output().unwrap_or_else(|e| {
        panic!("running kubectl kustomize: {e} (tests/run.sh installs kubectl: Debian package `kubectl`)")
    });
    assert!(out.status.success(), "kubectl kustomize {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("kustomize prints YAML")
}

/// Renders an overlay of the base with `components` (directories under deploy/components), as
/// a user's `kustomization.yaml` would, and validates it strictly; returns its documents.
fn render_overlay(name: &str, components: &[&str]) -> Vec<Yaml> {
    let dir = std::env::temp_dir().join(format!("scrapelet-overlay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // kustomize wants relative paths: from the temporary overlay up to / and down to deploy/.
    let up = "../".repeat(dir.components().count() - 1);
    let deploy = deploy_dir().canonicalize().unwrap();
    let rel = format!("{up}{}", deploy.strip_prefix("/").unwrap().display());
    let mut kustomization =
        format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - {rel}\n");
    if !components.is_empty() {
        kustomization.push_str("components:\n");
        for c in components {
            kustomization.push_str(&format!("  - {rel}/components/{c}\n"));
        }
    }
    std::fs::write(dir.join("kustomization.yaml"), kustomization).unwrap();
    let text = kustomize(&dir);
    let path = dir.join("rendered.yaml");
    std::fs::write(&path, &text).unwrap();
    for version in KUBERNETES_VERSIONS {
        run_validate(version, std::slice::from_ref(&path));
    }
    std::fs::remove_dir_all(&dir).ok();
    YamlLoader::load_from_str(&text).unwrap()
}

/// Kinds kustomize must not put in a namespace.
const CLUSTER_SCOPED: [&str; 4] = ["Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"];

/// What `kubectl apply -k deploy/` sends, validated too (kustomize sets namespaces and labels).
#[test]
fn rendered_kustomization_passes_strict_validation() {
    let rendered = kustomize(&deploy_dir());
    let path = std::env::temp_dir().join(format!("scrapelet-rendered-{}.yaml", std::process::id()));
    std::fs::write(&path, &rendered).unwrap();
    let docs = YamlLoader::load_from_str(&rendered).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| str_of(&d["kind"], "kind")).collect();
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "DaemonSet",
        "Service",
        "NetworkPolicy",
        "PriorityClass",
    ] {
        assert!(kinds.contains(&kind), "rendered kustomization lacks a {kind}: {kinds:?}");
    }
    for d in &docs {
        if !CLUSTER_SCOPED.contains(&str_of(&d["kind"], "kind")) {
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
    assert!(
        !rules.iter().any(kubelet_source::grants_nodes_proxy),
        "nodes/proxy allows exec into every container: {rules:?}"
    );
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

    // Everywhere, rolled gently, with time to flush (hardening.rs checks the drain).
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
