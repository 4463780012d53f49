//! The user's YAML file as a `serde_json::Value`, so YAML and the agent's JSON plugin config
//! go through one parser. YAML 1.1 booleans (`yes`, `off`, ...) that SnakeYAML reads but
//! yaml-rust2 leaves as strings are accepted where a boolean is expected (`config::fields`).

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The first document of `text`, or `Null` for an empty file (as `new Yaml().load` gives).
pub fn to_json(text: &str) -> Result<Value, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    docs.first().map_or(Ok(Value::Null), convert)
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
