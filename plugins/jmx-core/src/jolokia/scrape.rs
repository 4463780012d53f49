//! One scrape of a target: [`scrape`]. It reads only what the rules need, as the [`State`] of the
//! previous scrape remembers it, and discovers only the MBeans that are new.
//!
//! Round trips (each one bulk POST through the caller's [`Jolokia`]):
//! 1. `search` of each `includeObjectNames` pattern (the change check: MBean names only), the
//!    reads the state plans, and the JVM metrics' reads. When every MBean found is known, that is
//!    the whole scrape.
//! 2. For MBeans not seen before (all of them without a state; [`super::discover`]): `list` of
//!    them (a few) or of their domains, for attribute types and descriptions.
//! 3. Their attributes, each read as its [`super::AttrKind`] says, and the types of their open data.
//! 4. Only if an attribute of an unknown class answered with a string: whether it is an enum.
//!
//! (One more, rarely: open data that was `null` at discovery and now has a value gets its type.)
//!
//! A new MBean's attributes are then planned ([`super::needed`]): the next scrapes read only those
//! some rule may export. Output is the same as reading everything, as `JmxScraper` does.

use std::collections::HashSet;

use serde_json::Value;

use super::flatten::{Flattener, Stats};
use super::request::{self, Bulk};
use super::state::{State, name_hash};
use super::walk::{Gathered, Purpose, flatten_bean, push_reads};
use super::{hint, jvm, reply};
use crate::Receiver;
use crate::config::JmxConfig;
use crate::object_name::ObjectName;
use crate::rules::Collector;

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

pub(super) struct Run<'c, 'j> {
    pub(super) config: &'c JmxConfig,
    jolokia: &'j mut dyn Jolokia,
    pub(super) out: Outcome,
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

    /// One round trip: the reply's entries, in request order.
    pub(super) fn post(&mut self, bulk: &Bulk<Purpose>) -> Result<Vec<Value>, ScrapeError> {
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

    pub(super) fn absorb(&mut self, g: Gathered) {
        self.out.failed += g.failed;
        let room = 5usize.saturating_sub(self.out.errors.len());
        self.out.errors.extend(g.errors.into_iter().take(room));
    }
}
