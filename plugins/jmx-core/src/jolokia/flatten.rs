//! One attribute's JSON value → [`Receiver::record_bean`] calls, the way `JmxScraper.processBeanValue`
//! flattens the Java value Jolokia serialised: scalars are recorded, composite data adds its
//! attribute name to `attr_keys`, tabular data adds index columns to the bean properties
//! ([`super::tabular`]); `null`, arrays, `Optional` and other objects are not exported.
//!
//! JSON alone cannot tell composite from tabular data, nor an open-type object from a plain Java
//! bean Jolokia serialised field by field; the attribute's type from `list` decides where known.

use serde_json::{Map, Value};

use super::{number, tabular};
use crate::{AttrValue, BeanAttr, Receiver};

const COMPOSITE: &str = "javax.management.openmbean.CompositeData";
const TABULAR: &str = "javax.management.openmbean.TabularData";

/// Counts of what a walk saw, for logs and self-metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// MBeans whose attributes were walked.
    pub beans: usize,
    /// `record_bean` calls.
    pub attributes: usize,
    /// Read entries with a `status` other than 200 (skipped).
    pub failed_reads: usize,
    /// Attributes Jolokia could not read (`ignoreErrors` replaced them with an error text).
    pub failed_attributes: usize,
    /// MBeans skipped by `excludeObjectNames`, or read twice by overlapping includes.
    pub excluded_beans: usize,
}

/// Where a value sits: its MBean and the keys walked to reach it.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub domain: &'a str,
    pub properties: &'a [(String, String)],
    pub attr_keys: &'a [String],
    pub description: &'a str,
}

pub struct Flattener<'r> {
    pub receiver: &'r mut dyn Receiver,
    pub stats: Stats,
}

impl Flattener<'_> {
    /// `attr_type` is the Java type from `list` (`""` when unknown, e.g. inside composite data).
    pub fn value(&mut self, place: Place<'_>, name: &str, attr_type: &str, value: &Value) {
        self.value_in(place, name, attr_type, value, true)
    }

    /// `by_name`: whether `name` may mark an object of unknown type as a known MXBean map (not for
    /// a map's own `value` column, which is walked under the map's name again).
    fn value_in(&mut self, place: Place<'_>, name: &str, attr_type: &str, value: &Value, by_name: bool) {
        match value {
            Value::Null | Value::Array(_) => {}
            Value::Bool(b) => {
                self.record(place, name, scalar_type(attr_type, "java.lang.Boolean"), &AttrValue::Bool(*b))
            }
            Value::Number(n) => {
                let fallback = if n.is_f64() { "java.lang.Double" } else { "java.lang.Long" };
                self.record(place, name, scalar_type(attr_type, fallback), &number::from_json(n))
            }
            Value::String(s) => self.string(place, name, attr_type, s),
            Value::Object(map) => self.object(place, name, attr_type, map, by_name),
        }
    }

    fn string(&mut self, place: Place<'_>, name: &str, attr_type: &str, s: &str) {
        if is_read_error(s) {
            self.stats.failed_attributes += 1;
        } else if attr_type == "java.util.Date" {
            if let Some(secs) = number::iso_date_seconds(s) {
                let v = AttrValue::Number { text: number::java_double(secs), value: secs };
                self.record(place, name, "java.lang.Double", &v);
            }
        } else if is_string_type(attr_type) {
            self.record(place, name, scalar_type(attr_type, "java.lang.String"), &AttrValue::Text(s.to_string()));
        }
    }

    fn object(&mut self, place: Place<'_>, name: &str, attr_type: &str, map: &Map<String, Value>, by_name: bool) {
        let tabular = match attr_type {
            t if t.contains(TABULAR) => true,
            t if t.contains(COMPOSITE) => false,
            "" => {
                if is_opaque(map) {
                    return;
                }
                tabular::looks_tabular(by_name.then_some(name), map)
            }
            // A Java bean, map, `ObjectName` or `Optional`: JmxScraper does not export those.
            _ => return,
        };
        if tabular {
            self.tabular(place, name, map);
        } else {
            self.composite(place, name, map);
        }
    }

    fn composite(&mut self, place: Place<'_>, name: &str, map: &Map<String, Value>) {
        let keys = extend(place.attr_keys, name);
        let description = composite_description(map).unwrap_or(place.description);
        let mut fields: Vec<_> = map.iter().collect();
        fields.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in fields {
            self.value(Place { attr_keys: &keys, description, ..place }, k, "", v);
        }
    }

    fn tabular(&mut self, place: Place<'_>, name: &str, map: &Map<String, Value>) {
        let extended = extend(place.attr_keys, name);
        for row in tabular::rows(map) {
            let properties = tabular::with_index(place.properties, &row.index);
            for (column, v) in &row.columns {
                let is_value = column.eq_ignore_ascii_case("value");
                let (keys, attr) = if is_value { (place.attr_keys, name) } else { (&extended[..], *column) };
                self.value_in(Place { properties: &properties, attr_keys: keys, ..place }, attr, "", v, !is_value);
            }
        }
    }

    fn record(&mut self, place: Place<'_>, name: &str, attr_type: &str, value: &AttrValue) {
        self.stats.attributes += 1;
        self.receiver.record_bean(&BeanAttr {
            domain: place.domain,
            bean_properties: place.properties,
            attr_keys: place.attr_keys,
            attr_name: name,
            attr_type,
            attr_description: place.description,
            value,
        });
    }
}

/// Whether a JSON string is a Java string `JmxScraper` would record. Jolokia also prints an
/// `ObjectName`, or any object past `maxDepth`, as a string; `list`'s type tells them apart (an
/// enum of a Standard MBean is lost with them).
fn is_string_type(attr_type: &str) -> bool {
    matches!(attr_type, "" | "java.lang.String" | "String" | "char" | "java.lang.Character")
}

/// `JmxScraper` describes a composite's items by the `CompositeType`'s description, which JSON
/// loses; for an MXBean type it is the Java type's name. Known here: the JDK's `MemoryUsage`
/// (elsewhere the attribute's description stands in).
fn composite_description(map: &Map<String, Value>) -> Option<&'static str> {
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    (sorted == ["committed", "init", "max", "used"]).then_some("java.lang.management.MemoryUsage")
}

fn scalar_type<'a>(known: &'a str, fallback: &'a str) -> &'a str {
    if known.is_empty() { fallback } else { known }
}

fn extend(keys: &[String], name: &str) -> Vec<String> {
    let mut v = Vec::with_capacity(keys.len() + 1);
    v.extend_from_slice(keys);
    v.push(name.to_string());
    v
}

/// With `ignoreErrors=true` Jolokia puts `"ERROR: <message> (<exception class>)"` in place of a
/// value it could not read.
fn is_read_error(s: &str) -> bool {
    s.starts_with("ERROR: ") && s.ends_with(')') && s.contains(" (class ")
}

/// Shapes of Java objects Jolokia serialises that `JmxScraper` does not export: an `ObjectName`
/// (`{"objectName": ...}`) and an `Optional` (only `present`/`empty` survive).
fn is_opaque(map: &Map<String, Value>) -> bool {
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    matches!(keys.as_slice(), ["objectName"] | ["empty", "present"])
}
