//! Which of a newly discovered MBean's attributes later scrapes must read: those some rule may
//! export for any value of their type ([`Reach`]), and the `attributesAsLabels` of its customizer.
//! Everything else is never read again until the MBean set changes; that it never gives a sample
//! is what makes the cheap scrape give the same series as a full read.

use std::collections::HashMap;

use serde_json::Value;

use super::kind::AttrKind;
use super::open_type::OpenType;
use super::state::{Attr, PlannedBean};
use crate::config::JmxConfig;
use crate::object_name::ObjectName;
use crate::rules::reach::{Reach, Site, Values};

/// Declared types whose value may be anything, even when it was `null` or an object at discovery.
const ANY_CLASS: [&str; 5] =
    ["java.lang.Object", "java.io.Serializable", "java.lang.Comparable", "java.lang.Number", "java.lang.CharSequence"];

/// The bean's reading plan, or `None` when no rule can use anything of it.
pub fn plan_bean(
    reach: &mut Reach<'_>,
    config: &JmxConfig,
    name: &ObjectName,
    attrs: &[Attr],
    values: &HashMap<String, Value>,
) -> Option<PlannedBean> {
    let customizer = config.metric_customizer(name.domain(), name.properties());
    let is_label = |a: &Attr| customizer.is_some_and(|c| c.attributes_as_labels.contains(&a.name));
    let keep: Vec<Attr> =
        attrs.iter().filter(|a| is_label(a) || needed(reach, name, a, values.get(&a.name))).cloned().collect();
    let extras = customizer.is_some_and(|c| {
        c.extra_metrics.iter().any(|e| {
            let site = site(name, &[], &e.name);
            reach.may_export(&site, &Values::Exactly(e.value.text()), false)
        })
    });
    (!keep.is_empty() || extras).then(|| PlannedBean { name: name.to_string(), attrs: keep })
}

fn site<'a>(name: &'a ObjectName, keys: &'a [String], attr: &'a str) -> Site<'a> {
    Site { domain: name.domain(), properties: name.properties(), attr_keys: keys, attr_name: attr }
}

/// Whether some rule may export attribute `a`, whose value at discovery was `observed`.
fn needed(reach: &mut Reach<'_>, name: &ObjectName, a: &Attr, observed: Option<&Value>) -> bool {
    let site = site(name, &[], &a.name);
    let observed = observed.filter(|v| !v.as_str().is_some_and(super::flatten::is_read_error));
    match &a.kind {
        AttrKind::Skip => false,
        AttrKind::Open(Some(t)) => open_needed(reach, name, &[], &a.name, t),
        // Null at discovery: its structure is unknown until it has a value.
        AttrKind::Open(None) => true,
        AttrKind::Date => reach.may_export(&site, &Values::Number, false),
        AttrKind::Enum => reach.may_export(&site, &Values::Any, true),
        AttrKind::Optional => reach.may_export(&site, &Values::Any, false),
        AttrKind::Scalar => {
            // The declared type decides, unless the value said otherwise (a Dynamic MBean's
            // declared type can be wrong). A string where a number is declared is Jolokia's
            // text for a value it could not read.
            let (values, text_only) = match (a.declared.as_str(), observed) {
                ("java.lang.String", Some(Value::Number(_) | Value::Bool(_))) => (Values::Any, false),
                ("java.lang.String", _) => (Values::Any, true),
                ("boolean" | "java.lang.Boolean", Some(Value::Number(_))) => (Values::Any, false),
                ("boolean" | "java.lang.Boolean", _) => (Values::Boolean, false),
                (_, Some(Value::Bool(_))) => (Values::Any, false),
                _ => (Values::Number, false),
            };
            reach.may_export(&site, &values, text_only)
        }
        // A plain Java object or a `toString` stays one; a number, or a declared type that may
        // hold anything, may give a sample.
        AttrKind::Object => match observed {
            Some(Value::Number(_) | Value::Bool(_)) => reach.may_export(&site, &Values::Any, false),
            Some(Value::String(_) | Value::Object(_) | Value::Array(_)) => false,
            Some(Value::Null) | None => {
                ANY_CLASS.contains(&a.declared.as_str()) && reach.may_export(&site, &Values::Any, false)
            }
        },
    }
}

