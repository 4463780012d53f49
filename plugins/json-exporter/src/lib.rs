//! An exporter plugin that fetches a JSON document from the target and maps it to metrics with
//! JSONPath-like selectors, in the spirit of the Prometheus community's json_exporter.
//!
//! ```yaml
//! config:
//!   path: /stats.json             # fetched from the target's host:port
//!   metrics:
//!     - name: app_requests_total
//!       type: counter
//!       help: Requests served.
//!       path: $.requests          # one sample per selected node
//!     - name: app_queue_depth
//!       path: $.queues[*]         # [*] and .* iterate
//!       value: "@.depth"          # relative to each selected node (default "@")
//!       labels: { queue: "@.name", source: static-text }
//! ```
//! Booleans are 1/0, numeric strings are parsed, other values are skipped.

mod path;

use scrapelet_plugin_sdk::{Config, Exporter, Exposition, Target, export_exporter, host};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Path (and query) on the target; default `/`.
    #[serde(default = "default_path")]
    path: String,
    metrics: Vec<MetricRule>,
}

fn default_path() -> String {
    "/".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricRule {
    name: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default = "default_type", rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
}

fn default_type() -> String {
    "gauge".into()
}

struct JsonExporter {
    settings: Settings,
}

impl Exporter for JsonExporter {
    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.deserialize()?;
        for m in &settings.metrics {
            path::parse(&m.path).map_err(|e| format!("metric {}: {e}", m.name))?;
        }
        Ok(JsonExporter { settings })
    }

    fn collect(&mut self, _target: &Target, out: &mut Exposition) -> Result<(), String> {
        let response = host::get(&self.settings.path)?;
        let doc: Value = serde_json::from_slice(&response.body).map_err(|e| format!("response is not JSON: {e}"))?;
        for rule in &self.settings.metrics {
            write_metric(rule, &doc, out)?;
        }
        Ok(())
    }
}

fn write_metric(rule: &MetricRule, doc: &Value, out: &mut Exposition) -> Result<(), String> {
    if let Some(help) = &rule.help {
        out.help(&rule.name, help);
    }
    out.type_(&rule.name, &rule.kind);
    for (key, node) in path::select(doc, &path::parse(&rule.path)?) {
        let value_node = match &rule.value {
            Some(p) => path::lookup(doc, node, key.as_deref(), p)?.map(|(_, v)| v),
            None => Some(node.clone()),
        };
        let Some(value) = value_node.as_ref().and_then(number) else { continue };
        let mut labels = Vec::with_capacity(rule.labels.len());
        for (name, template) in &rule.labels {
            labels.push((name.clone(), label_value(doc, node, key.as_deref(), template)?));
        }
        out.sample(&rule.name, &labels, value);
    }
    Ok(())
}

/// A label template: a path (`$...` absolute, `@...` relative, `@key` the selected key) or text.
fn label_value(doc: &Value, node: &Value, key: Option<&str>, template: &str) -> Result<String, String> {
    if !(template.starts_with('$') || template.starts_with('@')) {
        return Ok(template.to_string());
    }
    Ok(match path::lookup(doc, node, key, template)? {
        Some((_, Value::String(s))) => s,
        Some((_, Value::Null)) | None => String::new(),
        Some((_, v)) => v.to_string(),
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

export_exporter!(JsonExporter);
