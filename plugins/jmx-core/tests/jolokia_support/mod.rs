//! Test helpers: a [`Receiver`] that prints each flattened attribute as one line, in the spirit of
//! `JmxScraper`'s `StdoutWriter` (`domain<props><attrKeys>attrName: value`), plus type and help;
//! and [`Fake`], a Jolokia that answers `search`, `list` and `read` (attribute lists, paths, enum
//! path checks) from MBeans held in memory, counting what it was asked.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jmx_core::jolokia::Jolokia;
use jmx_core::object_name::ObjectName;
use jmx_core::{AttrValue, BeanAttr, Receiver};
use serde_json::{Map, Value, json};

#[derive(Default)]
pub struct Lines(pub Vec<String>);

impl Receiver for Lines {
    fn record_bean(&mut self, a: &BeanAttr<'_>) {
        let props: Vec<String> = a.bean_properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let value = match a.value {
            AttrValue::Text(s) => format!("{s:?}"),
            v => v.text(),
        };
        let labels = if a.attribute_labels.is_empty() { String::new() } else { format!(" {:?}", a.attribute_labels) };
        self.0.push(format!(
            "{}<{}><{}>{}: {value} [{}] {:?}{labels}",
            a.domain,
            props.join(", "),
            a.attr_keys.join(", "),
            a.attr_name,
            a.attr_type,
            a.attr_description
        ));
    }
}

/// One attribute of a fake MBean.
#[derive(Clone, Debug)]
pub struct FakeAttr {
    pub name: String,
    pub java_type: String,
    pub description: String,
    pub value: Value,
    /// The `toString` Jolokia prints past `maxDepth` (open data: its type).
    pub text: Option<String>,
    pub is_enum: bool,
}

pub fn fake_attr(name: &str, java_type: &str, value: Value) -> FakeAttr {
    FakeAttr {
        name: name.into(),
        java_type: java_type.into(),
        description: name.into(),
        value,
        text: None,
        is_enum: false,
    }
}

/// A Jolokia over MBeans held in memory.
#[derive(Default)]
pub struct Fake {
    /// MBean names as registered, with their attributes.
    pub beans: Vec<(String, Vec<FakeAttr>)>,
    /// Every bulk request body received.
    pub bodies: Vec<Value>,
    /// Bytes of requests and replies.
    pub bytes: usize,
    /// Whether `CompositeData` attributes without a `text` get a made-up one from their JSON.
    pub typed: bool,
}

impl Fake {
    pub fn add(&mut self, name: &str, attrs: Vec<FakeAttr>) {
        self.beans.push((name.to_string(), attrs));
    }

    pub fn remove(&mut self, name: &str) {
        self.beans.retain(|(n, _)| n != name);
    }