/// Open data: a composite's items one by one; tabular rows add index columns whose values are not
/// known in advance, so a table (or a composite holding one) is always read.
fn open_needed(reach: &mut Reach<'_>, name: &ObjectName, keys: &[String], attr: &str, t: &OpenType) -> bool {
    match t {
        OpenType::Tabular { .. } | OpenType::Unknown => true,
        OpenType::Array => false,
        OpenType::Composite { items, .. } => {
            let mut inner = keys.to_vec();
            inner.push(attr.to_owned());
            items.iter().any(|(item, it)| open_needed(reach, name, &inner, item, it))
        }
        OpenType::Simple(class) => {
            let (values, text_only) = match class.as_str() {
                "java.lang.Boolean" => (Values::Boolean, false),
                "java.lang.String" => (Values::Any, true),
                "java.lang.Character" | "javax.management.ObjectName" | "java.lang.Void" => return false,
                "java.util.Date" => (Values::Number, false),
                c if c.starts_with("java.lang.") || c.starts_with("java.math.") => (Values::Number, false),
                _ => (Values::Any, false),
            };
            reach.may_export(&site(name, keys, attr), &values, text_only)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attr(name: &str, declared: &str, kind: AttrKind) -> Attr {
        Attr { name: name.into(), declared: declared.into(), description: String::new(), kind }
    }

    fn plan(yaml: &str, bean: &str, attrs: &[Attr], values: Value) -> Vec<String> {
        let config = JmxConfig::from_yaml(yaml).unwrap();
        let mut reach = Reach::new(&config);
        let values: HashMap<String, Value> = serde_json::from_value(values).unwrap();
        let name = ObjectName::parse(bean).unwrap();
        let planned = plan_bean(&mut reach, &config, &name, attrs, &values);
        planned.map(|p| p.attrs.into_iter().map(|a| a.name).collect()).unwrap_or_default()
    }

    #[test]
    fn keeps_what_the_tomcat_rules_can_export() {
        let rules = "rules:\n- pattern: 'Catalina<type=Manager, host=([-a-z]+), context=([-a-zA-Z0-9+/$%~_-|!.]*)><>(processingTime|sessionCounter):'\n  name: tomcat_session_$3_total";
        let attrs = [
            attr("sessionCounter", "long", AttrKind::Scalar),
            attr("maxActive", "int", AttrKind::Scalar),
            attr("processingTime", "long", AttrKind::Scalar),
            attr("className", "java.lang.String", AttrKind::Scalar),
            attr("container", "org.apache.catalina.Context", AttrKind::Object),
        ];
        let values = json!({"sessionCounter": 2, "maxActive": 3, "processingTime": 9, "className": "x", "container": {"a": "b"}});
        let got = plan(rules, "Catalina:type=Manager,host=localhost,context=/demo", &attrs, values);
        assert_eq!(got, ["sessionCounter", "processingTime"]);
        assert!(plan(rules, "Catalina:type=Server", &attrs, json!({})).is_empty());
    }

    #[test]
    fn default_export_keeps_numbers_not_strings_or_objects() {
        let attrs = [
            attr("N", "int", AttrKind::Scalar),
            attr("S", "java.lang.String", AttrKind::Scalar),
            attr("O", "com.example.Pojo", AttrKind::Object),
            attr("E", "com.example.State", AttrKind::Enum),
            attr("A", "[J", AttrKind::Skip),
        ];
        let got = plan("---", "d:type=T", &attrs, json!({"N": 1, "S": "s", "O": {"x": 1}, "E": "RUNNING", "A": [1]}));
        assert_eq!(got, ["N"]);
        let valued = "rules:\n- pattern: '.*'\n  name: x\n  value: 1";
        assert_eq!(plan(valued, "d:type=T", &attrs, json!({"N": 1, "S": "s", "O": {"x": 1}})), ["N", "S", "E"]);
    }

    #[test]
    fn composite_items_are_decided_one_by_one_tables_always_read() {
        let long = OpenType::Simple("java.lang.Long".into());
        let usage = OpenType::Composite { name: "u".into(), items: vec![("used".into(), long.clone())] };
        let table = OpenType::Tabular { row: Box::new(usage.clone()), index: vec!["used".into()] };
        let attrs = [
            attr("Heap", "x", AttrKind::Open(Some(usage))),
            attr("Table", "x", AttrKind::Open(Some(table))),
            attr("Unknown", "x", AttrKind::Open(None)),
        ];
        let rules = "rules:\n- pattern: '^d<type=T><Heap>used:'\n  name: x";
        assert_eq!(plan(rules, "d:type=T", &attrs, json!({})), ["Heap", "Table", "Unknown"]);
        let other = "rules:\n- pattern: '^d<type=T><Heap>max:'\n  name: x";
        assert_eq!(plan(other, "d:type=T", &attrs, json!({})), ["Table", "Unknown"]);
    }
}
