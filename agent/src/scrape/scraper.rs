//! One target's scrape state: turns a fetched body into the batch to send, through the series
//! cache, honor_labels merging, `metric_relabel_configs`, limits and staleness.
//!
//! Entry point: [`Scraper::process`]. Per sample on a cache hit it does a lookup, an `Arc`
//! clone and a push; label work happens only on a miss (see [`super::append`], which reads the
//! body). A scraper can take over the cache of the loop it replaces after a reload
//! ([`Scraper::take_over`]), so that no series still exposed gets a staleness marker.

use std::sync::Arc;
use std::time::Duration;

use super::cache::SeriesCache;
use super::error::ScrapeError;
use super::parse::Format;
use super::target::Target;
use super::transforms::TransformStage;
use crate::http_client::body::BodyError;
use crate::series::{Batch, Sample, Series, SeriesFactory, stale_nan};

/// Counts of one scrape, reported as the `scrape_*` series and on `/targets`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Samples in the body (Prometheus' `scrape_samples_scraped`).
    pub scraped: u64,
    /// Samples left after metric relabelling, repeats included (`scrape_samples_post_metric_relabeling`).
    pub post_relabel: u64,
    pub series_added: u64,
    /// Repeats of a series already in this scrape with no newer timestamp: dropped, the first
    /// sample kept (Prometheus' `prometheus_target_scrapes_sample_duplicate_timestamp_total`).
    pub duplicates: u64,
    /// Repeats carrying an older timestamp than the one already taken: dropped.
    pub out_of_order: u64,
}

/// The synthetic series every target reports, in this order; with `extra_scrape_metrics` the
/// last three too.
const REPORT_NAMES: [&str; 8] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
];

pub struct Scraper {
    pub target: Target,
    pub(super) cache: SeriesCache,
    pub(super) factory: Arc<SeriesFactory>,
    report: Vec<Series>,
    last_len: usize,
    /// The job's transform plugins, if any.
    pub(super) transforms: Option<TransformStage>,
    /// A cache whose series this scraper no longer resolves the same way (the job's metric
    /// relabelling changed in a reload): after the next scrape, what it last sent and that scrape
    /// did not send again gets a staleness marker.
    replaced: Option<SeriesCache>,
}

/// What a fetch handed over: the body and its format, or why there is none.
pub type Fetched<'b> = Result<(&'b [u8], Format), ScrapeError>;

impl Scraper {
    pub fn new(target: Target, factory: Arc<SeriesFactory>) -> Self {
        let reports = if target.job.extra_scrape_metrics { REPORT_NAMES.len() } else { 5 };
        let report = REPORT_NAMES[..reports]
            .iter()
            .map(|name| {
                let mut l = target.labels.clone();
                l.set("__name__".into(), name.to_string());
                factory.make(l)
            })
            .collect();
        let transforms = TransformStage::new(&target.job.transforms, &target.url, target.timeout);
        Scraper { target, cache: SeriesCache::default(), factory, report, last_len: 0, transforms, replaced: None }
    }

    /// Takes over the state of the scraper a reload replaces. With `reuse` (only interval,
    /// timeout, limits or HTTP settings changed: Prometheus' `reusableCache`) the cache is kept
    /// as it is; otherwise its series are resolved anew and it only settles staleness.
    pub fn take_over(&mut self, old: Scraper, reuse: bool) {
        if reuse {
            self.cache = old.cache;
            self.last_len = old.last_len;
        } else {
            self.replaced = Some(old.cache);
        }
    }

    /// The same target with an empty series cache (after a scrape panicked mid-way).
    pub fn renewed(&self) -> Scraper {
        Scraper::new(self.target.clone(), self.factory.clone())
    }

    /// Turns one fetch result into the batch to send: the samples (or, on any failure, none),
    /// staleness markers, and the report series. `t` is the scrape time in ms. Async only for the
    /// transform plugins of new series, which run on the plugin pool.
    pub async fn process(
        &mut self,
        fetched: Fetched<'_>,
        t: i64,
        took: Duration,
    ) -> (Batch, Stats, Option<ScrapeError>) {
        let mut out = Vec::with_capacity(self.last_len + self.report.len());
        let mut stats = Stats::default();
        let changed = self.transforms.as_mut().is_some_and(|s| s.changed());
        let replaced = self.replaced.take().or_else(|| changed.then(|| std::mem::take(&mut self.cache)));
        self.cache.begin();
        let body_len = match &fetched {
            Ok((body, _)) => body.len() as f64,
            Err(ScrapeError::Body(BodyError::SizeLimit(_))) => -1.0,
            Err(_) => 0.0,
        };
        let result = match fetched {
            Ok((body, format)) => self.append_body(body, format, t, &mut out, &mut stats).await,
            Err(e) => Err(e),
        };
        let error = match result {
            Ok(()) => {
                self.cache.finish_ok(t, &mut out);
                None
            }
            Err(e) => {
                out.clear();
                self.cache.finish_failed(t, &mut out);
                Some(e)
            }
        };
        if let Some(old) = replaced {
            stale_replaced(old, t, &mut out);
        }
        if let Some(stage) = &self.transforms {
            stage.dedupe(&mut out); // series a transform gave one label set: samples and markers
        }
        self.last_len = out.len();
        let job = &self.target.job;
        let up = if error.is_none() { 1.0 } else { 0.0 };
        let values = [
            up,
            took.as_secs_f64(),
            stats.scraped as f64,
            stats.post_relabel as f64,
            stats.series_added as f64,
            self.target.timeout.as_secs_f64(),
            job.sample_limit as f64,
            body_len,
        ];
        for (series, v) in self.report.iter().zip(values) {
            out.push(Sample { series: series.clone(), t, v });
        }
        (out, stats, error)
    }

    /// Staleness markers for everything this target reported (it went away).
    pub fn stop(&mut self, t: i64) -> Batch {
        let mut out = Vec::new();
        self.cache.finish_all(t, &mut out);
        out.extend(self.report.iter().map(|s| Sample { series: s.clone(), t, v: stale_nan() }));
        out
    }
}

/// After the cache was replaced (transform reload, or a reload that changed the job's metric
/// relabelling): staleness markers for the series of the old cache's last output that this
/// scrape did not produce again.
fn stale_replaced(old: SeriesCache, t: i64, out: &mut Vec<Sample>) {
    let now: std::collections::HashSet<Vec<u8>> = out.iter().map(|s| s.series.to_rw1()).collect();
    let mut once = std::collections::HashSet::new();
    let gone = old.last_output().into_iter().filter(|s| !now.contains(&s.to_rw1()) && once.insert(s.id()));
    let gone: Vec<Series> = gone.collect();
    out.extend(gone.into_iter().map(|series| Sample { series, t, v: stale_nan() }));
}
