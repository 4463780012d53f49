//! Test support: MBean attributes described as the JMX exporter's tests register them,
//! fed to a [`Collector`] as the Jolokia walker would feed them.
#![allow(dead_code)]

pub mod registry;

use jmx_core::object_name::ObjectName;
use jmx_core::rules::MatchCache;
use jmx_core::rules::names::java_double;
use jmx_core::{AttrValue, BeanAttr, Collector, JmxConfig, Receiver};

/// One flattened attribute, owning its data.
#[derive(Clone, Debug)]
pub struct Attr {
    pub domain: String,
    pub props: Vec<(String, String)>,
    pub keys: Vec<String>,
    pub name: String,
    pub java_type: String,
    pub description: String,
    pub value: AttrValue,
    /// `attributesAsLabels` values of the bean.
    pub labels: Vec<(String, String)>,
}

/// `bean` is an object name as written (its key order is kept).
pub fn attr(bean: &str, name: &str, value: AttrValue) -> Attr {
    let on = ObjectName::parse(bean).expect("valid object name");
    Attr {
        domain: on.domain().to_owned(),
        props: on.properties().to_vec(),
        keys: Vec::new(),
        name: name.to_owned(),
        java_type: "long".to_owned(),
        description: String::new(),
        value,
        labels: Vec::new(),
    }
}

impl Attr {
    pub fn keys(mut self, keys: &[&str]) -> Attr {
        self.keys = keys.iter().map(|k| k.to_string()).collect();
        self
    }

    /// Index columns of a tabular row, appended to the bean's properties.
    pub fn index(mut self, cols: &[(&str, &str)]) -> Attr {
        self.props.extend(cols.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    pub fn labels(mut self, labels: &[(String, String)]) -> Attr {
        self.labels = labels.to_vec();
        self
    }

    pub fn description(mut self, d: &str) -> Attr {
        self.description = d.to_owned();
        self
    }

    pub fn as_bean_attr(&self) -> BeanAttr<'_> {
        BeanAttr {
            domain: &self.domain,
            bean_properties: &self.props,
            attribute_labels: &self.labels,
            attr_keys: &self.keys,
            attr_name: &self.name,
            attr_type: &self.java_type,
            attr_description: &self.description,
            value: &self.value,
        }
    }
}

/// A `long`/`int` value (`toString` prints no fraction).
pub fn int(v: i64) -> AttrValue {
    AttrValue::Number { text: v.to_string(), value: v as f64 }
}

/// A `double` value (`toString` as Java prints it).
pub fn double(v: f64) -> AttrValue {
    AttrValue::Number { text: java_double(v), value: v }
}

pub fn text(s: &str) -> AttrValue {
    AttrValue::Text(s.to_owned())
}

/// Runs one scrape of `attrs` under the YAML `config`.
pub fn scrape(config: &str, attrs: &[Attr]) -> String {
    let config = JmxConfig::from_yaml(config).expect("valid config");
    let mut collector = Collector::new(&config);
    for a in attrs {
        collector.record_bean(&a.as_bean_attr());
    }
    collector.finish()
}

/// The sample line for `series` (name and labels as printed), if any.
pub fn value_of(exposition: &str, series: &str) -> Option<String> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.rsplit_once(' ').filter(|(s, _)| *s == series).map(|(_, v)| v.to_owned()))
}

/// Runs `rounds` scrapes of `attrs` through one `MatchCache`; the outputs and the cache hits.
pub fn scrape_cached(config: &str, attrs: &[Attr], rounds: usize) -> (Vec<String>, u64) {
    let config = JmxConfig::from_yaml(config).expect("valid config");
    let mut cache = MatchCache::new();
    let mut outs = Vec::new();
    for _ in 0..rounds {
        let mut collector = Collector::with_cache(&config, &mut cache);
        for a in attrs {
            collector.record_bean(&a.as_bean_attr());
        }
        outs.push(collector.finish());
    }
    (outs, cache.hits())
}
