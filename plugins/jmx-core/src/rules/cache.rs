//! Rule decisions remembered between scrapes of one config, so that steady state does little
//! regex work (LESSONS: the JMX exporter's per-scrape regex cost). A decision is reused only
//! when it cannot differ from a fresh one: keyed by the attribute and its value text, or by the
//! attribute alone when only `cache: true` rules (which match `<cache>`, not the value) were
//! tried. Entries not seen in a scrape are dropped at its end, as Java evicts stale entries.

use super::matcher::{self, Input, Outcome, Sample, Skip};
use crate::BeanAttr;
use crate::config::JmxConfig;
use std::collections::HashMap;

/// Decisions of the previous and the current scrape. Use one per `JmxConfig`.
#[derive(Default)]
pub struct MatchCache {
    prev: HashMap<String, Outcome>,
    next: HashMap<String, Outcome>,
    hits: u64,
}

impl MatchCache {
    pub fn new() -> MatchCache {
        MatchCache::default()
    }

    /// Decisions kept for the next scrape.
    pub fn len(&self) -> usize {
        self.prev.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prev.is_empty()
    }

    /// Attributes decided from the cache since it was made.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Matches one attribute, reusing an earlier decision where that is exact.
    pub(crate) fn record(&mut self, config: &JmxConfig, attr: &BeanAttr<'_>) -> Result<Sample, Skip> {
        let input = Input::new(attr);
        // Everything the decision reads besides the value: the help text uses the description.
        let mut base = format!("{}\0{}\0{}\0", input.bean_name, attr.attr_name, attr.attr_description);
        for (n, v) in attr.attribute_labels {
            base.push_str(&format!("{n}={v}\0"));
        }
        let independent = format!("{base}\u{1}");
        let dependent = format!("{base}\u{2}{}", input.value_text);
        for key in [independent.as_str(), dependent.as_str()] {
            if let Some(outcome) = self.take(key) {
                self.hits += 1;
                return matcher::finish(config, outcome, attr.value);
            }
        }
        let decision = matcher::decide(config, &input);
        let key = if decision.value_independent { independent } else { dependent };
        self.next.insert(key, decision.outcome.clone());
        matcher::finish(config, decision.outcome, attr.value)
    }

    fn take(&mut self, key: &str) -> Option<Outcome> {
        if let Some(o) = self.next.get(key) {
            return Some(o.clone());
        }
        let (k, o) = self.prev.remove_entry(key)?;
        self.next.insert(k, o.clone());
        Some(o)
    }

    /// Ends a scrape: what was not seen in it is forgotten.
    pub(crate) fn rotate(&mut self) {
        self.prev = std::mem::take(&mut self.next);
    }
}
