//! An exporter plugin that fetches a JSON document from the target and maps it to metrics with
//! JSONPath-like selectors, in the spirit of the Prometheus community's json_exporter. Its
//! configuration reference and examples are in the repository's README ("The bundled JSON
//! exporter"); `examples/` holds a document, a configuration and the exposition they give.
//!
//! Per rule: `path` selects nodes (`$.a.b`, `[n]`, `['key']`, `[*]` and `.*` iterate); `value`
//! (default `@`, the node) is a path from the node (`@...`) or the document (`$...`), or a number;
//! `labels` are paths, `@key` (the key or index the node was found under), or constant text.
//! Booleans are 1/0, numeric strings are parsed, other values (and missing ones) are skipped.

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
        for (i, m) in settings.metrics.iter().enumerate() {
            let at = format!("metrics[{i}] ({})", m.name);
            path::parse(&m.path).map_err(|e| format!("{at}.path: {e}"))?;
            match m.value.as_deref() {
                Some(v) if v.starts_with(['$', '@']) && v != "@key" => {
                    path::parse(v).map_err(|e| format!("{at}.value: {e}"))?;
                }
                Some(v) if !v.starts_with('@') && v.trim().parse::<f64>().is_err() => {
                    return Err(format!("{at}.value: {v:?} is neither a path ($... or @...) nor a number"));
                }
                _ => {}
            }
            for (label, template) in &m.labels {
                if template.starts_with(['$', '@']) && template != "@key" {
                    path::parse(template).map_err(|e| format!("{at}.labels.{label}: {e}"))?;
                }
            }
            if !["gauge", "counter", "untyped"].contains(&m.kind.as_str()) {
                return Err(format!("{at}.type: {:?} is not gauge, counter or untyped", m.kind));
            }
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
        let value_node = match rule.value.as_deref() {
            Some(p) if p.starts_with(['$', '@']) => path::lookup(doc, node, key.as_deref(), p)?.map(|(_, v)| v),
            Some(constant) => Some(Value::String(constant.to_string())),
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
