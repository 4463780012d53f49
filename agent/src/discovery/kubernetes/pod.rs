//! Pod → discovered label sets, exactly as Prometheus' `kubernetes_sd_configs` role `pod` forms them.
//!
//! Entry point: [`pod_targets`], a pure function of one `Pod`. It never looks at where the pod came
//! from (API watch, kubelet `/pods`, a file), so every pod source shares it and their outputs are
//! byte-identical for the same pod.
//!
//! Reference: prometheus/prometheus `discovery/kubernetes/pod.go` (`buildPod`, `podLabels`,
//! `findPodContainerID`, `podReady`, `GetControllerOf`) and `kubernetes.go`
//! (`addObjectMetaLabels`), as of v2.42 (container ID added) through the 2.x line. The Debian
//! v2.42 binary on this machine is built without Kubernetes SD, so it cannot serve as an oracle.
//! Prometheus 3.x later added `__meta_kubernetes_pod_ipv4`/`_ipv6` and writes a port-less IPv6
//! `__address__` in brackets; both are left out on purpose (see `pod_tests.rs`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodStatus};

use crate::labels::Labels;

const META: &str = "__meta_kubernetes_";

/// The target label sets of one pod: one per declared container port, one port-less target per
/// container without ports, app containers first, then init containers, each in spec order. Every
/// set already holds the pod-level ("group") labels; a target label wins over a group label.
/// A pod without `status.podIP` has no targets.
pub fn pod_targets(pod: &Pod) -> Vec<Labels> {
    let Some(ip) = pod_ip(pod) else { return Vec::new() };
    let group = group_labels(pod, ip);
    let Some(spec) = pod.spec.as_ref() else { return Vec::new() };
    let status = pod.status.as_ref();
    let app = spec.containers.iter().map(|c| (c, false));
    let init = spec.init_containers.iter().flatten().map(|c| (c, true));
    let mut out = Vec::new();
    for (c, is_init) in app.chain(init) {
        let id = container_id(status, &c.name, is_init);
        for target in container_targets(c, ip, &id, is_init) {
            out.push(merge(&group, target));
        }
    }
    out
}

/// The targets of many pods in a deterministic order: pods sorted by namespace then name, each
/// pod's targets in [`pod_targets`] order. Every pod source publishes this, so equal pods give
/// equal lists whatever their source.
pub fn pods_targets<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> Vec<Labels> {
    let mut pods: Vec<&Pod> = pods.into_iter().collect();
    pods.sort_by(|a, b| {
        let key = |p: &'a Pod| (p.metadata.namespace.as_deref(), p.metadata.name.as_deref());
        key(a).cmp(&key(b))
    });
    pods.into_iter().flat_map(pod_targets).collect()
}

/// `status.podIP`, if set and non-empty ("PodIP can be empty when a pod is starting or has been evicted").
fn pod_ip(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.pod_ip.as_deref().filter(|ip| !ip.is_empty())
}

/// `podLabels` plus the namespace: the labels shared by every target of the pod.
fn group_labels(pod: &Pod, ip: &str) -> Labels {
    let meta = &pod.metadata;
    let status = pod.status.as_ref();
    let spec = pod.spec.as_ref();
    let mut l = Labels::new();
    let mut set = |name: &str, value: &str| l.insert(format!("{META}{name}"), value.to_string());
    set("namespace", meta.namespace.as_deref().unwrap_or(""));
    set("pod_name", meta.name.as_deref().unwrap_or(""));
    set("pod_ip", ip);
    set("pod_ready", &pod_ready(status));
    set("pod_phase", status.and_then(|s| s.phase.as_deref()).unwrap_or(""));
    set("pod_node_name", spec.and_then(|s| s.node_name.as_deref()).unwrap_or(""));
    set("pod_host_ip", status.and_then(|s| s.host_ip.as_deref()).unwrap_or(""));
    set("pod_uid", meta.uid.as_deref().unwrap_or(""));
    add_prefixed(&mut l, "pod_label", meta.labels.as_ref());
    add_prefixed(&mut l, "pod_annotation", meta.annotations.as_ref());
    add_controller(&mut l, pod);
    l
}

