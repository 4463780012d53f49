//! The JMX exporter's rule engine: a [`Collector`] receives one scrape's flattened attributes
//! ([`crate::Receiver`]), matches each against the config's rules ([`matcher`]) and prints the
//! exposition the JMX exporter 1.x would print for them ([`exposition`]). Pure: no I/O, no
//! clock; one `Collector` per scrape.

pub mod cache;
pub mod exposition;
pub mod matcher;
pub mod names;
pub mod pattern;
pub mod replace;

use crate::config::JmxConfig;
use crate::{BeanAttr, Receiver};
pub use cache::MatchCache;
pub use matcher::{Sample, Skip};

/// Collects one scrape.
pub struct Collector<'c> {
    config: &'c JmxConfig,
    cache: Option<&'c mut MatchCache>,
    samples: Vec<Sample>,
    skipped: Skipped,
}

/// Attributes that gave no sample, by reason (bounded kinds, for self-metrics).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Skipped {
    pub no_rule_matched: u64,
    pub not_a_number: u64,
    pub empty_name: u64,
    /// Replacement or label errors, where the JMX exporter would abort the scrape.
    pub errors: u64,
}

impl<'c> Collector<'c> {
    pub fn new(config: &'c JmxConfig) -> Collector<'c> {
        Collector { config, cache: None, samples: Vec::new(), skipped: Skipped::default() }
    }

    /// A collector that reuses (and updates) the decisions of earlier scrapes; keep one
    /// `MatchCache` per `JmxConfig` and pass it to every scrape's collector.
    pub fn with_cache(config: &'c JmxConfig, cache: &'c mut MatchCache) -> Collector<'c> {
        Collector { cache: Some(cache), ..Collector::new(config) }
    }

    /// The samples matched so far, in the order recorded.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub fn skipped(&self) -> Skipped {
        self.skipped
    }

    /// The exposition text of everything recorded; ends the scrape for the cache.
    pub fn finish(self) -> String {
        if let Some(cache) = self.cache {
            cache.rotate();
        }
        exposition::render(self.samples)
    }
}

impl Receiver for Collector<'_> {
    fn record_bean(&mut self, attr: &BeanAttr<'_>) {
        let result = match self.cache.as_deref_mut() {
            Some(cache) => cache.record(self.config, attr),
            None => matcher::record(self.config, attr),
        };
        match result {
            Ok(s) => self.samples.push(s),
            Err(Skip::NoRuleMatched) => self.skipped.no_rule_matched += 1,
            Err(Skip::NotANumber) => self.skipped.not_a_number += 1,
            Err(Skip::EmptyName) => self.skipped.empty_name += 1,
            Err(Skip::BadReplacement(_) | Skip::DuplicateLabelName(_)) => self.skipped.errors += 1,
        }
    }
}
