//! A realistic running Pod as JSON, as the API server would return it for a pod created by a
//! Deployment: uid, owner ReplicaSet, Ready condition, container statuses with container IDs.
//!
//! Entry: [`pod`]. Deterministic: the same arguments give the same uid and IDs.

use serde_json::{Map, Value, json};

/// One container: its name and its declared ports `(port name, number, protocol)`; an empty
/// port name leaves the port unnamed.
pub type Container<'a> = (&'a str, &'a [(&'a str, u16, &'a str)]);

/// Builds a Running, Ready pod on `node` with IP `ip` (use loopback addresses where fixture
/// targets listen). The owner ReplicaSet is the name minus its last `-suffix`.
pub fn pod(
    ns: &str,
    name: &str,
    node: &str,
    ip: &str,
    labels: &[(&str, &str)],
    annotations: &[(&str, &str)],
    containers: &[Container],
) -> Value {
    let uid = uuid(&format!("{ns}/{name}"));
    let owner = name.rsplit_once('-').map_or(name, |(rs, _)| rs);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid,
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "labels": string_map(labels),
            "annotations": string_map(annotations),
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": owner,
                "uid": uuid(&format!("{ns}/replicaset/{owner}")),
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "containers": containers.iter().map(|c| container_spec(*c)).collect::<Vec<_>>(),
        },
        "status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": "2024-01-01T00:00:01Z",
            "qosClass": "BestEffort",
            "conditions": conditions(),
            "containerStatuses": containers.iter().map(|(c, _)| container_status(&uid, c)).collect::<Vec<_>>(),
        },
    })
}

fn conditions() -> Vec<Value> {
    let condition = |t: &str| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": "2024-01-01T00:00:02Z"});
    ["Initialized", "Ready", "ContainersReady", "PodScheduled"].into_iter().map(condition).collect()
}

fn string_map(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
}

fn container_spec((name, ports): Container) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|(port_name, port, protocol)| {
            let mut p = json!({"containerPort": port, "protocol": protocol});
            if !port_name.is_empty() {
                p["name"] = json!(port_name);
            }
            p
        })
        .collect();
    let mut c = json!({"name": name, "image": image(name), "imagePullPolicy": "IfNotPresent"});
    if !ports.is_empty() {
        c["ports"] = json!(ports);
    }
    c
}

fn container_status(pod_uid: &str, name: &str) -> Value {
    let id = format!("{:016x}{:016x}", fnv(&format!("{pod_uid}/{name}")), fnv(&format!("{name}/{pod_uid}")));
    json!({
        "name": name,
        "image": image(name),
        "imageID": format!("docker.io/library/{name}@sha256:{id}{id}"),
        "containerID": format!("containerd://{id}{id}"),
        "ready": true,
        "started": true,
        "restartCount": 0,
        "state": {"running": {"startedAt": "2024-01-01T00:00:02Z"}},
    })
}

fn image(container: &str) -> String {
    format!("docker.io/library/{container}:1.0")
}

/// A UUID-shaped string derived from `seed`.
fn uuid(seed: &str) -> String {
    let (a, b) = (fnv(seed), fnv(&format!("{seed}#")));
    let h = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// A fixture target on `ip` (a loopback address) and a Running pod in namespace `shop` announcing
/// it with the prometheus.io annotations (declared ports 8080 and the fixture's).
pub fn annotated_pod(name: &str, node: &str, ip: &str, body: &'static str) -> (crate::FixtureServer, Value) {
    let fixture = crate::FixtureServer::start_on(&format!("{ip}:0"), move |_, _| crate::fixture::Reply::text(body));
    let port: u16 = fixture.addr.rsplit(':').next().unwrap().parse().unwrap();
    let annotations = [
        ("prometheus.io/scrape", "true"),
        ("prometheus.io/port", &port.to_string()),
        ("prometheus.io/path", "/metrics"),
    ];
    let p = pod(
        "shop",
        name,
        node,
        ip,
        &[("app", "web")],
        &annotations,
        &[("web", &[("http", 8080, "TCP"), ("metrics", port, "TCP")])],
    );
    (fixture, p)
}
