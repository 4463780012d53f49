//! Reading and changing a series' label set, as a transform's `rewrite` gets it: `(name, value)`
//! pairs with the metric name under `__name__`.

/// A label set as the host passes it: `(name, value)` pairs, `__name__` included.
pub type Labels = Vec<(String, String)>;

/// The value of label `name` (`None` if the series has no such label).
pub fn label<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The metric name (the `__name__` label; empty if there is none).
pub fn metric_name(labels: &[(String, String)]) -> &str {
    label(labels, "__name__").unwrap_or("")
}

/// A copy of `labels` with label `name` set to `value` (replaced, or added at the end).
pub fn with_label(labels: &[(String, String)], name: &str, value: &str) -> Labels {
    let mut out = labels.to_vec();
    match out.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => *v = value.to_string(),
        None => out.push((name.to_string(), value.to_string())),
    }
    out
}

/// A copy of `labels` without the labels named in `names`.
pub fn without_labels<S: AsRef<str>>(labels: &[(String, String)], names: &[S]) -> Labels {
    labels.iter().filter(|(n, _)| !names.iter().any(|d| d.as_ref() == n)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Labels {
        vec![("__name__".into(), "req_ms".into()), ("path".into(), "/a".into()), ("id".into(), "7".into())]
    }

    #[test]
    fn reads_and_changes_labels() {
        assert_eq!((metric_name(&set()), label(&set(), "path"), label(&set(), "x")), ("req_ms", Some("/a"), None));
        let renamed = with_label(&set(), "__name__", "req_seconds");
        assert_eq!(metric_name(&renamed), "req_seconds");
        assert_eq!(with_label(&set(), "env", "prod").last().unwrap(), &("env".to_string(), "prod".to_string()));
        assert_eq!(without_labels(&set(), &["id", "none"]), set()[..2].to_vec());
        assert_eq!(metric_name(&[]), "");
    }
}
