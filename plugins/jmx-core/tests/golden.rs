//! Golden tests: each directory under `tests/golden/` holds `config.yml` (the user's rules),
//! `beans.json` (flattened MBean attributes, as the Jolokia walker hands them over) and
//! `expected.txt` (the exposition the JMX exporter 1.x prints for them, derived by hand from
//! its source; each case's `README` says from where). A mismatch prints a line diff.

mod common;

use common::{Attr, attr, double, int, text};
use jmx_core::AttrValue;
use serde_json::Value;
use std::path::Path;

#[test]
fn golden_cases_match_the_jmx_exporter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "golden cases missing");
    let failures: Vec<String> = dirs.iter().filter_map(|d| check(d).err()).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check(dir: &Path) -> Result<(), String> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let beans: Value = serde_json::from_str(&read("beans.json")).unwrap();
    let attrs = beans.as_array().unwrap().iter().flat_map(bean_attrs).collect::<Vec<_>>();
    let expected = read("expected.txt");
    let actual = common::scrape(&read("config.yml"), &attrs);
    // The same scrape twice through a MatchCache: the second is decided from the cache.
    let (cached, _) = common::scrape_cached(&read("config.yml"), &attrs, 2);
    for (how, actual) in [("", &actual), (" (cached, 1st)", &cached[0]), (" (cached, 2nd)", &cached[1])] {
        if *actual != expected {
            let d = diff(&expected, actual);
            return Err(format!("--- {}{how} (- expected, + actual)\n{d}", dir.display()));
        }
    }
    Ok(())
}

/// `{"bean": "d:k=v", "keys": [..], "index": [[k, v]..], "attrs": [{name, type, desc, value}]}`
fn bean_attrs(b: &Value) -> Vec<Attr> {
    let strs = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let keys = strs(b.get("keys"));
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let index: Vec<(String, String)> = b
        .get("index")
        .and_then(Value::as_array)
        .map_or(vec![], |a| a.iter().map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into())).collect());
    let index: Vec<(&str, &str)> = index.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let bean = b["bean"].as_str().unwrap();
    let one = |a: &Value| {
        let java_type = a.get("type").and_then(Value::as_str).unwrap_or("long");
        let mut at = attr(bean, a["name"].as_str().unwrap(), value(&a["value"], java_type))
            .keys(&keys)
            .index(&index)
            .description(a.get("desc").and_then(Value::as_str).unwrap_or(""));
        at.java_type = java_type.to_owned();
        at
    };
    b["attrs"].as_array().unwrap().iter().map(one).collect()
}

fn value(v: &Value, java_type: &str) -> AttrValue {
    match v {
        Value::Null => AttrValue::Null,
        Value::Bool(b) => AttrValue::Bool(*b),
        Value::String(s) => text(s),
        Value::Number(n) if java_type == "double" || java_type == "float" => double(n.as_f64().unwrap()),
        Value::Number(n) => int(n.as_i64().unwrap()),
        _ => panic!("unsupported value {v}"),
    }
}

/// A line diff (longest common subsequence), `-` expected only, `+` actual only.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            out += &format!("  {}\n", e[i]);
            (i, j) = (i + 1, j + 1);
        } else if j < a.len() && (i == e.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("+ {}\n", a[j]);
            j += 1;
        } else {
            out += &format!("- {}\n", e[i]);
            i += 1;
        }
    }
    out
}
