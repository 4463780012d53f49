//! One entry of `rules:`, read as `JmxCollector.loadConfig` reads it (jmx_exporter 1.x,
//! `collector/src/main/java/io/prometheus/jmx/JmxCollector.java`): pattern wrapped as
//! `^.*(?:pattern).*$`, `value` kept as text (`String.valueOf`), `UNTYPED` read as `UNKNOWN`,
//! labels sorted by name (a `TreeMap`), and the same validation.

use super::fields;
use crate::rules::names::java_parse_double;
use crate::rules::pattern::Pattern;
use serde_json::Value;

/// A rule ready to match.
#[derive(Debug)]
pub struct Rule {
    pub pattern: Option<Pattern>,
    pub name: Option<String>,
    /// The `value:` replacement; `value:` with no value is the text "null" (never a number).
    pub value: Option<String>,
    pub value_factor: f64,
    pub help: Option<String>,
    pub attr_name_snake_case: bool,
    /// `cache: true` makes the rule see the value as `<cache>` (its match cannot depend on it).
    pub cache: bool,
    /// `COUNTER`, `GAUGE`, `UNKNOWN` (the default, and what `UNTYPED` means), or any other
    /// text, which prints as `untyped`.
    pub metric_type: String,
    /// `(name, value)` replacements, sorted by name.
    pub labels: Vec<(String, String)>,
}

impl Rule {
    /// The rule used when the config has no `rules` key: default export of everything.
    pub fn default_export() -> Rule {
        Rule {
            pattern: None,
            name: None,
            value: None,
            value_factor: 1.0,
            help: None,
            attr_name_snake_case: false,
            cache: false,
            metric_type: "UNKNOWN".into(),
            labels: Vec::new(),
        }
    }

    /// Reads `rules[index]`, pushing every problem found to `errors`.
    pub fn parse(v: &Value, index: usize, errors: &mut Vec<String>) -> Option<Rule> {
        let place = format!("rules[{index}]");
        let Value::Object(m) = v else {
            errors.push(format!("{place}: expected a mapping, got {v}"));
            return None;
        };
        let before = errors.len();
        let mut rule = Rule::default_export();
        for (key, val) in m {
            let at = format!("{place}.{key}");
            if let Err(e) = rule.set(key, val, &at) {
                errors.push(e);
            }
        }
        if (m.contains_key("labels") || rule.help.is_some()) && rule.name.is_none() {
            errors.push(format!("{place}: must provide name, if help or labels are given"));
        }
        if rule.name.is_some() && !m.contains_key("pattern") {
            errors.push(format!("{place}: must provide pattern, if name is given"));
        }
        (errors.len() == before).then_some(rule)
    }

    fn set(&mut self, key: &str, v: &Value, at: &str) -> Result<(), String> {
        match key {
            "pattern" => {
                let text = fields::scalar_text(v, at)?;
                self.pattern = Some(Pattern::compile(&text).map_err(|e| format!("{at}: {e}"))?);
            }
            "name" => self.name = Some(fields::string(v, at)?),
            "value" => self.value = Some(fields::scalar_text(v, at)?),
            "valueFactor" => self.value_factor = value_factor(v, at)?,
            "attrNameSnakeCase" => self.attr_name_snake_case = fields::boolean(v, at)?,
            "cache" => self.cache = fields::boolean(v, at)?,
            "type" => self.metric_type = metric_type(fields::string(v, at)?),
            "help" => self.help = Some(fields::string(v, at)?),
            "labels" => self.labels = labels(v, at)?,
            _ => {}
        }
        Ok(())
    }
}

fn metric_type(t: String) -> String {
    if t == "UNTYPED" { "UNKNOWN".into() } else { t }
}

/// `Double.valueOf(String.valueOf(valueFactor))`; the newest test-suite expects a non-number
/// to be rejected (`testInvalidValueFactorThrowsException`); an empty `valueFactor:` keeps 1.
fn value_factor(v: &Value, at: &str) -> Result<f64, String> {
    if v.is_null() {
        return Ok(1.0);
    }
    let text = fields::scalar_text(v, at)?;
    java_parse_double(&text).ok_or_else(|| format!("{at}: not a number: {text}"))
}

fn labels(v: &Value, at: &str) -> Result<Vec<(String, String)>, String> {
    let Value::Object(m) = v else {
        return Err(format!("{at}: expected a mapping, got {v}"));
    };
    let mut out = m
        .iter()
        .map(|(k, val)| Ok((k.clone(), fields::string(val, &format!("{at}.{k}"))?)))
        .collect::<Result<Vec<_>, String>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
