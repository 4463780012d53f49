//! One attribute's JSON value → [`Receiver::record_bean`] calls, the way `JmxScraper.processBeanValue`
//! flattens the Java value Jolokia serialised: scalars are recorded, composite data adds its
//! attribute name to `attr_keys`, tabular data adds index columns to the bean properties
//! ([`super::tabular`]); `null`, arrays and plain Java objects are not exported. How the value was
//! read and what it is comes from its [`AttrKind`]; inside open data, from its [`OpenType`] (when
//! that is unknown, the JSON's shape is the guide, as far as it can be).

use serde_json::{Map, Value};

use super::kind::AttrKind;
use super::open_type::OpenType;
use super::{number, tabular};
use crate::{AttrValue, BeanAttr, Receiver};

/// Counts of what a walk saw, for logs and self-metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// MBeans whose attributes were walked.
    pub beans: usize,
    /// `record_bean` calls.
    pub attributes: usize,
    /// Attributes Jolokia could not read (`ignoreErrors` replaced them with an error text).
    pub failed_attributes: usize,
}

/// Where a value sits: its MBean, the keys walked to reach it, and the bean's
/// `attributesAsLabels` values.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub domain: &'a str,
    pub properties: &'a [(String, String)],
    pub attribute_labels: &'a [(String, String)],
    pub attr_keys: &'a [String],
    pub description: &'a str,
}

/// What an attribute left to find out.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Done,
    /// An [`AttrKind::Object`] answered with this string: an enum's name, or a `toString`.
    MaybeEnum(String),
}

pub struct Flattener<'r> {
    pub receiver: &'r mut dyn Receiver,
    pub stats: Stats,
}

