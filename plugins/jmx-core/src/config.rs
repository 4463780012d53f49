//! The JMX exporter's YAML config (`JmxConfig`), from the user's file or from the same keys as
//! JSON (the agent hands plugin config as JSON). Keys and validation follow
//! `JmxCollector.loadConfig` and `ObjectNameAttributeFilter` of jmx_exporter 1.x; keys that only
//! matter to the javaagent (`hostPort`, `jmxUrl`, `ssl`, `username`, `httpServer`, ...) are
//! accepted and ignored, as Java ignores any key it does not read. Every error is collected,
//! each with its place (`rules[2].pattern: ...`). No I/O.

mod customizer;
mod fields;
mod rule;
mod yaml;

pub use customizer::{ExtraMetric, MetricCustomizer};
pub use rule::Rule;

use crate::object_name::ObjectName;
use serde_json::Value;

/// The object names `excludeJvmMetrics: true` leaves out (`JmxScraper.JVM_EXCLUDE_OBJECT_NAMES`).
const JVM_DOMAINS: [&str; 11] = [
    "com.sun.management:*",
    "com.sun.management.jmxremote:*",
    "java.lang:*",
    "java.nio:*",
    "java.util.logging:*",
    "javax.management:*",
    "javax.management.remote:*",
    "jdk.internal:*",
    "jdk.management:*",
    "jdk.management.jfr:*",
    "sun.management:*",
];

/// A parsed, validated JMX exporter config.
#[derive(Debug)]
pub struct JmxConfig {
    /// `includeObjectNames` (or the older `whitelistObjectNames`). Without either key every
    /// MBean is read; a key with an empty list reads none (Java queries each include).
    pub include_object_names: Vec<String>,
    /// `excludeObjectNames` (or `blacklistObjectNames`).
    pub exclude_object_names: Vec<String>,
    /// `excludeJvmMetrics`: the JVM's own domains are left out, except MBeans an include names
    /// (`JmxScraper.doScrape`).
    pub exclude_jvm_metrics: bool,
    /// `includeObjectNameAttributes`: object name -> the only attributes to read.
    pub include_object_name_attributes: Vec<(String, Vec<String>)>,
    /// `excludeObjectNameAttributes`: object name -> attributes never read.
    pub exclude_object_name_attributes: Vec<(String, Vec<String>)>,
    pub lowercase_output_name: bool,
    pub lowercase_output_label_names: bool,
    /// `inferCounterTypeFromName`: names ending in `_total` become counters (1.4+).
    pub infer_counter_type_from_name: bool,
    pub rules: Vec<Rule>,
    /// `metricCustomizers` (beta): see [`JmxConfig::metric_customizer`].
    pub metric_customizers: Vec<MetricCustomizer>,
    include_all: bool,
    includes: Vec<ObjectName>,
    excludes: Vec<ObjectName>,
    jvm_domains: Vec<ObjectName>,
    attr_includes: Vec<(ObjectName, Vec<String>)>,
    attr_excludes: Vec<(ObjectName, Vec<String>)>,
}

/// Every problem found in a config, one line each.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub Vec<String>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

impl JmxConfig {
    /// Parses the user's YAML file (`tomcat.yml`).
    pub fn from_yaml(text: &str) -> Result<JmxConfig, ConfigError> {
        let v = yaml::to_json(text).map_err(|e| ConfigError(vec![format!("yaml: {e}")]))?;
        JmxConfig::from_json(&v)
    }

    /// Parses the same keys given as JSON; `null` is an empty config.
    pub fn from_json(v: &Value) -> Result<JmxConfig, ConfigError> {
        let empty = serde_json::Map::new();
        let m = match v {
            Value::Object(m) => m,
            Value::Null => &empty,
            _ => return Err(ConfigError(vec![format!("config: expected a mapping, got {v}")])),
        };
        let mut errors = Vec::new();
        let config = build(m, &mut errors);
        if errors.is_empty() { Ok(config) } else { Err(ConfigError(errors)) }
    }

    /// Whether every MBean is read (no `includeObjectNames`/`whitelistObjectNames` key).
    pub fn reads_all(&self) -> bool {
        self.include_all
    }

    /// Whether this MBean is read: matched by an include pattern (or there are none), by no
    /// exclude pattern, and, with `excludeJvmMetrics`, not in a JVM domain unless an include
    /// names it (`JmxScraper.doScrape`).
    pub fn includes_object_name(&self, object_name: &str) -> bool {
        let Ok(name) = ObjectName::parse(object_name) else {
            return false;
        };
        let explicit = self.includes.iter().any(|p| p.apply(&name));
        let jvm = self.exclude_jvm_metrics && self.jvm_domains.iter().any(|p| p.apply(&name));
        (self.include_all || explicit) && !self.excludes.iter().any(|p| p.apply(&name)) && (!jvm || explicit)
    }

    /// The customizer for a bean (the first whose filter matches), as `JmxScraper` picks it.
    pub fn metric_customizer(&self, domain: &str, props: &[(String, String)]) -> Option<&MetricCustomizer> {
        self.metric_customizers.iter().find(|c| c.applies_to(domain, props))
    }

