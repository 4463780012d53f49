//! The bulk reply of a [`Plan`] → [`Receiver::record_bean`] calls (plus the JVM metrics text).
//! Entry point: [`walk`].
//!
//! A read entry with a `status` other than 200 is skipped and counted, never failing the scrape;
//! only a reply that is not the bulk answer to the plan (not JSON, a top-level Jolokia error, the
//! wrong number of entries) is an error.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::flatten::{Flattener, Place, Stats};
use super::list::Meta;
use super::object_name::ObjectName;
use super::request::{Plan, Read};
use super::{jvm, reply, request};
use crate::Receiver;

/// How many per-entry error messages an [`Outcome`] keeps (the rest are only counted).
const MAX_ERRORS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("Jolokia reply is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("Jolokia refused the request (status {status}): {error}")]
    Refused { status: i64, error: String },
    #[error("Jolokia reply has {got} entries, the request had {expected}")]
    Layout { expected: usize, got: usize },
}

/// What one walk produced besides the `record_bean` calls.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stats: Stats,
    /// The first few per-entry errors (`"<mbean>: <error>"`), for the log.
    pub errors: Vec<String>,
    /// The JVM metrics as text exposition (empty when switched off).
    pub jvm: String,
}

/// What the rules' config lets through, asked with object names as Jolokia printed them: once
/// per MBean (`includeObjectNames`/`excludeObjectNames`, beyond what the plan's patterns
/// already did), then per attribute (`includeObjectNameAttributes`/`excludeObjectNameAttributes`).
#[derive(Clone, Copy)]
pub struct Filter<'f> {
    pub bean: &'f dyn Fn(&str) -> bool,
    pub attribute: &'f dyn Fn(&str, &str) -> bool,
}

impl Filter<'_> {
    pub const ALL: Filter<'static> = Filter { bean: &|_| true, attribute: &|_, _| true };
}

/// Walks `reply` (the body Jolokia answered `plan.body()` with).
pub fn walk(plan: &Plan, reply: &[u8], receiver: &mut dyn Receiver) -> Result<Outcome, WalkError> {
    walk_filtered(plan, reply, receiver, Filter::ALL)
}

/// [`walk`], skipping the MBeans and attributes `filter` rejects.
pub fn walk_filtered(
    plan: &Plan,
    reply: &[u8],
    receiver: &mut dyn Receiver,
    filter: Filter<'_>,
) -> Result<Outcome, WalkError> {
    let entries = entries(plan, reply::parse(plan, reply)?)?;
    let (reads, rest) = entries.split_at(plan.reads.len());
    let (lists, jvm_entries) = rest.split_at(plan.lists.len());
    let mut outcome = Outcome::default();
    let mut meta = Meta::default();
    for (domain, entry) in plan.lists.iter().zip(lists) {
        if let Some(value) = ok_value(entry, &mut outcome) {
            meta.add(domain.as_deref(), value);
        }
    }
    let flat = Flattener { receiver, stats: Stats::default() };
    let mut walker = Walker { flat, meta, seen: HashSet::new(), filter };
    for (read, entry) in plan.reads.iter().zip(reads) {
        if let Some(value) = ok_value(entry, &mut outcome) {
            walker.read(plan, read, entry, value);
        }
    }
    let failed = outcome.stats.failed_reads;
    outcome.stats = Stats { failed_reads: failed, ..walker.flat.stats };
    if plan.jvm_metrics {
        outcome.jvm = jvm::exposition(jvm_entries);
    }
    Ok(outcome)
}

fn entries(plan: &Plan, reply: Value) -> Result<Vec<Value>, WalkError> {
    match reply {
        Value::Array(entries) if entries.len() == plan.len() => Ok(entries),
        Value::Array(entries) => Err(WalkError::Layout { expected: plan.len(), got: entries.len() }),
        other => Err(WalkError::Refused {
            status: other.get("status").and_then(Value::as_i64).unwrap_or(0),
            error: other.get("error").and_then(Value::as_str).unwrap_or("not a bulk reply").to_string(),
        }),
    }
}

