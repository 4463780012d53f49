//! Reading MBeans: the `read` requests for a bean's attributes ([`push_reads`]), gathering the
//! answers per attribute ([`Gathered`]), and flattening one bean as `JmxScraper.scrapeBean` does
//! ([`flatten_bean`]): its `metricCustomizers` extra metrics first, then each attribute, with the
//! customizer's `attributesAsLabels` values on every sample.

use std::collections::HashMap;

use serde_json::Value;

use super::flatten::{Flattener, Place, Seen};
use super::kind::AttrKind;
use super::number;
use super::open_type::OpenType;
use super::request::{self, Bulk, OBJECT_DEPTH, OPTIONAL_DEPTH};
use super::state::Attr;
use crate::AttrValue;
use crate::config::JmxConfig;
use crate::object_name::ObjectName;

/// How many per-entry error messages a scrape keeps for its log (the rest are only counted).
const MAX_ERRORS: usize = 5;

/// What one entry of a bulk request asks for; `bean` indexes the round's list of beans, `attr`
/// that bean's attributes.
#[derive(Clone, Debug)]
pub enum Purpose {
    Search,
    List(String),
    /// `list` of one MBean (`bean` indexes the names being discovered).
    ListBean {
        bean: usize,
    },
    /// `{attr: value}` for some attributes.
    Values {
        bean: usize,
    },
    /// One attribute read with an inner path.
    Path {
        bean: usize,
        attr: usize,
    },
    /// `{attr: "<toString>"}` of open data: its type ([`OpenType::from_data_text`]).
    Types {
        bean: usize,
    },
    /// Whether an attribute's string is an enum's name (Jolokia's enum path check).
    Enum {
        bean: usize,
        attr: usize,
        value: String,
    },
    /// One of [`super::jvm::requests`], in order.
    Jvm,
}

/// Adds the reads of `attrs` of MBean `name` (bean number `bean`); `types` also asks for the open
/// types of composite and tabular attributes.
pub fn push_reads(bulk: &mut Bulk<Purpose>, bean: usize, name: &str, attrs: &[Attr], types: bool) {
    let names = |pick: &dyn Fn(&AttrKind) -> bool| -> Vec<&str> {
        attrs.iter().filter(|a| pick(&a.kind)).map(|a| a.name.as_str()).collect()
    };
    let plain = names(&|k| matches!(k, AttrKind::Scalar | AttrKind::Enum | AttrKind::Open(_)));
    if !plain.is_empty() {
        bulk.push(request::read(name, &plain, None), Purpose::Values { bean });
    }
    let objects = names(&|k| *k == AttrKind::Object);
    if !objects.is_empty() {
        bulk.push(request::read(name, &objects, Some(OBJECT_DEPTH)), Purpose::Values { bean });
    }
    for (i, a) in attrs.iter().enumerate() {
        let path = match a.kind {
            AttrKind::Date => request::read_path(name, &a.name, "time", None),
            AttrKind::Optional => request::read_path(name, &a.name, "get", Some(OPTIONAL_DEPTH)),
            _ => continue,
        };
        bulk.push(path, Purpose::Path { bean, attr: i });
    }
    let open = names(&|k| matches!(k, AttrKind::Open(_)));
    if types && !open.is_empty() {
        bulk.push(request::read(name, &open, Some(1)), Purpose::Types { bean });
    }
}

/// The answers of one round, per bean and attribute.
#[derive(Default)]
pub struct Gathered {
    pub values: Vec<HashMap<String, Value>>,
    pub types: Vec<HashMap<String, OpenType>>,
    /// Entries Jolokia answered with an error status, and the first few messages.
    pub failed: usize,
    pub errors: Vec<String>,
}

impl Gathered {
    pub fn new(beans: usize) -> Gathered {
        Gathered { values: vec![HashMap::new(); beans], types: vec![HashMap::new(); beans], ..Gathered::default() }
    }

    /// Takes the answer to a [`Purpose::Values`], [`Purpose::Path`] or [`Purpose::Types`] entry.
    pub fn take(&mut self, purpose: &Purpose, attrs: &[Attr], entry: Value) {
        let Some(value) = self.ok_value(entry) else { return };
        match (purpose, value) {
            (Purpose::Values { bean }, Value::Object(map)) => self.values[*bean].extend(map),
            (Purpose::Path { bean, attr }, v) => drop(self.values[*bean].insert(attrs[*attr].name.clone(), v)),
            (Purpose::Types { bean }, Value::Object(map)) => {
                let parsed = map.into_iter().filter_map(|(a, v)| Some((a, OpenType::from_data_text(v.as_str()?)?)));
                self.types[*bean].extend(parsed);
            }
            _ => {}
        }
    }

