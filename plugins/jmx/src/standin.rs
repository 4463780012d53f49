//! STAND-IN for `jmx_core::config::JmxConfig` and `jmx_core::rules::Collector`, which are written
//! on the `rules` branch. Same names and signatures as that branch's API, so integrating is
//! deleting this file and importing the real ones in `lib.rs`/`settings.rs`. It reads only the
//! include/exclude object names and records nothing: the plugin's rule output is empty until then.

pub mod config {
    use serde_json::Value;

    #[derive(Debug, Default)]
    pub struct JmxConfig {
        pub include_object_names: Vec<String>,
        pub exclude_object_names: Vec<String>,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub struct ConfigError(pub Vec<String>);

    impl std::fmt::Display for ConfigError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0.join("\n"))
        }
    }

    impl JmxConfig {
        pub fn from_yaml(text: &str) -> Result<JmxConfig, ConfigError> {
            let docs =
                yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| ConfigError(vec![format!("yaml: {e}")]))?;
            JmxConfig::from_json(&docs.first().map_or(Value::Null, to_json))
        }

        pub fn from_json(v: &Value) -> Result<JmxConfig, ConfigError> {
            let list = |keys: [&str; 2]| -> Vec<String> {
                keys.iter()
                    .filter_map(|k| v.get(*k)?.as_array())
                    .flatten()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            };
            Ok(JmxConfig {
                include_object_names: list(["includeObjectNames", "whitelistObjectNames"]),
                exclude_object_names: list(["excludeObjectNames", "blacklistObjectNames"]),
            })
        }

        pub fn includes_object_name(&self, _object_name: &str) -> bool {
            true
        }

        pub fn includes_attribute(&self, _object_name: &str, _attribute: &str) -> bool {
            true
        }
    }

    fn to_json(y: &yaml_rust2::Yaml) -> Value {
        use yaml_rust2::Yaml;
        match y {
            Yaml::String(s) | Yaml::Real(s) => Value::String(s.clone()),
            Yaml::Integer(i) => (*i).into(),
            Yaml::Boolean(b) => (*b).into(),
            Yaml::Array(a) => a.iter().map(to_json).collect(),
            Yaml::Hash(h) => h.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v)))).collect(),
            _ => Value::Null,
        }
    }
}

pub mod rules {
    use super::config::JmxConfig;
    use jmx_core::{BeanAttr, Receiver};

    pub struct Collector<'c> {
        _config: &'c JmxConfig,
    }

    impl<'c> Collector<'c> {
        pub fn new(config: &'c JmxConfig) -> Collector<'c> {
            Collector { _config: config }
        }

        pub fn finish(self) -> String {
            String::new()
        }
    }

    impl Receiver for Collector<'_> {
        fn record_bean(&mut self, _attr: &BeanAttr<'_>) {}
    }
}
