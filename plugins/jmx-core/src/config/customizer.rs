//! `metricCustomizers` (jmx_exporter 1.x, beta): per-MBean extra metrics and attributes used
//! as labels, read and validated as `JmxCollector.loadConfig` does. The walker applies them
//! (`JmxScraper.scrapeBean`): the first customizer whose filter matches a bean adds its extra
//! metrics as attributes of that bean (type `UNKNOWN`, no attr keys).

use super::fields;
use crate::AttrValue;
use crate::rules::names::java_double;
use serde_json::Value;

/// One `metricCustomizers` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCustomizer {
    /// `mbeanFilter.domain`, compared for equality.
    pub domain: String,
    /// `mbeanFilter.properties`: all must be key properties of the bean (values as written).
    /// A non-string value never matches, as in Java (an `Integer` never equals a `String`).
    pub properties: Vec<(String, Option<String>)>,
    /// Attribute names whose values become labels: the walker passes them to
    /// `Collector::record_bean_with_labels` for every attribute of the bean.
    pub attributes_as_labels: Vec<String>,
    pub extra_metrics: Vec<ExtraMetric>,
}

/// One `extraMetrics` entry: a constant attribute recorded for each matching bean.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraMetric {
    pub name: String,
    pub value: AttrValue,
    /// `description`, the attribute description (empty when absent).
    pub description: String,
}

impl MetricCustomizer {
    /// `filterMbeanByDomainAndProperties`.
    pub fn applies_to(&self, domain: &str, props: &[(String, String)]) -> bool {
        self.domain == domain
            && self
                .properties
                .iter()
                .all(|(k, v)| v.as_ref().is_some_and(|v| props.iter().any(|(pk, pv)| pk == k && pv == v)))
    }

    /// Reads the `metricCustomizers` list, pushing every problem to `errors`.
    pub fn parse_all(v: &Value, errors: &mut Vec<String>) -> Vec<MetricCustomizer> {
        let Value::Array(items) = v else {
            errors.push("metricCustomizers: must provide mbeanFilter, if metricCustomizers is given".into());
            return Vec::new();
        };
        let parse = |(i, c)| parse_one(c, &format!("metricCustomizers[{i}]"));
        let results: Vec<_> = items.iter().enumerate().map(parse).collect();
        results.into_iter().filter_map(|r| r.map_err(|e| errors.push(e)).ok()).collect()
    }
}

fn parse_one(v: &Value, at: &str) -> Result<MetricCustomizer, String> {
    let filter = v.get("mbeanFilter").filter(|f| f.is_object());
    let filter = filter.ok_or(format!("{at}: must provide mbeanFilter"))?;
    let domain = filter.get("domain").ok_or(format!("{at}.mbeanFilter: must provide domain"))?;
    let properties = match filter.get("properties") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned))).collect(),
        _ => Vec::new(),
    };
    let labels = v.get("attributesAsLabels");
    let extras = v.get("extraMetrics");
    if labels.is_none() && extras.is_none() {
        return Err(format!("{at}: must provide attributesAsLabels or extraMetrics"));
    }
    Ok(MetricCustomizer {
        domain: fields::string(domain, &format!("{at}.mbeanFilter.domain"))?,
        properties,
        attributes_as_labels: match labels {
            Some(l) => fields::string_list(l, &format!("{at}.attributesAsLabels"))?,
            None => Vec::new(),
        },
        extra_metrics: match extras {
            Some(Value::Array(e)) => e
                .iter()
                .enumerate()
                .map(|(i, m)| extra(m, &format!("{at}.extraMetrics[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("{at}.extraMetrics: expected a list, got {other}")),
            None => Vec::new(),
        },
    })
}

fn extra(v: &Value, at: &str) -> Result<ExtraMetric, String> {
    let name = v.get("name").ok_or(format!("{at}: must provide name"))?;
    let value = match v.get("value") {
        None | Some(Value::Null) => return Err(format!("{at}: must provide value")),
        Some(Value::Bool(b)) => AttrValue::Bool(*b),
        Some(Value::Number(n)) => number(n),
        Some(Value::String(s)) => AttrValue::Text(s.clone()),
        Some(other) => return Err(format!("{at}.value: expected a boolean or a number, got {other}")),
    };
    let description = match v.get("description") {
        Some(d) => fields::string(d, &format!("{at}.description"))?,
        None => String::new(),
    };
    Ok(ExtraMetric { name: fields::string(name, &format!("{at}.name"))?, value, description })
}

/// A YAML number as the boxed `Integer`/`Double` SnakeYAML makes prints.
fn number(n: &serde_json::Number) -> AttrValue {
    match n.as_i64() {
        Some(i) => AttrValue::Number { text: i.to_string(), value: i as f64 },
        None => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            AttrValue::Number { text: java_double(f), value: f }
        }
    }
}
