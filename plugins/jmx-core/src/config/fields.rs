//! Typed reads of config keys with the casts `JmxCollector.loadConfig` makes (`(Boolean)`,
//! `(String)`, `String.valueOf`), each failure named by its place in the file.

use serde_json::Value;

/// `(Boolean) value`; YAML 1.1 spellings (SnakeYAML's resolver) accepted.
pub fn boolean(v: &Value, place: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.as_str() {
            "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => Ok(true),
            "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => Ok(false),
            _ => Err(format!("{place}: expected a boolean, got {v}")),
        },
        _ => Err(format!("{place}: expected a boolean, got {v}")),
    }
}

/// `(String) value`.
pub fn string(v: &Value, place: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("{place}: expected a string, got {v}")),
    }
}

/// `String.valueOf(value)` / string concatenation of a scalar (`null` becomes "null").
pub fn scalar_text(v: &Value, place: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok("null".into()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(number_text(n)),
        _ => Err(format!("{place}: expected a scalar, got {v}")),
    }
}

/// A YAML number as Java prints the boxed `Integer`/`Long`/`Double`.
fn number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) => crate::rules::names::java_double(f),
        _ => n.to_string(),
    }
}

/// A list of strings (`includeObjectNames`, ...).
pub fn string_list(v: &Value, place: &str) -> Result<Vec<String>, String> {
    let Value::Array(items) = v else {
        return Err(format!("{place}: expected a list, got {v}"));
    };
    items.iter().enumerate().map(|(i, item)| string(item, &format!("{place}[{i}]"))).collect()
}

/// A non-negative integer (`startDelaySeconds`), or at least `min`.
pub fn integer_at_least(v: &Value, min: i64, place: &str) -> Result<i64, String> {
    match v.as_i64() {
        Some(i) if i >= min => Ok(i),
        _ => Err(format!("{place}: expected an integer >= {min}, got {v}")),
    }
}
