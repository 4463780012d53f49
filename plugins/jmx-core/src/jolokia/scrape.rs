//! One scrape of a target: [`scrape`]. It reads only what the rules need, as the [`State`] of the
//! previous scrape remembers it, and discovers only the MBeans that are new.
//!
//! Round trips (each one bulk POST through the caller's [`Jolokia`]):
//! 1. `search` of each `includeObjectNames` pattern (the change check: MBean names only), the
//!    reads the state plans, and the JVM metrics' reads. When every MBean found is known, that is
//!    the whole scrape.
//! 2. For MBeans not seen before (all of them without a state): `list` of their domains, for
//!    attribute types and descriptions.
//! 3. Their attributes, each read as its [`AttrKind`] says, and the types of their open data.
//! 4. Only if an attribute of an unknown class answered with a string: whether it is an enum.
//!
//! A new MBean's attributes are then planned ([`super::needed`]): the next scrapes read only those
//! some rule may export. Output is the same as reading everything, as `JmxScraper` does.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::flatten::{Flattener, Stats};
use super::kind::AttrKind;
use super::list::Meta;
use super::needed::plan_bean;
use super::request::{self, Bulk};
use super::state::{Attr, PlannedBean, State, name_hash};
use super::walk::{Gathered, Purpose, flatten_bean, flatten_enum, push_reads, skipped_attr, skipped_bean};
use super::{hint, jvm, reply};
use crate::Receiver;
use crate::config::JmxConfig;
use crate::object_name::ObjectName;
use crate::rules::Collector;
use crate::rules::reach::Reach;

/// The transport: POSTs a bulk request body to Jolokia and returns the reply body.
pub trait Jolokia {
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String>;
}

/// What a scrape reads besides the rules' MBeans.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The `java.lang` reads for the JVM metrics the javaagent exports.
    pub jvm_metrics: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("{0}")]
    Transport(String),
    #[error("Jolokia's reply is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("Jolokia refused the request (status {status}): {error}")]
    Refused { status: i64, error: String },
    #[error("Jolokia's reply has {got} entries, the request had {expected}")]
    Layout { expected: usize, got: usize },
}

/// One scrape's result.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The rules' exposition (as the JMX exporter prints it).
    pub rules: String,
    /// The JVM metrics' exposition (empty when switched off).
    pub jvm: String,
    /// For the next scrape of this target.
    pub state: State,
    /// For the log (and `scrapelet plugin run`): a rules set that exported nothing.
    pub warnings: Vec<String>,
    pub stats: Stats,
    /// Requests Jolokia answered with an error, and the first few messages.
    pub failed: usize,
    pub errors: Vec<String>,
    /// MBeans found by the includes, and how many of them were new.
    pub beans: usize,
    pub discovered: usize,
    pub round_trips: usize,
    /// Bytes of requests and replies.
    pub bytes: usize,
}

/// Scrapes one target. `state` is what the previous scrape of it returned
/// ([`State::decode`] of the stored bytes: empty for a first scrape or other rules).
pub fn scrape(
    config: &JmxConfig,
    options: Options,
    state: State,
    jolokia: &mut dyn Jolokia,
) -> Result<Outcome, ScrapeError> {
    let mut collector = Collector::new(config);
    let (mut out, names) = walk_names(config, options, state, jolokia, &mut collector)?;
    if out.discovered > 0 && collector.samples().is_empty() {
        out.warnings.push(hint::no_match(config, &names));
    }
    out.rules = collector.finish();
    Ok(out)
}

/// [`scrape`] without the rules: every flattened attribute goes to `receiver`.
pub fn walk(
    config: &JmxConfig,
    options: Options,
    state: State,
    jolokia: &mut dyn Jolokia,
    receiver: &mut dyn Receiver,
) -> Result<Outcome, ScrapeError> {
    walk_names(config, options, state, jolokia, receiver).map(|(out, _)| out)
}

