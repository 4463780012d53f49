//! The Jolokia requests a scrape sends, as JSON (one bulk POST per round trip). Entry type:
//! [`Bulk`], which also remembers what each entry was for, so the reply (an array in the same
//! order) is read by position.

use serde_json::{Value, json};

use crate::object_name::ObjectName;

/// Jolokia's `maxDepth` for attributes of a class `list` cannot say more about: deep enough to
/// tell a number, a string (an enum's name) and an object apart, shallow enough that a Java
/// object graph (Tomcat's `WebModule.loader`: Jolokia 1.7.1 on Java 17 fails the whole bulk
/// reply serialising it deeper than 4) is never walked.
pub const OBJECT_DEPTH: u32 = 2;

/// `maxDepth` of an `Optional`'s contents read with the path `get`.
pub const OPTIONAL_DEPTH: u32 = 4;

/// Processing parameters of every request: see LESSONS.md (Jolokia 1.7.1 observations).
pub(crate) fn config() -> Value {
    json!({"ignoreErrors": true, "canonicalNaming": false, "includeStackTrace": false, "serializeException": false})
}

fn config_depth(depth: Option<u32>) -> Value {
    let mut c = config();
    if let Some(d) = depth {
        c["maxDepth"] = d.into();
    }
    c
}

/// `search`: the names of the MBeans a pattern matches, as registered (key order kept).
pub fn search(pattern: &str) -> Value {
    json!({"type": "search", "mbean": pattern, "config": config()})
}

/// `list` of one domain: its MBeans' attribute types and descriptions.
pub fn list(domain: &str) -> Value {
    json!({"type": "list", "path": escape_path(domain), "config": config()})
}

/// `list` of one MBean (`domain/keys`, the keys as registered).
pub fn list_bean(name: &ObjectName) -> Value {
    let keys = name.to_string()[name.domain().len() + 1..].to_string();
    let path = format!("{}/{}", escape_path(name.domain()), escape_path(&keys));
    json!({"type": "list", "path": path, "config": config()})
}

/// `read` of some attributes of one MBean, answered as `{attr: value}`.
pub fn read(mbean: &str, attributes: &[&str], depth: Option<u32>) -> Value {
    json!({"type": "read", "mbean": mbean, "attribute": attributes, "config": config_depth(depth)})
}

/// `read` of one attribute with an inner path (`time` of a date, `get` of an `Optional`, an
/// enum's name), answered with the value at the path.
pub fn read_path(mbean: &str, attribute: &str, path: &str, depth: Option<u32>) -> Value {
    json!({"type": "read", "mbean": mbean, "attribute": attribute, "path": escape_path(path), "config": config_depth(depth)})
}

/// Jolokia paths escape `!` and `/` with `!`.
pub fn escape_path(s: &str) -> String {
    s.replace('!', "!!").replace('/', "!/")
}

/// One bulk request being built: the entries and, for each, what it was for.
pub struct Bulk<T> {
    entries: Vec<Value>,
    purposes: Vec<T>,
}

impl<T> Default for Bulk<T> {
    fn default() -> Self {
        Bulk { entries: Vec::new(), purposes: Vec::new() }
    }
}

impl<T> Bulk<T> {
    pub fn push(&mut self, entry: Value, purpose: T) {
        self.entries.push(entry);
        self.purposes.push(purpose);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The JSON body to POST (with `Content-Type: application/json`).
    pub fn body(&self) -> String {
        Value::Array(self.entries.clone()).to_string()
    }

    pub fn purposes(&self) -> &[T] {
        &self.purposes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_processing_parameters() {
        let r = read("d:type=T", &["A", "B"], Some(OBJECT_DEPTH));
        assert_eq!(r["attribute"], json!(["A", "B"]));
        assert_eq!(r["config"]["maxDepth"], 2);
        assert_eq!(r["config"]["canonicalNaming"], false);
        assert_eq!(r["config"]["ignoreErrors"], true);
        assert!(read("d:type=T", &["A"], None)["config"].get("maxDepth").is_none());
        assert_eq!(read_path("d:type=T", "A", "a/b!", None)["path"], "a!/b!!");
        assert_eq!(list("a/b")["path"], "a!/b");
        let servlet = ObjectName::parse("C:j2eeType=Servlet,WebModule=//localhost/demo,name=ok").unwrap();
        assert_eq!(list_bean(&servlet)["path"], "C/j2eeType=Servlet,WebModule=!/!/localhost!/demo,name=ok");
        assert_eq!(search("*:*")["mbean"], "*:*");
    }
}
