//! The one bulk POST of a scrape: a `read` per `includeObjectNames` pattern (default `*:*`),
//! `list` requests for attribute types and descriptions, and the `java.lang` reads of
//! [`super::jvm`]. Entry type: [`Plan`], which also remembers the layout the reply comes back in.
//!
//! Cost: `list` replies carry every MBean's attributes *and operations* of the listed domains
//! (Jolokia 1.x cannot leave operations out); listing only the included domains keeps it to what
//! the rules can see. `Options::list = false` skips it: help texts then fall back to the
//! attribute name and composite/tabular data is told apart from JSON shape alone.

use serde_json::{Value, json};

use super::jvm;
use super::object_name::{ObjectName, ParseError};

/// What a scrape asks Jolokia for besides the rules' MBeans.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Send `list` requests (types and descriptions).
    pub list: bool,
    /// Read the `java.lang` MBeans for the JVM metrics the javaagent exports.
    pub jvm_metrics: bool,
    /// Jolokia's `maxDepth` for the rules' reads. On Java 17, Jolokia 1.7.1 serialising Tomcat's
    /// `WebModule`/`NamingResources` beans deeper than 4 fails the *whole* bulk reply (the tomcat
    /// harness's `read-unbounded` capture); past the depth a value becomes a string, which the
    /// walk does not record unless `list` says it is one.
    pub max_depth: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options { list: true, jvm_metrics: true, max_depth: Some(DEFAULT_MAX_DEPTH) }
    }
}

/// The deepest `maxDepth` at which Tomcat 9's Catalina domain serialises on Java 17.
pub const DEFAULT_MAX_DEPTH: u32 = 4;

/// One `read` of the bulk request.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    /// The pattern sent: a concrete name `d:k=v` goes out as `d:k=v,*`, so that Jolokia returns
    /// the name as registered (key order) rather than echoing ours.
    pub sent: ObjectName,
    /// For a concrete name, the exact set of keys a reply entry must have.
    pub exact: Option<ObjectName>,
}

/// The bulk request of one scrape and how to read its reply.
#[derive(Debug)]
pub struct Plan {
    pub(crate) reads: Vec<Read>,
    /// `list` paths: a domain, or `None` for all domains.
    pub(crate) lists: Vec<Option<String>>,
    pub(crate) excludes: Vec<ObjectName>,
    pub(crate) jvm_metrics: bool,
    max_depth: Option<u32>,
    body: String,
}

/// Processing parameters of every request: see LESSONS.md (Jolokia 1.7.1 observations).
pub(crate) fn config() -> Value {
    json!({"ignoreErrors": true, "canonicalNaming": false, "includeStackTrace": false, "serializeException": false})
}

impl Plan {
    /// `includes` empty means `*:*`, as in the JMX exporter.
    pub fn new(includes: &[String], excludes: &[String], options: Options) -> Result<Plan, ParseError> {
        let default = ["*:*".to_string()];
        let includes = if includes.is_empty() { &default[..] } else { includes };
        let reads = includes.iter().map(|s| read(s)).collect::<Result<Vec<_>, _>>()?;
        let excludes = excludes.iter().map(|s| ObjectName::parse(s)).collect::<Result<Vec<_>, _>>()?;
        let lists = if options.list { list_paths(&reads) } else { Vec::new() };
        let jvm_metrics = options.jvm_metrics;
        let mut plan = Plan { reads, lists, excludes, jvm_metrics, max_depth: options.max_depth, body: String::new() };
        plan.body = plan.requests().to_string();
        Ok(plan)
    }

    /// The JSON body to POST (with `Content-Type: application/json`).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// How many entries the reply must have.
    pub(crate) fn len(&self) -> usize {
        self.reads.len() + self.lists.len() + if self.jvm_metrics { jvm::requests().len() } else { 0 }
    }

    fn requests(&self) -> Value {
        let mut all: Vec<Value> = self.reads.iter().map(|r| read_request(&r.sent, self.max_depth)).collect();
        all.extend(self.lists.iter().map(|d| list_request(d.as_deref())));
        if self.jvm_metrics {
            all.extend(jvm::requests());
        }
        Value::Array(all)
    }
}