    /// Whether the walker should read this attribute (`ObjectNameAttributeFilter`): names are
    /// compared as `ObjectName.equals` does (canonical, key order ignored), not as patterns.
    pub fn includes_attribute(&self, object_name: &str, attribute: &str) -> bool {
        let Ok(name) = ObjectName::parse(object_name) else {
            return false;
        };
        let listed = |list: &[(ObjectName, Vec<String>)]| {
            list.iter().any(|(n, attrs)| *n == name && attrs.iter().any(|a| a == attribute))
        };
        if listed(&self.attr_excludes) {
            return false;
        }
        self.attr_includes.is_empty() || listed(&self.attr_includes)
    }
}

fn build(m: &serde_json::Map<String, Value>, errors: &mut Vec<String>) -> JmxConfig {
    let flag = |key: &str, errors: &mut Vec<String>| {
        m.get(key).is_some_and(|v| fields::boolean(v, key).unwrap_or_else(|e| push(errors, e)))
    };
    let mut c = JmxConfig {
        include_object_names: names(m, "includeObjectNames", "whitelistObjectNames", errors),
        exclude_object_names: names(m, "excludeObjectNames", "blacklistObjectNames", errors),
        exclude_jvm_metrics: flag("excludeJvmMetrics", errors),
        include_object_name_attributes: attr_map(m, "includeObjectNameAttributes", errors),
        exclude_object_name_attributes: attr_map(m, "excludeObjectNameAttributes", errors),
        lowercase_output_name: flag("lowercaseOutputName", errors),
        lowercase_output_label_names: flag("lowercaseOutputLabelNames", errors),
        infer_counter_type_from_name: flag("inferCounterTypeFromName", errors),
        rules: rules(m.get("rules"), errors),
        metric_customizers: m
            .get("metricCustomizers")
            .map_or_else(Vec::new, |v| MetricCustomizer::parse_all(v, errors)),
        include_all: !m.contains_key("includeObjectNames") && !m.contains_key("whitelistObjectNames"),
        includes: Vec::new(),
        excludes: Vec::new(),
        jvm_domains: JVM_DOMAINS.iter().filter_map(|d| ObjectName::parse(d).ok()).collect(),
        attr_includes: Vec::new(),
        attr_excludes: Vec::new(),
    };
    javaagent_checks(m, errors);
    c.includes = parse_names(&c.include_object_names, "includeObjectNames", errors);
    c.excludes = parse_names(&c.exclude_object_names, "excludeObjectNames", errors);
    c.attr_includes = parse_attr_names(&c.include_object_name_attributes, "includeObjectNameAttributes", errors);
    c.attr_excludes = parse_attr_names(&c.exclude_object_name_attributes, "excludeObjectNameAttributes", errors);
    c
}

fn push<T: Default>(errors: &mut Vec<String>, e: String) -> T {
    errors.push(e);
    T::default()
}

/// The checks Java makes on keys this crate otherwise ignores.
fn javaagent_checks(m: &serde_json::Map<String, Value>, errors: &mut Vec<String>) {
    if m.contains_key("hostPort") && m.contains_key("jmxUrl") {
        errors.push("hostPort: at most one of hostPort and jmxUrl must be provided".into());
    }
    for (key, min) in [("startDelaySeconds", 0), ("scrapeTimeoutSeconds", 1)] {
        if let Some(Err(e)) = m.get(key).map(|v| fields::integer_at_least(v, min, key)) {
            errors.push(e);
        }
    }
}

/// The new key wins over the old one, as in `loadConfig`.
fn names(m: &serde_json::Map<String, Value>, key: &str, old: &str, errors: &mut Vec<String>) -> Vec<String> {
    let (k, v) = match (m.get(key), m.get(old)) {
        (Some(v), _) => (key, v),
        (None, Some(v)) => (old, v),
        (None, None) => return Vec::new(),
    };
    fields::string_list(v, k).unwrap_or_else(|e| push(errors, e))
}

fn attr_map(m: &serde_json::Map<String, Value>, key: &str, errors: &mut Vec<String>) -> Vec<(String, Vec<String>)> {
    match m.get(key) {
        None => Vec::new(),
        Some(Value::Object(o)) => o
            .iter()
            .filter_map(|(name, attrs)| match fields::string_list(attrs, &format!("{key}.{name}")) {
                Ok(a) => Some((name.clone(), a)),
                Err(e) => push::<Option<_>>(errors, e),
            })
            .collect(),
        Some(v) => push(errors, format!("{key}: expected a mapping, got {v}")),
    }
}

fn rules(v: Option<&Value>, errors: &mut Vec<String>) -> Vec<Rule> {
    match v {
        None => vec![Rule::default_export()],
        Some(Value::Array(items)) => items.iter().enumerate().filter_map(|(i, r)| Rule::parse(r, i, errors)).collect(),
        Some(v) => push(errors, format!("rules: expected a list, got {v}")),
    }
}

fn parse_names(names: &[String], key: &str, errors: &mut Vec<String>) -> Vec<ObjectName> {
    let parse =
        |(i, n): (usize, &String)| ObjectName::parse(n).map_err(|e| errors.push(format!("{key}[{i}]: {e}"))).ok();
    names.iter().enumerate().filter_map(parse).collect()
}

fn parse_attr_names(
    list: &[(String, Vec<String>)],
    key: &str,
    errors: &mut Vec<String>,
) -> Vec<(ObjectName, Vec<String>)> {
    let parse = |(n, attrs): &(String, Vec<String>)| match ObjectName::parse(n) {
        Ok(o) => Some((o, attrs.clone())),
        Err(e) => push::<Option<_>>(errors, format!("{key}.{n}: {e}")),
    };
    list.iter().filter_map(parse).collect()
}
