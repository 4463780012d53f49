//! Field and label selectors over Pod JSON, parsed from the `fieldSelector` / `labelSelector`
//! query parameters with the API server's grammar, plus the namespace taken from the path.
//!
//! Entry type: [`Filter`]. Unknown field names are an error (as the real server's 400), never
//! silently "match everything".

use serde_json::Value;

/// Field names the real API server accepts in a Pod `fieldSelector`.
const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];

/// Everything that decides whether a watcher or a list sees a pod.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub namespace: Option<String>,
    pub fields: Vec<FieldTerm>,
    pub labels: Vec<LabelTerm>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    pub equal: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelTerm {
    Eq(String, String),
    NotEq(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Filter {
    /// Parses the selectors; the error is the message of a 400 BadRequest.
    pub fn parse(namespace: Option<&str>, fields: Option<&str>, labels: Option<&str>) -> Result<Filter, String> {
        Ok(Filter {
            namespace: namespace.map(str::to_string),
            fields: parse_fields(fields.unwrap_or(""))?,
            labels: parse_labels(labels.unwrap_or(""))?,
        })
    }

    pub fn matches(&self, pod: &Value) -> bool {
        let ns_ok = self.namespace.as_deref().is_none_or(|ns| field_value(pod, "metadata.namespace") == ns);
        ns_ok && self.fields.iter().all(|t| t.matches(pod)) && self.labels.iter().all(|t| t.matches(pod))
    }
}

impl FieldTerm {
    fn matches(&self, pod: &Value) -> bool {
        (field_value(pod, &self.field) == self.value) == self.equal
    }
}

/// The string a field selector compares against: missing fields read as "" (an unscheduled
/// pod has `spec.nodeName=""`), booleans as "true"/"false".
fn field_value(pod: &Value, field: &str) -> String {
    let v = field.split('.').try_fold(pod, |v, k| v.get(k));
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        None | Some(Value::Null) if field == "spec.hostNetwork" => "false".into(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    }
}

fn parse_fields(s: &str) -> Result<Vec<FieldTerm>, String> {
    let mut terms = Vec::new();
    for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (field, value, equal) = if let Some((f, v)) = term.split_once("!=") {
            (f, v, false)
        } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            (f, v, true)
        } else {
            return Err(format!("invalid selector: '{s}'; can't understand '{term}'"));
        };
        let field = field.trim();
        if !POD_FIELDS.contains(&field) {
            return Err(format!("field label not supported: {field}"));
        }
        terms.push(FieldTerm { field: field.into(), value: value.trim().into(), equal });
    }
    Ok(terms)
}

impl LabelTerm {
    fn matches(&self, pod: &Value) -> bool {
        let label = |k: &str| pod.pointer("/metadata/labels").and_then(|l| l.get(k)).and_then(Value::as_str);
        match self {
            LabelTerm::Eq(k, v) => label(k) == Some(v.as_str()),
            LabelTerm::NotEq(k, v) => label(k) != Some(v.as_str()),
            LabelTerm::Exists(k) => label(k).is_some(),
            LabelTerm::NotExists(k) => label(k).is_none(),
            LabelTerm::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelTerm::NotIn(k, vs) => label(k).is_none_or(|l| vs.iter().all(|v| v != l)),
        }
    }
}

fn parse_labels(s: &str) -> Result<Vec<LabelTerm>, String> {
    split_outside_parens(s).into_iter().map(str::trim).filter(|t| !t.is_empty()).map(parse_label_term).collect()
}

fn split_outside_parens(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_label_term(t: &str) -> Result<LabelTerm, String> {
    let bad = || format!("unable to parse requirement: '{t}'");
    if let Some(k) = t.strip_prefix('!') {
        return Ok(LabelTerm::NotExists(k.trim().into()));
    }
    if let Some((k, v)) = t.split_once("!=") {
        return Ok(LabelTerm::NotEq(k.trim().into(), v.trim().into()));
    }
    if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
        return Ok(LabelTerm::Eq(k.trim().into(), v.trim().into()));
    }
    let Some((head, set)) = t.split_once('(') else {
        return if t.contains(char::is_whitespace) { Err(bad()) } else { Ok(LabelTerm::Exists(t.into())) };
    };
    let values: Vec<String> = set
        .strip_suffix(')')
        .ok_or_else(bad)?
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    match head.split_whitespace().collect::<Vec<_>>()[..] {
        [k, "in"] => Ok(LabelTerm::In(k.into(), values)),
        [k, "notin"] => Ok(LabelTerm::NotIn(k.into(), values)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": {"app": "web", "tier": "front"}},
               "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})
    }

    fn sel(fields: &str, labels: &str) -> bool {
        Filter::parse(None, Some(fields), Some(labels)).unwrap().matches(&pod())
    }

    #[test]
    fn field_terms_join_with_and() {
        assert!(sel("spec.nodeName=n1,status.phase=Running", ""));
        assert!(sel("spec.nodeName==n1,metadata.namespace!=kube-system", ""));
        assert!(!sel("spec.nodeName=n1,metadata.name!=a", ""));
        assert!(sel("spec.hostNetwork=false", ""));
    }

    #[test]
    fn unknown_field_is_rejected() {
        assert_eq!(Filter::parse(None, Some("spec.foo=x"), None).unwrap_err(), "field label not supported: spec.foo");
    }

    #[test]
    fn label_set_based_terms() {
        assert!(sel("", "app=web,tier in (front, back),!missing,app"));
        assert!(sel("", "app notin (db),missing notin (x)"));
        assert!(!sel("", "app in (db,cache)"));
        assert!(!sel("", "app!=web"));
        assert!(!sel("", "!app"));
    }
}