fn walk_names(
    config: &JmxConfig,
    options: Options,
    state: State,
    jolokia: &mut dyn Jolokia,
    receiver: &mut dyn Receiver,
) -> Result<(Outcome, Vec<String>), ScrapeError> {
    let mut run = Run { config, jolokia, out: Outcome { state, ..Outcome::default() } };
    let mut flat = Flattener { receiver, stats: Stats::default() };
    let names = run.first_round(&mut flat, options)?;
    let new: Vec<&String> = names.iter().filter(|n| !run.out.state.knows(n)).collect();
    let mut hashes: Vec<u64> = names.iter().map(|n| name_hash(n)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    run.out.state.plan.retain(|b| hashes.binary_search(&name_hash(&b.name)).is_ok());
    run.out.discovered = new.len();
    if !new.is_empty() {
        run.discover(&mut flat, &new)?;
    }
    run.out.state.beans = hashes;
    run.out.beans = names.len();
    run.out.stats = flat.stats;
    Ok((run.out, names))
}

/// Up to this many new MBeans are listed one by one rather than by domain.
const LIST_ONE_BY_ONE: usize = 32;

struct Run<'c, 'j> {
    config: &'c JmxConfig,
    jolokia: &'j mut dyn Jolokia,
    out: Outcome,
}

impl Run<'_, '_> {
    /// Round 1: the searches, the planned reads, the JVM reads. Flattens the planned MBeans still
    /// there; returns every MBean name the includes match, in the order found.
    fn first_round(&mut self, flat: &mut Flattener<'_>, options: Options) -> Result<Vec<String>, ScrapeError> {
        let mut bulk = Bulk::default();
        let searches =
            if self.config.reads_all() { vec!["*:*".to_string()] } else { self.config.include_object_names.clone() };
        for pattern in &searches {
            bulk.push(request::search(pattern), Purpose::Search);
        }
        let plan = std::mem::take(&mut self.out.state.plan);
        for (i, b) in plan.iter().enumerate() {
            push_reads(&mut bulk, i, &b.name, &b.attrs, false);
        }
        if options.jvm_metrics {
            jvm::requests().into_iter().for_each(|r| bulk.push(r, Purpose::Jvm));
        }
        let entries = self.post(&bulk)?;
        let (mut names, mut seen, mut jvm_entries) = (Vec::new(), HashSet::new(), Vec::new());
        let mut gathered = Gathered::new(plan.len());
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            match purpose {
                Purpose::Search => {
                    let found = gathered.ok_value(entry).and_then(|v| serde_json::from_value::<Vec<String>>(v).ok());
                    for n in found.unwrap_or_default() {
                        if self.config.includes_object_name(&n) && seen.insert(n.clone()) {
                            names.push(n);
                        }
                    }
                }
                Purpose::Jvm => jvm_entries.push(entry),
                p => {
                    let bean = match p {
                        Purpose::Values { bean } | Purpose::Path { bean, .. } => *bean,
                        _ => continue,
                    };
                    gathered.take(p, &plan[bean].attrs, entry);
                }
            }
        }
        let mut plan = plan;
        self.type_new_open_data(&mut plan, &mut gathered)?;
        for (i, b) in plan.iter().enumerate() {
            let Ok(name) = ObjectName::parse(&b.name) else { continue };
            if seen.contains(&b.name) {
                flatten_bean(flat, self.config, &name, &b.attrs, &gathered.values[i]);
            }
        }
        self.out.state.plan = plan;
        self.absorb(gathered);
        if options.jvm_metrics {
            self.out.jvm = jvm::exposition(&jvm_entries);
        }
        Ok(names)
    }

    /// Open data that was `null` when its MBean was discovered has no known type; once it has a
    /// value, one more round trip asks for the type, and its MBean is planned again with it.
    fn type_new_open_data(&mut self, plan: &mut [PlannedBean], gathered: &mut Gathered) -> Result<(), ScrapeError> {
        let untyped = |b: &PlannedBean, values: &std::collections::HashMap<String, Value>| -> Vec<String> {
            let open = b.attrs.iter().filter(|a| a.kind == AttrKind::Open(None));
            open.filter(|a| values.get(&a.name).is_some_and(|v| v.is_object())).map(|a| a.name.clone()).collect()
        };
        let mut bulk = Bulk::default();
        for (i, b) in plan.iter().enumerate() {
            let names = untyped(b, &gathered.values[i]);
            if !names.is_empty() {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                bulk.push(request::read(&b.name, &names, Some(1)), Purpose::Types { bean: i });
            }
        }
        if bulk.is_empty() {
            return Ok(());
        }
        let entries = self.post(&bulk)?;
        let mut reach = Reach::new(self.config);
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            let Purpose::Types { bean } = purpose else { continue };
            gathered.take(purpose, &plan[*bean].attrs, entry);
            for a in plan[*bean].attrs.iter_mut() {
                if let Some(t) = gathered.types[*bean].remove(&a.name) {
                    a.kind = AttrKind::Open(Some(t));
                }
            }
            let Ok(name) = ObjectName::parse(&plan[*bean].name) else { continue };
            let replanned = plan_bean(&mut reach, self.config, &name, &plan[*bean].attrs, &gathered.values[*bean]);
            // A bean no rule can use any more stays until the end of this scrape, unread after.
            plan[*bean].attrs = replanned.map(|p| p.attrs).unwrap_or_default();
        }
        Ok(())
    }

    /// Rounds 2–4 for MBeans not seen before: flattens them and adds their plans to the state.
    fn discover(&mut self, flat: &mut Flattener<'_>, names: &[&String]) -> Result<(), ScrapeError> {
        let names: Vec<(&String, ObjectName)> = names
            .iter()
            .filter_map(|n| Some((*n, ObjectName::parse(n).ok()?)))
            .filter(|(_, n)| !skipped_bean(n))
            .collect();
        let meta = self.list(&names)?;
        let mut beans: Vec<(&String, ObjectName, Vec<Attr>)> = Vec::new();
        for (text, name) in names {
            let Some(infos) = meta.bean(&name) else { continue };
            let mut attrs: Vec<Attr> = infos
                .iter()
                .filter(|(a, _)| !skipped_attr(&name, a) && self.config.includes_attribute(text, a))
                .map(|(a, i)| Attr {
                    name: a.clone(),
                    declared: i.java_type.clone(),
                    description: i.description.clone(),
                    kind: AttrKind::of(&i.java_type),
                })
                .collect();
            attrs.sort_by(|a, b| a.name.cmp(&b.name));
            if !attrs.is_empty() {
                beans.push((text, name, attrs));
            }
        }
        // Round 3: the values, and the open types.
        let mut bulk = Bulk::default();
        for (i, (text, _, attrs)) in beans.iter().enumerate() {
            push_reads(&mut bulk, i, text, attrs, true);
        }
        let mut gathered = Gathered::new(beans.len());
        if !bulk.is_empty() {
            let entries = self.post(&bulk)?;
            for (purpose, entry) in bulk.purposes().iter().zip(entries) {
                let bean = match purpose {
                    Purpose::Values { bean } | Purpose::Path { bean, .. } | Purpose::Types { bean } => *bean,
                    _ => continue,
                };
                gathered.take(purpose, &beans[bean].2, entry);
            }
        }
        let mut candidates = Vec::new();
        for (i, (_, name, attrs)) in beans.iter_mut().enumerate() {
            for a in attrs.iter_mut() {
                if let (AttrKind::Open(t @ None), Some(found)) = (&mut a.kind, gathered.types[i].remove(&a.name)) {
                    *t = Some(found);
                }
            }
            let found = flatten_bean(flat, self.config, name, attrs, &gathered.values[i]);
            candidates.extend(found.into_iter().map(|(attr, value)| (i, attr, value)));
        }
        self.confirm_enums(flat, &mut beans, &gathered, candidates)?;
        let mut reach = Reach::new(self.config);
        for (i, (_, name, attrs)) in beans.iter().enumerate() {
            let planned = plan_bean(&mut reach, self.config, name, attrs, &gathered.values[i]);
            self.out.state.plan.extend(planned);
        }
        self.absorb(gathered);
        Ok(())
    }

    /// Round 2: attribute infos of the new MBeans: a few are listed one by one (a webapp, a
    /// request processor Tomcat adds), many by their domains.
    fn list(&mut self, names: &[(&String, ObjectName)]) -> Result<Meta, ScrapeError> {
        let mut bulk = Bulk::default();
        if names.len() <= LIST_ONE_BY_ONE {
            for (i, (_, name)) in names.iter().enumerate() {
                bulk.push(request::list_bean(name), Purpose::ListBean { bean: i });
            }
        } else {
            let domains: BTreeSet<&str> = names.iter().map(|(_, n)| n.domain()).collect();
            for d in domains {
                bulk.push(request::list(d), Purpose::List(d.to_owned()));
            }
        }
        let mut meta = Meta::default();
        let mut gathered = Gathered::default();
        let entries = self.post(&bulk)?;
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            match (purpose, gathered.ok_value(entry)) {
                (Purpose::List(domain), Some(value)) => meta.add(domain, &value),
                (Purpose::ListBean { bean }, Some(value)) => meta.add_bean(&names[*bean].1, &value),
                _ => {}
            }
        }
        self.absorb(gathered);
        Ok(meta)
    }

    /// Round 4: Jolokia answers a path equal to an enum's name with the name (`EnumExtractor`),
    /// and anything else (a `toString`, a string) with nothing.
    fn confirm_enums(
        &mut self,
        flat: &mut Flattener<'_>,
        beans: &mut [(&String, ObjectName, Vec<Attr>)],
        gathered: &Gathered,
        candidates: Vec<(usize, usize, String)>,
    ) -> Result<(), ScrapeError> {
        if candidates.is_empty() {
            return Ok(());
        }
        let mut bulk = Bulk::default();
        for (bean, attr, value) in candidates {
            let (text, _, attrs) = &beans[bean];
            let entry = request::read_path(text, &attrs[attr].name, &value, None);
            bulk.push(entry, Purpose::Enum { bean, attr, value });
        }
        let entries = self.post(&bulk)?;
        for (purpose, entry) in bulk.purposes().iter().zip(entries) {
            let Purpose::Enum { bean, attr, value } = purpose else { continue };
            if entry.get("value").and_then(Value::as_str) == Some(value.as_str()) {
                let (_, name, attrs) = &mut beans[*bean];
                attrs[*attr].kind = AttrKind::Enum;
                flatten_enum(flat, self.config, name, &gathered.values[*bean], &attrs[*attr], value);
            }
        }
        Ok(())
    }

    /// One round trip: the reply's entries, in request order.
    fn post(&mut self, bulk: &Bulk<Purpose>) -> Result<Vec<Value>, ScrapeError> {
        let body = bulk.body();
        let reply = self.jolokia.post(&body).map_err(ScrapeError::Transport)?;
        self.out.round_trips += 1;
        self.out.bytes += body.len() + reply.len();
        let lists: Vec<Option<usize>> = bulk
            .purposes()
            .iter()
            .map(|p| match p {
                Purpose::List(_) => Some(1),
                Purpose::ListBean { .. } => Some(0),
                _ => None,
            })
            .collect();
        match reply::parse(&lists, &reply)? {
            Value::Array(entries) if entries.len() == bulk.len() => Ok(entries),
            Value::Array(entries) => Err(ScrapeError::Layout { expected: bulk.len(), got: entries.len() }),
            other => Err(ScrapeError::Refused {
                status: other.get("status").and_then(Value::as_i64).unwrap_or(0),
                error: other.get("error").and_then(Value::as_str).unwrap_or("not a bulk reply").to_string(),
            }),
        }
    }

    fn absorb(&mut self, g: Gathered) {
        self.out.failed += g.failed;
        let room = 5usize.saturating_sub(self.out.errors.len());
        self.out.errors.extend(g.errors.into_iter().take(room));
    }
}
