//! Attribute types and descriptions from Jolokia `list` replies: the type decides composite vs
//! tabular data, the description starts the default help text.
//!
//! Keyed by the canonical (sorted) object name, since `list` and `read` need not print the key
//! properties in the same order.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::object_name::ObjectName;

/// `MBeanAttributeInfo` as far as the walk needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrInfo {
    pub java_type: String,
    pub description: String,
}

/// Attribute infos by canonical object name, then attribute name.
#[derive(Debug, Default)]
pub struct Meta {
    beans: HashMap<String, HashMap<String, AttrInfo>>,
}

impl Meta {
    /// Adds the `value` of one domain's `list` reply.
    pub fn add(&mut self, domain: &str, value: &Value) {
        if let Some(beans) = value.as_object() {
            self.add_domain(domain, beans);
        }
    }

    fn add_domain(&mut self, domain: &str, beans: &Map<String, Value>) {
        for (props, info) in beans {
            if let Ok(name) = ObjectName::parse(&format!("{domain}:{props}")) {
                self.add_bean(&name, info);
            }
        }
    }

    /// Adds the `value` of one MBean's `list` reply.
    pub fn add_bean(&mut self, name: &ObjectName, info: &Value) {
        let Some(attrs) = info.get("attr").and_then(Value::as_object) else { return };
        let infos = attrs.iter().map(|(a, i)| (a.clone(), attr_info(i))).collect();
        self.beans.insert(name.canonical(), infos);
    }

    /// The attributes of one MBean (`None` when `list` did not cover it).
    pub fn bean(&self, name: &ObjectName) -> Option<&HashMap<String, AttrInfo>> {
        self.beans.get(&name.canonical())
    }
}

fn attr_info(v: &Value) -> AttrInfo {
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    AttrInfo { java_type: field("type"), description: field("desc") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_domain_replies_keyed_by_canonical_name() {
        let one = serde_json::json!({"type=Memory": {"desc": "d", "op": {}, "attr": {
            "HeapMemoryUsage": {"rw": false, "type": "javax.management.openmbean.CompositeData", "desc": "HeapMemoryUsage"}
        }}});
        let catalina = serde_json::json!({"type=ThreadPool,name=\"http-nio-8080\"": {"attr": {
            "currentThreadCount": {"type": "int", "desc": "Number of threads"}
        }}});
        let mut meta = Meta::default();
        meta.add("java.lang", &one);
        meta.add("Catalina", &catalina);
        let heap = &meta.bean(&ObjectName::parse("java.lang:type=Memory").unwrap()).unwrap()["HeapMemoryUsage"];
        assert_eq!(heap.java_type, "javax.management.openmbean.CompositeData");
        let pool = ObjectName::parse("Catalina:name=\"http-nio-8080\",type=ThreadPool").unwrap();
        assert_eq!(meta.bean(&pool).unwrap()["currentThreadCount"].description, "Number of threads");
        assert!(meta.bean(&ObjectName::parse("x:y=z").unwrap()).is_none());
    }
}