/// `<prefix>_<sanitized>` = value and `<prefix>present_<sanitized>` = "true" for each entry.
/// When two keys sanitise to the same name, the later key in byte order wins (Go's map order
/// makes Prometheus' choice random there).
fn add_prefixed(l: &mut Labels, prefix: &str, map: Option<&BTreeMap<String, String>>) {
    for (k, v) in map.into_iter().flatten() {
        let name = sanitize_label_name(k);
        l.insert(format!("{META}{prefix}_{name}"), v.clone());
        l.insert(format!("{META}{prefix}present_{name}"), "true".into());
    }
}

/// `GetControllerOf`: the first owner reference with `controller: true`; empty kind/name are skipped.
fn add_controller(l: &mut Labels, pod: &Pod) {
    let owners = pod.metadata.owner_references.iter().flatten();
    if let Some(o) = owners.into_iter().find(|o| o.controller == Some(true)) {
        l.set(format!("{META}pod_controller_kind"), o.kind.clone()); // skipped when empty, as in Go
        l.set(format!("{META}pod_controller_name"), o.name.clone());
    }
}

/// `podReady`: the lower-cased status of the first `Ready` condition, else "unknown".
fn pod_ready(status: Option<&PodStatus>) -> String {
    let conditions = status.and_then(|s| s.conditions.as_ref()).into_iter().flatten();
    conditions.into_iter().find(|c| c.type_ == "Ready").map_or("unknown".into(), |c| c.status.to_lowercase())
}

/// `findPodContainerID`: the ID from the status of the same name (init statuses for init
/// containers), or "" when the status is missing.
fn container_id(status: Option<&PodStatus>, name: &str, is_init: bool) -> String {
    let statuses: Option<&Vec<ContainerStatus>> =
        status.and_then(|s| if is_init { s.init_container_statuses.as_ref() } else { s.container_statuses.as_ref() });
    let found = statuses.into_iter().flatten().find(|s| s.name == name);
    found.and_then(|s| s.container_id.clone()).unwrap_or_default()
}

/// The per-target labels of one container: one set per port, or one port-less set.
fn container_targets(c: &Container, ip: &str, id: &str, is_init: bool) -> Vec<Labels> {
    let mut base = Labels::new();
    base.insert(format!("{META}pod_container_name"), c.name.clone());
    base.insert(format!("{META}pod_container_id"), id.to_string());
    base.insert(format!("{META}pod_container_image"), c.image.clone().unwrap_or_default());
    base.insert(format!("{META}pod_container_init"), is_init.to_string());
    let ports = c.ports.as_deref().unwrap_or_default();
    if ports.is_empty() {
        let mut l = base;
        l.insert("__address__".into(), ip.to_string());
        return vec![l];
    }
    let per_port = |p: &k8s_openapi::api::core::v1::ContainerPort| {
        // Go formats the int32 through uint64, so a (never valid) negative port wraps the same way.
        let number = (p.container_port as i64 as u64).to_string();
        let mut l = base.clone();
        l.insert("__address__".into(), join_host_port(ip, &number));
        l.insert(format!("{META}pod_container_port_name"), p.name.clone().unwrap_or_default());
        l.insert(format!("{META}pod_container_port_number"), number);
        l.insert(format!("{META}pod_container_port_protocol"), p.protocol.clone().unwrap_or_default());
        l
    };
    ports.iter().map(per_port).collect()
}

/// Group labels overlaid (empty values kept, as in Prometheus' discovered labels) with the target's own labels (the target wins, as in Prometheus).
fn merge(group: &Labels, target: Labels) -> Labels {
    let mut l = group.clone();
    for t in &target {
        l.insert(t.name.clone(), t.value.clone());
    }
    l
}

/// Go's `net.JoinHostPort`: a host containing ':' is bracketed.
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// Prometheus' `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]` becomes `_`
/// (one `_` per character, not per byte).
pub fn sanitize_label_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
