//! The shipped Grafana dashboards (`deploy/dashboards/*.json`) read as Grafana reads them: every
//! PromQL expression of every panel (rows and nested rows included) and every template variable,
//! and the substitution Grafana does before it sends a query.
//!
//! Entry: [`dashboards`], then [`substitute`]. Only what the shipped dashboards use is supported:
//! `label_values(...)` variables, the `datasource` variable, `$__rate_interval`, `$__interval`,
//! `$__range`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One dashboard file.
pub struct Dashboard {
    pub file: String,
    pub json: Value,
    pub variables: Vec<Variable>,
    pub queries: Vec<Query>,
}

/// A `query` template variable: `label_values(<selector>, <label>)`.
pub struct Variable {
    pub name: String,
    pub selector: Option<String>,
    pub label: String,
    /// What "All" stands for; `None`: Grafana joins every value into `(a|b|...)`.
    pub all_value: Option<String>,
}

/// One expression and where it is.
pub struct Query {
    pub panel: String,
    pub expr: String,
}

pub fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/dashboards")
}

/// Every `*.json` in `deploy/dashboards/`, sorted by file name.
pub fn dashboards() -> Vec<Dashboard> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dashboards_dir())
        .expect("deploy/dashboards")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files.iter().map(|p| load(p)).collect()
}

fn load(path: &Path) -> Dashboard {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let variables = json["templating"]["list"].as_array().into_iter().flatten().filter_map(variable).collect();
    let mut queries = Vec::new();
    collect(&json["panels"], &mut queries);
    Dashboard { file, json, variables, queries }
}

fn variable(v: &Value) -> Option<Variable> {
    if v["type"] != "query" {
        return None;
    }
    let query = v["query"]["query"].as_str().or(v["query"].as_str()).expect("a variable query");
    let (selector, label) = label_values(query).unwrap_or_else(|| panic!("unsupported variable query {query}"));
    let all_value = v["allValue"].as_str().map(str::to_string);
    Some(Variable { name: v["name"].as_str().unwrap().to_string(), selector, label, all_value })
}

/// `label_values(sel, label)` or `label_values(label)`.
pub fn label_values(query: &str) -> Option<(Option<String>, String)> {
    let inner = query.trim().strip_prefix("label_values(")?.strip_suffix(')')?;
    match inner.rsplit_once(',') {
        Some((selector, label)) => Some((Some(selector.trim().to_string()), label.trim().to_string())),
        None => Some((None, inner.trim().to_string())),
    }
}

/// Every target's `expr` under `panels`, rows' own `panels` included.
fn collect(panels: &Value, out: &mut Vec<Query>) {
    for p in panels.as_array().into_iter().flatten() {
        let title = p["title"].as_str().unwrap_or_default().to_string();
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = t["expr"].as_str() {
                out.push(Query { panel: title.clone(), expr: expr.to_string() });
            }
        }
        collect(&p["panels"], out);
    }
}

/// `expr` with Grafana's built-in intervals and the given variable values substituted (both the
/// `$name` and `${name}` forms; longer names first so `$pod` never eats `$pod_name`).
pub fn substitute(expr: &str, values: &[(String, String)]) -> String {
    let builtins = [("__rate_interval", "1m"), ("__interval", "15s"), ("__range", "5m")];
    let mut all: Vec<(&str, &str)> = builtins.to_vec();
    all.extend(values.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    all.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let mut out = expr.to_string();
    for (name, value) in all {
        out = out.replace(&format!("${{{name}}}"), value).replace(&format!("${name}"), value);
    }
    out
}

/// Grafana's "All" for a variable without `allValue`: every value, regex-escaped, as `(a|b)`.
pub fn all_of(values: &[String]) -> String {
    let escape = |v: &String| {
        v.chars().flat_map(|c| if "\\.+*?()|[]{}^$".contains(c) { vec!['\\', c] } else { vec![c] }).collect::<String>()
    };
    format!("({})", values.iter().map(escape).collect::<Vec<_>>().join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_splits_selector_and_label() {
        let q = r#"label_values(up{job="kubelet", node=~"$node"}, namespace)"#;
        assert_eq!(label_values(q), Some((Some(r#"up{job="kubelet", node=~"$node"}"#.into()), "namespace".into())));
        assert_eq!(label_values("label_values(node)"), Some((None, "node".into())));
        assert_eq!(label_values("query_result(up)"), None);
    }

    #[test]
    fn substitute_replaces_builtins_and_variables_longest_first() {
        let vars = [("pod".to_string(), "(a)".to_string()), ("pod_name".to_string(), "x".to_string())];
        let got = substitute("rate(m{pod=~\"$pod\", p=\"${pod_name}\", q=\"$pod_name\"}[$__rate_interval])", &vars);
        assert_eq!(got, "rate(m{pod=~\"(a)\", p=\"x\", q=\"x\"}[1m])");
    }

    #[test]
    fn all_joins_escaped_values() {
        assert_eq!(all_of(&["kube-system".into(), "a.b".into()]), r"(kube-system|a\.b)");
    }
}
