//! The JMX exporter's rule engine: a [`Collector`] receives one scrape's flattened attributes
//! ([`crate::Receiver`]), matches each against the config's rules ([`matcher`]) and prints the
//! exposition the JMX exporter 1.x would print for them ([`exposition`]). Pure: no I/O, no
//! clock; one `Collector` per scrape.

pub mod exposition;
pub mod matcher;
pub mod names;
pub mod pattern;
pub mod replace;

use crate::config::JmxConfig;
use crate::{BeanAttr, Receiver};
pub use matcher::{Sample, Skip};

/// Collects one scrape.
pub struct Collector<'c> {
    config: &'c JmxConfig,
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
        Collector { config, samples: Vec::new(), skipped: Skipped::default() }
    }

    /// The samples matched so far, in the order recorded.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub fn skipped(&self) -> Skipped {
        self.skipped
    }

    /// The exposition text of everything recorded.
    pub fn finish(self) -> String {
        exposition::render(self.samples)
    }
}

impl Receiver for Collector<'_> {
    fn record_bean(&mut self, attr: &BeanAttr<'_>) {
        match matcher::record(self.config, attr) {
            Ok(s) => self.samples.push(s),
            Err(Skip::NoRuleMatched) => self.skipped.no_rule_matched += 1,
            Err(Skip::NotANumber) => self.skipped.not_a_number += 1,
            Err(Skip::EmptyName) => self.skipped.empty_name += 1,
            Err(Skip::BadReplacement(_) | Skip::DuplicateLabelName(_)) => self.skipped.errors += 1,
        }
    }
}