/// The entry's `value` when its `status` is 200; otherwise counts (and maybe keeps) the error.
pub(crate) fn ok_value<'v>(entry: &'v Value, outcome: &mut Outcome) -> Option<&'v Value> {
    if entry.get("status").and_then(Value::as_i64) == Some(200) {
        return entry.get("value");
    }
    outcome.stats.failed_reads += 1;
    if outcome.errors.len() < MAX_ERRORS {
        let mbean = entry.pointer("/request/mbean").or(entry.pointer("/request/path")).and_then(Value::as_str);
        let error = entry.get("error").and_then(Value::as_str).unwrap_or("no status");
        outcome.errors.push(format!("{}: {error}", mbean.unwrap_or("list")));
    }
    None
}

struct Walker<'r, 'f> {
    flat: Flattener<'r>,
    filter: Filter<'f>,
    meta: Meta,
    /// Names already walked: overlapping includes read an MBean more than once.
    seen: HashSet<String>,
}

impl Walker<'_, '_> {
    fn read(&mut self, plan: &Plan, read: &Read, entry: &Value, value: &Value) {
        // A pattern read answers `{name: {attr: v}}`. Our plan sends only patterns; a concrete
        // name (`{attr: v}`) or a single attribute (`v`) comes from other clients' requests,
        // e.g. captured fixtures.
        let echoed = entry.pointer("/request/mbean").and_then(Value::as_str).and_then(|m| ObjectName::parse(m).ok());
        let attribute = entry.pointer("/request/attribute").and_then(Value::as_str);
        match (echoed, attribute, value.as_object()) {
            (Some(name), Some(attr), _) if !name.is_pattern() => {
                let single = Map::from_iter([(attr.to_string(), value.clone())]);
                self.bean(plan, read, &request::to_text(&name), &single);
            }
            (Some(name), None, Some(attrs)) if !name.is_pattern() => {
                self.bean(plan, read, &request::to_text(&name), attrs)
            }
            (_, _, Some(beans)) => {
                for (name, attrs) in beans {
                    if let Some(attrs) = attrs.as_object() {
                        self.bean(plan, read, name, attrs);
                    }
                }
            }
            _ => {}
        }
    }

    fn bean(&mut self, plan: &Plan, read: &Read, name_text: &str, attrs: &Map<String, Value>) {
        let Ok(name) = ObjectName::parse(name_text) else { return };
        let wanted = read.exact.as_ref().is_none_or(|exact| exact.matches(&name));
        if !wanted {
            return;
        }
        let excluded = plan.excludes.iter().any(|e| e.matches(&name)) || !(self.filter.bean)(name_text);
        if excluded || !self.seen.insert(name.canonical()) {
            self.flat.stats.excluded_beans += 1;
            return;
        }
        if skipped_bean(&name) {
            return;
        }
        self.flat.stats.beans += 1;
        let infos = self.meta.bean(&name);
        for (attr, v) in attrs {
            if skipped_attr(&name, attr) || !(self.filter.attribute)(name_text, attr) {
                continue;
            }
            let info = infos.and_then(|i| i.get(attr));
            let description = info.map_or(attr.as_str(), |i| i.description.as_str());
            let java_type = info.map_or("", |i| i.java_type.as_str());
            let place = Place { domain: &name.domain, properties: &name.properties, attr_keys: &[], description };
            self.flat.value(place, attr, java_type, v);
        }
    }
}

/// `JmxScraper` skips the flight recorder MBean.
fn skipped_bean(name: &ObjectName) -> bool {
    name.domain == "jdk.management.jfr" && name.properties == [("type".to_string(), "FlightRecorder".to_string())]
}

/// `JmxScraper` skips these `java.lang:type=Runtime` attributes: costly and never exported.
fn skipped_attr(name: &ObjectName, attr: &str) -> bool {
    const COSTLY: [&str; 4] = ["SystemProperties", "ClassPath", "BootClassPath", "LibraryPath"];
    name.domain == "java.lang"
        && name.properties == [("type".to_string(), "Runtime".to_string())]
        && COSTLY.iter().any(|c| c.eq_ignore_ascii_case(attr))
}