fn read(pattern: &str) -> Result<Read, ParseError> {
    let name = ObjectName::parse(pattern)?;
    if name.is_pattern() {
        return Ok(Read { sent: name, exact: None });
    }
    let sent = ObjectName { property_list_pattern: true, ..name.clone() };
    Ok(Read { sent, exact: Some(name) })
}

fn read_request(name: &ObjectName, max_depth: Option<u32>) -> Value {
    let mut config = config();
    if let Some(depth) = max_depth {
        config["maxDepth"] = depth.into();
    }
    json!({"type": "read", "mbean": to_text(name), "config": config})
}

fn list_request(domain: Option<&str>) -> Value {
    match domain {
        Some(d) => json!({"type": "list", "path": escape_path(d), "config": config()}),
        None => json!({"type": "list", "config": config()}),
    }
}

/// One `list` per domain the reads can reach; all domains when a domain is a pattern.
fn list_paths(reads: &[Read]) -> Vec<Option<String>> {
    if reads.iter().any(|r| r.sent.domain.contains(['*', '?'])) {
        return vec![None];
    }
    let mut domains: Vec<Option<String>> = Vec::new();
    for r in reads {
        let d = Some(r.sent.domain.clone());
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    domains
}

/// Jolokia paths escape `!` and `/` with `!`.
fn escape_path(s: &str) -> String {
    s.replace('!', "!!").replace('/', "!/")
}

pub(crate) fn to_text(name: &ObjectName) -> String {
    let mut props: Vec<String> = name.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if name.property_list_pattern {
        props.push("*".into());
    }
    format!("{}:{}", name.domain, props.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_jvm() -> Options {
        Options { list: true, jvm_metrics: false, max_depth: None }
    }

    #[test]
    fn defaults_to_all_mbeans_and_lists_all_domains() {
        let plan = Plan::new(&[], &[], no_jvm()).unwrap();
        let body: Value = serde_json::from_str(plan.body()).unwrap();
        assert_eq!(body[0]["type"], "read");
        assert_eq!(body[0]["mbean"], "*:*");
        assert_eq!(body[0]["config"]["canonicalNaming"], false);
        assert_eq!(body[0]["config"]["ignoreErrors"], true);
        assert_eq!(body[1], json!({"type": "list", "config": config()}));
        assert_eq!(plan.len(), 2);
    }

    #[test]
    fn one_read_per_include_and_one_list_per_domain() {
        let inc = ["Catalina:type=GlobalRequestProcessor,*".to_string(), "Catalina:type=Server".to_string()];
        let plan = Plan::new(&inc, &["Catalina:type=Server,x=y".into()], no_jvm()).unwrap();
        let body: Value = serde_json::from_str(plan.body()).unwrap();
        let mbeans: Vec<&str> = body.as_array().unwrap().iter().filter_map(|r| r["mbean"].as_str()).collect();
        assert_eq!(mbeans, ["Catalina:type=GlobalRequestProcessor,*", "Catalina:type=Server,*"]);
        assert_eq!(body[2]["path"], "Catalina");
        assert_eq!(body.as_array().unwrap().len(), 3);
        assert!(plan.reads[1].exact.is_some());
    }

    #[test]
    fn list_can_be_switched_off_and_jvm_reads_appended() {
        let plan = Plan::new(&[], &[], Options { list: false, ..Options::default() }).unwrap();
        let body: Value = serde_json::from_str(plan.body()).unwrap();
        assert_eq!(body.as_array().unwrap().len(), plan.len());
        assert!(body.as_array().unwrap().iter().all(|r| r["type"] != "list"));
        assert_eq!(body[0]["config"]["maxDepth"], DEFAULT_MAX_DEPTH);
        assert!(Plan::new(&["bad".into()], &[], no_jvm()).is_err());
        assert_eq!(escape_path("a/b!c"), "a!/b!!c");
    }
}
