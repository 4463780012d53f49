//! The JMX exporter's rule engine: a [`Collector`] receives one scrape's flattened attributes
//! ([`crate::Receiver`]), matches each against the config's rules ([`matcher`]) and prints the
//! exposition the JMX exporter 1.x would print for them ([`exposition`]). Pure: no I/O, no
//! clock; one `Collector` per scrape, with a [`MatchCache`] kept between scrapes of a config.
//!
//! What the walker must hand over for the output to match (JmxScraper, newest stored):
//! key properties in written order (Jolokia `canonicalNaming=false`), values with quotes;
//! composite keys appended to `attr_keys`; tabular index columns appended to the properties
//! (a repeated name gets `_` appended until unique, a composite index `idx_part`), and a
//! row column named `value` (any case) keeps the attribute name and keys; `Date` as seconds
//! (`java.lang.Double`, text as `Double.toString`); enums and `Optional` unwrapped; nulls,
//! arrays and other types not recorded; `java.lang:type=Runtime` `SystemProperties`,
//! `ClassPath`, `BootClassPath`, `LibraryPath` and `jdk.management.jfr:type=FlightRecorder`
//! skipped; [`JmxConfig::includes_object_name`], [`JmxConfig::includes_attribute`] and
//! [`JmxConfig::metric_customizer`] applied (extra metrics recorded as attributes,
//! `attributesAsLabels` in [`BeanAttr::attribute_labels`]).
//!
//! Where each semantic comes from (code index of public repositories; commit where it gives one):
//! - prometheus/jmx_exporter `collector/src/main/java/io/prometheus/jmx/JmxCollector.java`,
//!   newest stored version (the 1.4+ line: `inferCounterTypeFromName`, `metricCustomizers`,
//!   `excludeJvmMetrics`, `toSafeName`, help `domain:name=..,type=..,attribute=..`): config
//!   keys and validation, `recordBean`, `defaultExport`.
//! - `MatchedRule.java` (the version that calls `PrometheusNaming.sanitizeMetricName` and
//!   `Labels.of`), `MatchedRuleToMetricSnapshotsConverter.java` @1a93f59250ac (same logic
//!   @99c3d24ae0de), `ObjectNameAttributeFilter.java` @1a93f59250ac, `JmxScraper.java`
//!   (newest stored: nulls dropped, `Date` as seconds, tabular index `key_`/`key_id` naming).
//! - `collector/src/test/java/io/prometheus/jmx/JmxCollectorTest.java` @0f48ae1089d2 (1.6 line:
//!   `valueFactor`/`startDelaySeconds`/`scrapeTimeoutSeconds` validation).
//! - prometheus/client_java: `PrometheusTextFormatWriter.java` @001ab867dda8,
//!   `TextFormatUtil.java` @05061655c0bb, `PrometheusNaming.java` @06ddff1f7e1b
//!   (`sanitizeMetricName` as restored in 1.6.x), `MetricSnapshot.java` @0738a6846fdd,
//!   `CounterSnapshot.java` @014f248c03de, `Labels.java` (`compareTo`, `sortAndValidate`).
//! - OpenJDK `Matcher.appendExpandedReplacement`, `Double.toString` (JDK 19+ shortest digits).

pub mod cache;
pub mod exposition;
mod java_regex;
pub mod matcher;
pub mod names;
pub mod pattern;
pub mod reach;
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
    /// `recordBean`.
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
