//! The plugin's configuration: the `config:` YAML of its entry in the agent's configuration,
//! handed to `init` as JSON.

use serde::de::DeserializeOwned;

/// A plugin's configuration. `null` when the agent's configuration gives none.
#[derive(Clone, Debug, Default)]
pub struct Config(pub serde_json::Value);

impl Config {
    /// Parses the JSON text the host passes to `init`.
    pub fn parse(json: &str) -> Result<Config, String> {
        serde_json::from_str(json).map(Config).map_err(|e| format!("plugin config is not JSON: {e}"))
    }

    /// The whole configuration as your own `serde` type (`null` reads as an empty object, so a
    /// type whose fields all have defaults works without a configuration). An error names the
    /// key: `invalid plugin config at metrics[0].path: invalid type: sequence, expected a string`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, String> {
        let value = if self.0.is_null() { serde_json::json!({}) } else { self.0.clone() };
        serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string().as_str() {
            "." => format!("invalid plugin config: {}", e.inner()),
            path => format!("invalid plugin config at {path}: {}", e.inner()),
        })
    }

    /// A top-level string field.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.as_str()
    }

    /// A top-level number field.
    pub fn f64(&self, key: &str) -> Option<f64> {
        self.0.get(key)?.as_f64()
    }

    /// A top-level field as raw JSON.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Mine {
        path: String,
        factor: f64,
    }

    #[test]
    fn null_config_gives_defaults() {
        let c = Config::parse("null").unwrap();
        let m: Mine = c.deserialize().unwrap();
        assert_eq!((m.path.as_str(), m.factor), ("", 0.0));
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Nested {
        metrics: Vec<Metric>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Metric {
        path: String,
    }

    #[test]
    fn errors_name_the_key() {
        let c = Config::parse(r#"{"metrics":[{"path":"$.a"},{"path":["$.b"]}]}"#).unwrap();
        let e = c.deserialize::<Nested>().unwrap_err();
        assert_eq!(e, "invalid plugin config at metrics[1].path: invalid type: sequence, expected a string");
        let e = Config::parse("{}").unwrap().deserialize::<Nested>().unwrap_err();
        assert_eq!(e, "invalid plugin config: missing field `metrics`");
    }

    #[test]
    fn reads_fields() {
        let c = Config::parse(r#"{"path":"/stats","factor":2}"#).unwrap();
        assert_eq!(c.str("path"), Some("/stats"));
        assert_eq!(c.deserialize::<Mine>().unwrap().factor, 2.0);
    }
}