    /// From captured pattern-read replies and `list` replies of the same JVM.
    pub fn from_captures(reads: &Value, lists: &Value) -> Fake {
        let mut fake = Fake::default();
        for entry in reads.as_array().unwrap() {
            for (name, attrs) in entry["value"].as_object().unwrap() {
                let (domain, props) = name.split_once(':').unwrap();
                let infos = lists
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["request"]["path"] == domain)
                    .and_then(|l| l["value"].get(props))
                    .and_then(|b| b.get("attr"));
                let attrs = attrs
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(a, v)| {
                        let info = infos.and_then(|i| i.get(a));
                        let field = |k: &str| info.and_then(|i| i[k].as_str()).unwrap_or("").to_string();
                        FakeAttr { java_type: field("type"), description: field("desc"), ..fake_attr(a, "", v.clone()) }
                    })
                    .collect();
                fake.add(name, attrs);
            }
        }
        fake
    }

    /// The bulk requests received, as `(type, mbean or path)` of each entry.
    pub fn asked(&self) -> Vec<Vec<(String, String)>> {
        let what = |e: &Value| {
            let t = e["type"].as_str().unwrap_or("").to_string();
            let m = e.get("mbean").or(e.get("path")).and_then(Value::as_str).unwrap_or("").to_string();
            (t, m)
        };
        self.bodies.iter().map(|b| b.as_array().unwrap().iter().map(what).collect()).collect()
    }

    fn answer(&self, req: &Value) -> Value {
        let value = match req["type"].as_str() {
            Some("search") => Ok(self.search(req["mbean"].as_str().unwrap())),
            Some("list") => Ok(self.list(req["path"].as_str().unwrap())),
            Some("read") => self.read(req),
            _ => Err("unsupported".to_string()),
        };
        match value {
            Ok(v) => json!({"request": req, "value": v, "status": 200}),
            Err(e) => json!({"request": req, "error": e, "status": 404}),
        }
    }

    fn search(&self, pattern: &str) -> Value {
        let p = ObjectName::parse(pattern).unwrap();
        let found = self.beans.iter().filter(|(n, _)| p.apply(&ObjectName::parse(n).unwrap()));
        Value::Array(found.map(|(n, _)| Value::String(n.clone())).collect())
    }

    /// `list` of a domain, or of one MBean (`domain/keys`; `!` escapes `/` and `!`).
    fn list(&self, path: &str) -> Value {
        let mut parts = vec![String::new()];
        let mut chars = path.chars();
        while let Some(c) = chars.next() {
            match c {
                '!' => parts.last_mut().unwrap().extend(chars.next()),
                '/' => parts.push(String::new()),
                c => parts.last_mut().unwrap().push(c),
            }
        }
        let domains = self.list_domain(&parts[0]);
        match parts.get(1) {
            Some(bean) => domains.get(bean).cloned().unwrap_or(Value::Null),
            None => domains,
        }
    }

    fn list_domain(&self, domain: &str) -> Value {
        let mut out = Map::new();
        for (name, attrs) in &self.beans {
            let Some(props) = name.strip_prefix(domain).and_then(|r| r.strip_prefix(':')) else { continue };
            let infos: Map<String, Value> = attrs
                .iter()
                .map(|a| (a.name.clone(), json!({"type": a.java_type, "desc": a.description, "rw": false})))
                .collect();
            out.insert(props.to_string(), json!({"attr": infos, "op": {"reset": {"args": []}}, "desc": "fake"}));
        }
        Value::Object(out)
    }

    fn read(&self, req: &Value) -> Result<Value, String> {
        let mbean = req["mbean"].as_str().unwrap();
        let (_, attrs) = self.beans.iter().find(|(n, _)| n == mbean).ok_or(format!("no MBean {mbean}"))?;
        let depth = req["config"]["maxDepth"].as_u64();
        let get = |a: &str| attrs.iter().find(|x| x.name == a);
        if let Some(path) = req.get("path").and_then(Value::as_str) {
            let a = get(req["attribute"].as_str().unwrap()).ok_or("no attribute")?;
            return Ok(match (&a.value, path) {
                (v, p) if a.is_enum => {
                    if v.as_str() == Some(p) {
                        v.clone()
                    } else {
                        Value::Null
                    }
                }
                (Value::Object(m), p) => m.get(p).cloned().unwrap_or(Value::Null),
                (Value::Number(_), "time") => a.value.clone(),
                _ => Value::Null,
            });
        }
        let names: Vec<&str> = req["attribute"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let mut out = Map::new();
        for n in names {
            let v = match get(n) {
                None => Value::String(format!(
                    "ERROR: no attribute {n} (class javax.management.AttributeNotFoundException)"
                )),
                Some(a) if depth == Some(1) && a.value.is_object() => {
                    let made_up = || composite_text(&a.java_type, &a.value).filter(|_| self.typed);
                    let text = a.text.clone().or_else(made_up);
                    text.map_or(Value::Null, Value::String)
                }
                Some(a) => a.value.clone(),
            };
            out.insert(n.to_string(), v);
        }
        Ok(Value::Object(out))
    }
}

/// The `toString` of a `CompositeData` attribute whose JSON is `v`: every object a composite, every
/// number a `Long` or `Double` (a fake: real tables are not told apart).
fn composite_text(java_type: &str, v: &Value) -> Option<String> {
    fn open_type(v: &Value) -> String {
        let simple = |c: &str| format!("javax.management.openmbean.SimpleType(name={c})");
        match v {
            Value::Object(m) => {
                let mut items: Vec<_> = m.iter().collect();
                items.sort_by(|a, b| a.0.cmp(b.0));
                let items: Vec<String> =
                    items.iter().map(|(k, v)| format!("(itemName={k},itemType={})", open_type(v))).collect();
                format!("javax.management.openmbean.CompositeType(name=fake,items=({}))", items.join(","))
            }
            Value::Number(n) if n.is_f64() => simple("java.lang.Double"),
            Value::Number(_) => simple("java.lang.Long"),
            Value::Bool(_) => simple("java.lang.Boolean"),
            _ => simple("java.lang.String"),
        }
    }
    (java_type == "javax.management.openmbean.CompositeData").then(|| {
        format!("javax.management.openmbean.CompositeDataSupport(compositeType={},contents={{}})", open_type(v))
    })
}

impl Jolokia for Fake {
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        let reqs: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let reply = Value::Array(reqs.as_array().unwrap().iter().map(|r| self.answer(r)).collect()).to_string();
        self.bytes += body.len() + reply.len();
        self.bodies.push(reqs);
        Ok(reply.into_bytes())
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jolokia")
}

/// Compares `actual` with the golden file; `JMX_GOLDEN_UPDATE=1` rewrites it instead.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("JMX_GOLDEN_UPDATE").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} missing: run with JMX_GOLDEN_UPDATE=1 and review it", path.display()));
    if expected != actual {
        let mut diff = String::new();
        let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
        for l in e.iter().filter(|l| !a.contains(l)) {
            diff += &format!("- {l}\n");
        }
        for l in a.iter().filter(|l| !e.contains(l)) {
            diff += &format!("+ {l}\n");
        }
        panic!("{} differs (- expected, + actual; order may differ too):\n{diff}", path.display());
    }
}