impl Flattener<'_> {
    /// A top-level attribute, read as `kind` says; `declared` is `list`'s type.
    pub fn attribute(&mut self, place: Place<'_>, name: &str, declared: &str, kind: &AttrKind, value: &Value) -> Seen {
        if let Value::String(s) = value
            && is_read_error(s)
        {
            self.stats.failed_attributes += 1;
            return Seen::Done;
        }
        match (kind, value) {
            (AttrKind::Skip, _) | (_, Value::Null | Value::Array(_)) => {}
            (AttrKind::Date, Value::Number(n)) => {
                let secs = n.as_f64().unwrap_or(f64::NAN) / 1000.0;
                self.number(place, name, "java.lang.Double", secs);
            }
            (AttrKind::Date, Value::String(s)) => self.date(place, name, s),
            (AttrKind::Open(t), _) => self.open(place, name, t.as_ref(), value),
            (AttrKind::Optional, Value::Object(_)) => self.open(place, name, None, value),
            (AttrKind::Object, Value::String(s)) => return Seen::MaybeEnum(s.clone()),
            (AttrKind::Object, Value::Object(_)) => {}
            // Jolokia's text for a number or boolean it could not read ("Unsupported").
            (AttrKind::Scalar, Value::String(_)) if declared != "java.lang.String" => {}
            (_, Value::String(s)) => self.record(place, name, declared, &AttrValue::Text(s.clone())),
            (_, _) => self.scalar(place, name, declared, value),
        }
        Seen::Done
    }

    /// A value inside open data (or an `Optional`'s contents) of type `t`, when known.
    fn open(&mut self, place: Place<'_>, name: &str, t: Option<&OpenType>, value: &Value) {
        let t = t.filter(|t| **t != OpenType::Unknown);
        let class = match t {
            Some(OpenType::Simple(c)) => c.as_str(),
            Some(OpenType::Array) => return,
            _ => "",
        };
        match value {
            Value::Null | Value::Array(_) => {}
            Value::String(s) if is_read_error(s) => self.stats.failed_attributes += 1,
            Value::String(s) if class == "java.util.Date" => self.date(place, name, s),
            Value::String(_) if class == "java.lang.Character" => {}
            Value::String(s) => self.record(place, name, or(class, "java.lang.String"), &AttrValue::Text(s.clone())),
            Value::Bool(_) | Value::Number(_) => self.scalar(place, name, class, value),
            Value::Object(map) => match t {
                Some(t @ OpenType::Composite { .. }) => self.composite(place, name, Some(t), map),
                Some(OpenType::Tabular { row, index }) => self.tabular(place, name, Some((row, index)), map),
                Some(_) => {}
                None if tabular::is_opaque(map) => {}
                None if tabular::looks_tabular(Some(name), map) => self.tabular(place, name, None, map),
                None => self.composite(place, name, None, map),
            },
        }
    }

    fn composite(&mut self, place: Place<'_>, name: &str, t: Option<&OpenType>, map: &Map<String, Value>) {
        let keys = extend(place.attr_keys, name);
        let described = t.and_then(OpenType::description);
        let description = described.as_deref().or(tabular::composite_description(map)).unwrap_or(place.description);
        let place = Place { attr_keys: &keys, description, ..place };
        match t {
            Some(OpenType::Composite { items, .. }) => {
                for (item, item_type) in items {
                    if let Some(v) = map.get(item) {
                        self.open(place, item, Some(item_type), v);
                    }
                }
            }
            _ => {
                let mut fields: Vec<_> = map.iter().collect();
                fields.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in fields {
                    self.open(place, k, None, v);
                }
            }
        }
    }

    fn tabular(&mut self, place: Place<'_>, name: &str, t: Option<(&OpenType, &[String])>, map: &Map<String, Value>) {
        let extended = extend(place.attr_keys, name);
        let row_type = t.map(|(row, _)| row);
        let described = row_type.and_then(OpenType::description);
        let description = described.as_deref().unwrap_or(place.description);
        for row in tabular::rows(map, t) {
            let properties = tabular::with_index(place.properties, &row.index);
            for (column, v) in &row.columns {
                let is_value = column.eq_ignore_ascii_case("value");
                let (keys, attr) = if is_value { (place.attr_keys, name) } else { (&extended[..], *column) };
                let place = Place { properties: &properties, attr_keys: keys, description, ..place };
                let column_type = row_type.and_then(|r| r.item(column));
                match (column_type, v) {
                    // An untyped map's `value` column is walked under the map's name again, which
                    // must not mark it as a known map (`tabular::looks_tabular`).
                    (None, Value::Object(m)) if is_value && !tabular::is_opaque(m) => {
                        if tabular::looks_tabular(None, m) {
                            self.tabular(place, attr, None, m)
                        } else {
                            self.composite(place, attr, None, m)
                        }
                    }
                    _ => self.open(place, attr, column_type, v),
                }
            }
        }
    }

    fn scalar(&mut self, place: Place<'_>, name: &str, declared: &str, value: &Value) {
        match value {
            Value::Bool(b) => self.record(place, name, or(declared, "java.lang.Boolean"), &AttrValue::Bool(*b)),
            Value::Number(n) => {
                let fallback = if n.is_f64() { "java.lang.Double" } else { "java.lang.Long" };
                let mut value = number::from_json(n);
                // `Float.doubleValue()`: Jolokia prints the float (0.2), Java exports its double
                // (0.20000000298023224); the rules see the float's text either way.
                if let (AttrValue::Number { value: v, .. }, "float" | "java.lang.Float") = (&mut value, declared) {
                    *v = f64::from(*v as f32);
                }
                self.record(place, name, or(declared, fallback), &value)
            }
            _ => {}
        }
    }

    /// A date as `JmxScraper` records it: `getTime() / 1000.0`, typed `java.lang.Double`.
    fn date(&mut self, place: Place<'_>, name: &str, iso: &str) {
        if let Some(secs) = number::iso_date_seconds(iso) {
            self.number(place, name, "java.lang.Double", secs);
        }
    }

    fn number(&mut self, place: Place<'_>, name: &str, java_type: &str, v: f64) {
        self.record(place, name, java_type, &AttrValue::Number { text: number::java_double(v), value: v });
    }

    /// A `metricCustomizers` extra metric: recorded as an attribute of type `UNKNOWN`.
    pub fn extra(&mut self, place: Place<'_>, name: &str, value: &AttrValue) {
        self.record(place, name, "UNKNOWN", value);
    }

    /// An enum's name, once Jolokia confirmed it is one.
    pub fn enum_name(&mut self, place: Place<'_>, name: &str, declared: &str, value: &str) {
        self.record(place, name, declared, &AttrValue::Text(value.to_owned()));
    }

    fn record(&mut self, place: Place<'_>, name: &str, attr_type: &str, value: &AttrValue) {
        self.stats.attributes += 1;
        self.receiver.record_bean(&BeanAttr {
            domain: place.domain,
            bean_properties: place.properties,
            attribute_labels: place.attribute_labels,
            attr_keys: place.attr_keys,
            attr_name: name,
            attr_type,
            attr_description: place.description,
            value,
        });
    }
}

fn or<'a>(known: &'a str, fallback: &'a str) -> &'a str {
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
pub(crate) fn is_read_error(s: &str) -> bool {
    s.starts_with("ERROR: ") && s.ends_with(')') && s.contains(" (class ")
}
