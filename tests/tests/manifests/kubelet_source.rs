//! deploy/components/kubelet-source: the kubelet pod source with least-privilege RBAC.

use std::path::PathBuf;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use super::*;

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
pub(crate) fn grants_nodes_proxy(rule: &Yaml) -> bool {
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
/// RBAC grants `nodes/pods` only.
#[test]
fn overlay_with_the_kubelet_component_renders_and_validates() {
    let docs = render_overlay("kubelet-source", &["kubelet-source"]);
    let roles: Vec<&Yaml> = docs.iter().filter(|d| d["kind"].as_str() == Some("ClusterRole")).collect();
    assert_eq!(roles.len(), 1);
    assert_kubelet_rbac(roles[0]);
    let config = docs.iter().find(|d| d["kind"].as_str() == Some("ConfigMap")).expect("ConfigMap");
    assert!(str_of(&config["data"]["config.yml"], "config.yml").contains("pod_source: kubelet"));
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
