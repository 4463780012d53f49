//! A JSONPath subset: `$` (document), `@` (selected node), `.key`, `['key']`, `[n]`, `[*]`, `.*`;
//! `@key` is the key (or index) under which the selected node was found.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
    All,
}

/// Parses `$.a.b[0][*]` (or `@...`) into steps after the root.
pub fn parse(path: &str) -> Result<Vec<Step>, String> {
    let rest =
        path.strip_prefix('$').or_else(|| path.strip_prefix('@')).ok_or(format!("{path:?}: must start with $ or @"))?;
    let mut steps = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        if let Some(r) = s.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            if key.is_empty() {
                return Err(format!("{path:?}: empty key"));
            }
            steps.push(if key == "*" { Step::All } else { Step::Key(key.to_string()) });
            s = &r[end..];
        } else if let Some(r) = s.strip_prefix('[') {
            let end = r.find(']').ok_or(format!("{path:?}: unclosed ["))?;
            let inner = r[..end].trim();
            steps.push(bracket(inner).ok_or(format!("{path:?}: bad selector [{inner}]"))?);
            s = &r[end + 1..];
        } else {
            return Err(format!("{path:?}: expected . or [ at {s:?}"));
        }
    }
    Ok(steps)
}

fn bracket(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::All);
    }
    if let Some(q) = inner.strip_prefix('\'').and_then(|q| q.strip_suffix('\'')) {
        return Some(Step::Key(q.to_string()));
    }
    if let Some(q) = inner.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        return Some(Step::Key(q.to_string()));
    }
    inner.parse().ok().map(Step::Index)
}

/// Every node the steps select, with the key or index it was found under.
pub fn select<'v>(root: &'v Value, steps: &[Step]) -> Vec<(Option<String>, &'v Value)> {
    let mut current = vec![(None, root)];
    for step in steps {
        let mut next = Vec::new();
        for (_, v) in current {
            match (step, v) {
                (Step::Key(k), Value::Object(m)) => next.extend(m.get(k).map(|x| (Some(k.clone()), x))),
                (Step::Index(i), Value::Array(a)) => next.extend(a.get(*i).map(|x| (Some(i.to_string()), x))),
                (Step::All, Value::Array(a)) => {
                    next.extend(a.iter().enumerate().map(|(i, x)| (Some(i.to_string()), x)))
                }
                (Step::All, Value::Object(m)) => next.extend(m.iter().map(|(k, x)| (Some(k.clone()), x))),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// One value for a label or value template: the first node `path` selects from `doc` (`$`) or
/// from `node` (`@`); `@key` gives `key` as a string.
pub fn lookup(
    doc: &Value,
    node: &Value,
    key: Option<&str>,
    path: &str,
) -> Result<Option<(Option<String>, Value)>, String> {
    if path == "@key" {
        return Ok(key.map(|k| (None, Value::String(k.to_string()))));
    }
    let root = if path.starts_with('$') { doc } else { node };
    Ok(select(root, &parse(path)?).into_iter().next().map(|(k, v)| (k, v.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_wildcards_and_keys() {
        let doc: Value = serde_json::json!({"q": [{"n": "a", "d": 1}, {"n": "b", "d": 2}], "m": {"x": 1, "y": 2}});
        let got: Vec<_> = select(&doc, &parse("$.q[*].d").unwrap()).into_iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(got, vec![serde_json::json!(1), serde_json::json!(2)]);
        let keys: Vec<_> = select(&doc, &parse("$.m.*").unwrap()).into_iter().map(|(k, _)| k.unwrap()).collect();
        assert_eq!(keys, vec!["x", "y"]);
        assert_eq!(select(&doc, &parse("$['q'][1].n").unwrap())[0].1, "b");
        assert!(parse("q.d").is_err());
    }
}