    /// The entry's `value` when its `status` is 200; otherwise counts (and maybe keeps) the error.
    pub fn ok_value(&mut self, mut entry: Value) -> Option<Value> {
        if entry.get("status").and_then(Value::as_i64) == Some(200) {
            return entry.get_mut("value").map(Value::take);
        }
        self.failed += 1;
        if self.errors.len() < MAX_ERRORS {
            let mbean = entry.pointer("/request/mbean").or(entry.pointer("/request/path")).and_then(Value::as_str);
            let error = entry.get("error").and_then(Value::as_str).unwrap_or("no status");
            self.errors.push(format!("{}: {error}", mbean.unwrap_or("request")));
        }
        None
    }
}

/// Flattens one MBean's answers; returns the attributes (by index) whose string may be an enum's
/// name, for Jolokia to confirm.
pub fn flatten_bean(
    flat: &mut Flattener<'_>,
    config: &JmxConfig,
    name: &ObjectName,
    attrs: &[Attr],
    values: &HashMap<String, Value>,
) -> Vec<(usize, String)> {
    let customizer = config.metric_customizer(name.domain(), name.properties());
    let labels = attribute_labels(config, name, values);
    let place = place(name, &labels);
    flat.stats.beans += 1;
    for extra in customizer.map_or(&[][..], |c| &c.extra_metrics) {
        flat.extra(Place { description: &extra.description, ..place }, &extra.name, &extra.value);
    }
    let mut candidates = Vec::new();
    for (i, a) in attrs.iter().enumerate() {
        let Some(v) = values.get(&a.name) else { continue };
        let place = Place { description: &a.description, ..place };
        if let Seen::MaybeEnum(s) = flat.attribute(place, &a.name, &a.declared, &a.kind, v) {
            candidates.push((i, s));
        }
    }
    candidates
}

/// Records an enum's name Jolokia confirmed (after [`flatten_bean`] reported it as a candidate).
pub fn flatten_enum(
    flat: &mut Flattener<'_>,
    config: &JmxConfig,
    name: &ObjectName,
    values: &HashMap<String, Value>,
    attr: &Attr,
    value: &str,
) {
    let labels = attribute_labels(config, name, values);
    flat.enum_name(Place { description: &attr.description, ..place(name, &labels) }, &attr.name, &attr.declared, value);
}

fn place<'a>(name: &'a ObjectName, labels: &'a [(String, String)]) -> Place<'a> {
    Place {
        domain: name.domain(),
        properties: name.properties(),
        attribute_labels: labels,
        attr_keys: &[],
        description: "",
    }
}

/// The bean's customizer's `attributesAsLabels` values (`getAttributesAsLabelsWithValues`).
fn attribute_labels(config: &JmxConfig, name: &ObjectName, values: &HashMap<String, Value>) -> Vec<(String, String)> {
    let Some(c) = config.metric_customizer(name.domain(), name.properties()) else { return Vec::new() };
    c.attributes_as_labels.iter().filter_map(|a| Some((a.clone(), label_text(values.get(a)?)?))).collect()
}

/// `attrValue.toString()` of an `attributesAsLabels` attribute; `null` gives no label.
fn label_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => match number::from_json(n) {
            AttrValue::Number { text, .. } => Some(text),
            _ => Some(n.to_string()),
        },
        other => Some(other.to_string()),
    }
}

/// `JmxScraper` skips the flight recorder MBean.
pub fn skipped_bean(name: &ObjectName) -> bool {
    name.domain() == "jdk.management.jfr" && name.properties() == [("type".to_string(), "FlightRecorder".to_string())]
}

/// `JmxScraper` skips these `java.lang:type=Runtime` attributes: costly and never exported.
pub fn skipped_attr(name: &ObjectName, attr: &str) -> bool {
    const COSTLY: [&str; 4] = ["SystemProperties", "ClassPath", "BootClassPath", "LibraryPath"];
    name.domain() == "java.lang"
        && name.properties() == [("type".to_string(), "Runtime".to_string())]
        && COSTLY.iter().any(|c| c.eq_ignore_ascii_case(attr))
}
