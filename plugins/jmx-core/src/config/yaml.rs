//! The user's YAML file as a `serde_json::Value`, so YAML and the agent's JSON plugin config
//! go through one parser. YAML 1.1 booleans (`yes`, `off`, ...) that SnakeYAML reads but
//! yaml-rust2 leaves as strings are accepted where a boolean is expected (`config::fields`).

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The first document of `text`, or `Null` for an empty file (as `new Yaml().load` gives).
pub fn to_json(text: &str) -> Result<Value, String> {
    let mut text = text.to_owned();
    // SnakeYAML accepts quoted scalars whose continuation lines are under-indented (the JMX
    // exporter's own tests have one); yaml-rust2 does not. Leading blanks of continuation
    // lines are folded away, so indenting them changes nothing but the verdict.
    for _ in 0..64 {
        match YamlLoader::load_from_str(&text) {
            Ok(docs) => return docs.first().map_or(Ok(Value::Null), convert),
            Err(e) if e.info() == "invalid indentation in quoted scalar" => {
                text = indent_scalar(&text, e.marker().index()).ok_or(e.to_string())?;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("too many under-indented quoted scalars".into())
}

/// Indents every continuation line of the quoted scalar starting at char `start`.
fn indent_scalar(text: &str, start: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let quote = *chars.get(start).filter(|c| **c == '\'' || **c == '"')?;
    let pad = " ".repeat(start - chars[..start].iter().rposition(|c| *c == '\n').map_or(0, |i| i + 1) + 1);
    let mut out: String = chars[..=start].iter().collect();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if c == '\\' && quote == '"' && i < chars.len() {
            out.push(chars[i]);
            i += 1;
        } else if c == quote && !(quote == '\'' && chars.get(i) == Some(&'\'')) {
            break;
        } else if c == quote {
            out.push(chars[i]);
            i += 1;
        } else if c == '\n' {
            out.push_str(&pad);
        }
    }
    out.extend(&chars[i..]);
    Some(out)
}

fn convert(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Real(s) => real(s),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(convert).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                m.insert(key(k)?, convert(v)?);
            }
            Value::Object(m)
        }
        Yaml::Null => Value::Null,
        Yaml::Alias(_) | Yaml::BadValue => return Err("unsupported YAML value".into()),
    })
}

fn real(s: &str) -> Value {
    s.parse::<f64>().ok().and_then(Number::from_f64).map_or_else(|| Value::String(s.to_owned()), Value::Number)
}

fn key(k: &Yaml) -> Result<String, String> {
    match k {
        Yaml::String(s) | Yaml::Real(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        Yaml::Null => Ok("null".into()),
        _ => Err("unsupported mapping key".into()),
    }
}
