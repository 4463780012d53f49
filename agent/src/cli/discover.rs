//! `scrapelet discover --pods FILE [--node NAME] [--config FILE]`: the targets pod discovery
//! forms from a `PodList` (or one `Pod`), before and after `relabel_configs`, as JSON.

use std::path::Path;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use serde_json::{Map, Value, json};

use crate::config::{Config, yaml};
use crate::discovery::kubernetes::pod::pods_targets;
use crate::labels::Labels;
use crate::scrape::Target;

pub fn main(pods: &Path, node: Option<&str>, config: Option<&Path>) -> i32 {
    match discover(pods, node, config) {
        Ok(out) => {
            println!("{}", serde_json::to_string_pretty(&out).expect("JSON of strings"));
            0
        }
        Err(e) => {
            eprintln!("scrapelet discover: {e}");
            2
        }
    }
}

fn discover(pods: &Path, node: Option<&str>, config: Option<&Path>) -> Result<Value, String> {
    let cfg = match config {
        Some(path) => Config::load(path)
            .map_err(|errs| errs.iter().map(|e| format!("{}:{e}", path.display())).collect::<Vec<_>>().join("\n"))?,
        None => super::default_config::kubernetes_default(),
    };
    let mut pods = read_pods(pods)?;
    if let Some(node) = node {
        pods.retain(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node));
    }
    let mut out = Vec::new();
    for job in cfg.scrape_configs.iter().filter(|j| !j.kubernetes_sd_configs.is_empty()) {
        let job = Arc::new(job.clone());
        for sd in &job.kubernetes_sd_configs {
            let in_scope = |p: &&Pod| {
                sd.namespaces.names.is_empty()
                    || sd.namespaces.names.iter().any(|n| Some(n.as_str()) == p.metadata.namespace.as_deref())
            };
            for discovered in pods_targets(pods.iter().filter(in_scope)) {
                let labels = match Target::from_labels(&job, discovered.clone()) {
                    Ok(Some(t)) => labels_json(&t.labels),
                    Ok(None) => json!({}),
                    Err(e) => {
                        eprintln!(
                            "scrapelet discover: job {}: target {}: {e}",
                            job.job_name,
                            discovered.get("__address__").unwrap_or("")
                        );
                        json!({})
                    }
                };
                out.push(json!({"discoveredLabels": labels_json(&discovered), "labels": labels}));
            }
        }
    }
    Ok(Value::Array(out))
}

fn labels_json(l: &Labels) -> Value {
    Value::Object(l.iter().map(|l| (l.name.clone(), Value::String(l.value.clone()))).collect::<Map<_, _>>())
}

/// A `PodList` or a single `Pod`, in JSON or YAML.
fn read_pods(path: &Path) -> Result<Vec<Pod>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?
    } else {
        yaml::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?.to_json()
    };
    let items = match value.get("items") {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(format!("{}: `items` is not a list", path.display())),
        None => vec![value],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).map_err(|e| format!("{}: items[{i}] is not a valid Pod: {e}", path.display()))
        })
        .collect()
}
