//! The plugin's `config:`: the JMX exporter's own YAML keys at top level (the default rules set),
//! plus three keys of the plugin's own:
//!
//! ```yaml
//! config:
//!   lowercaseOutputName: true          # any JMX exporter key: the default rules set
//!   rules: [...]
//!   jolokia:                           # optional
//!     path: /jolokia                   # per target: label __param_jolokia_path
//!   jvm_metrics: true                  # client_java's JVM metrics, as the javaagent exports
//!   rules_sets:                        # per target: label __param_rules
//!     tomcat: tomcat.yml               # a file in the plugin's data dir (/data)
//!     inline: {rules: [...]}           # or the JMX exporter keys inline
//! ```
//! Credentials are not the plugin's: the scrape job's own `basic_auth` (or `authorization`) is
//! attached by the agent to the plugin's requests, and the plugin never sees the secret.
//! Never does I/O at `init` except through [`Settings::rules_set`] at collect time.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::Deserialize;
use serde_json::{Map, Value};

use jmx_core::config::JmxConfig;
use jmx_core::jolokia::fnv;

/// Where the operator's read-only data directory is mounted in the sandbox.
const DATA_DIR: &str = "/data";

/// The plugin's own top-level keys; all others belong to the JMX exporter config.
const OWN_KEYS: [&str; 3] = ["jolokia", "jvm_metrics", "rules_sets"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jolokia {
    /// Path of the Jolokia agent on the target (the bulk requests are POSTed there).
    #[serde(default = "default_path")]
    pub path: String,
    /// Rejected with a pointer to the job's `basic_auth`: the sandbox never lets a plugin send
    /// credentials of its own.
    username: Option<Value>,
    password: Option<Value>,
}

impl Default for Jolokia {
    fn default() -> Self {
        Jolokia { path: default_path(), username: None, password: None }
    }
}

fn default_path() -> String {
    "/jolokia".into()
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Own {
    #[serde(default)]
    jolokia: Jolokia,
    #[serde(default = "default_true")]
    jvm_metrics: bool,
    #[serde(default)]
    rules_sets: BTreeMap<String, Value>,
}

/// A rules set ready to scrape with, and what identifies its text (a stored state made with other
/// rules is not reused).
#[derive(Debug)]
pub struct Rules {
    pub config: JmxConfig,
    pub id: u64,
}

/// A named rules set: a file in the data dir, or the keys inline.
#[derive(Debug)]
enum RulesSource {
    File(String),
    Inline(Value),
}

#[derive(Debug)]
pub struct Settings {
    pub jolokia: Jolokia,
    pub jvm_metrics: bool,
    /// The top-level JMX exporter keys.
    pub default_rules: Rules,
    rules_sets: BTreeMap<String, RulesSource>,
}

impl Settings {
    pub fn parse(config: &Value) -> Result<Settings, String> {
        let empty = Map::new();
        let all = match config {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => return Err(format!("plugin config must be a mapping, got {other}")),
        };
        let (own, rules): (Map<_, _>, Map<_, _>) =
            all.clone().into_iter().partition(|(k, _)| OWN_KEYS.contains(&k.as_str()));
        let own: Own = serde_json::from_value(Value::Object(own)).map_err(|e| format!("invalid plugin config: {e}"))?;
        if own.jolokia.username.is_some() || own.jolokia.password.is_some() {
            return Err("jolokia.username/password: set basic_auth (username, password or password_file) on the \
                        scrape job instead; the agent attaches it to the plugin's requests to Jolokia"
                .into());
        }
        let rules = Value::Object(rules);
        let default_rules = Rules {
            config: JmxConfig::from_json(&rules).map_err(|e| format!("rules: {e}"))?,
            id: fnv(rules.to_string().as_bytes()),
        };
        let mut errors = Vec::new();
        let mut rules_sets = BTreeMap::new();
        for (name, v) in own.rules_sets {
            match source(&name, v) {
                Ok(s) => drop(rules_sets.insert(name, s)),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(Settings { jolokia: own.jolokia, jvm_metrics: own.jvm_metrics, default_rules, rules_sets })
    }

    /// The rules set a target's `__param_rules` names, read and parsed now.
    pub fn rules_set(&self, name: &str) -> Result<Rules, String> {
        let source = self.rules_sets.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.rules_sets.keys().map(String::as_str).collect();
            let known = if known.is_empty() { "none configured".to_string() } else { known.join(", ") };
            format!("unknown rules set {name:?} (__param_rules); known rules sets: {known}")
        })?;
        match source {
            RulesSource::Inline(v) => {
                let config = JmxConfig::from_json(v).map_err(|e| format!("rules set {name:?}: {e}"))?;
                Ok(Rules { config, id: fnv(format!("{name}\0{v}").as_bytes()) })
            }
            RulesSource::File(f) => {
                let path = Path::new(DATA_DIR).join(f);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("rules set {name:?}: reading {}: {e}", path.display()))?;
                let config =
                    JmxConfig::from_yaml(&text).map_err(|e| format!("rules set {name:?} ({}): {e}", path.display()))?;
                Ok(Rules { config, id: fnv(format!("{name}\0{text}").as_bytes()) })
            }
        }
    }
}

fn source(name: &str, v: Value) -> Result<RulesSource, String> {
    match v {
        Value::String(f) if is_plain_relative(&f) => Ok(RulesSource::File(f)),
        Value::String(f) => Err(format!("rules_sets.{name}: {f:?} must be a file name inside {DATA_DIR}")),
        Value::Object(_) => {
            JmxConfig::from_json(&v).map_err(|e| format!("rules_sets.{name}: {e}"))?;
            Ok(RulesSource::Inline(v))
        }
        other => Err(format!("rules_sets.{name}: expected a file name or a mapping, got {other}")),
    }
}

fn is_plain_relative(f: &str) -> bool {
    let p = Path::new(f);
    !f.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_own_keys_from_the_jmx_exporter_keys() {
        let s = Settings::parse(&json!({
            "includeObjectNames": ["Catalina:*"],
            "jolokia": {"path": "/j"},
            "jvm_metrics": false,
            "rules_sets": {"tomcat": "tomcat.yml", "inline": {"excludeObjectNames": ["x:*"]}},
        }))
        .unwrap();
        assert_eq!(s.default_rules.config.include_object_names, ["Catalina:*"]);
        assert_eq!((s.jolokia.path.as_str(), s.jvm_metrics), ("/j", false));
        assert_eq!(s.rules_set("inline").unwrap().config.exclude_object_names, ["x:*"]);
        assert_ne!(s.rules_set("inline").unwrap().id, s.default_rules.id);
    }

    #[test]
    fn defaults_without_config() {
        let s = Settings::parse(&Value::Null).unwrap();
        assert_eq!((s.jolokia.path.as_str(), s.jvm_metrics), ("/jolokia", true));
    }

    #[test]
    fn unknown_rules_set_lists_the_known_names() {
        let s = Settings::parse(&json!({"rules_sets": {"a": "a.yml", "b": {}}})).unwrap();
        let err = s.rules_set("c").unwrap_err();
        assert!(err.contains("\"c\"") && err.contains("known rules sets: a, b"), "{err}");
    }

    #[test]
    fn rejects_paths_out_of_the_data_dir_and_unknown_own_keys() {
        assert!(Settings::parse(&json!({"rules_sets": {"a": "../etc/passwd"}})).is_err());
        assert!(Settings::parse(&json!({"rules_sets": {"a": "/etc/x.yml"}})).is_err());
        assert!(Settings::parse(&json!({"jolokia": {"pth": "/x"}})).is_err());
        let creds = Settings::parse(&json!({"jolokia": {"username": "u", "password": "p"}})).unwrap_err();
        assert!(creds.contains("basic_auth"), "{creds}");
        assert!(Settings::parse(&json!({"rules_sets": {"a": 3}})).is_err());
    }
}
