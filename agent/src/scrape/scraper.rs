//! One target's scrape state: turns a fetched body into the batch to send, through the series
//! cache, honor_labels merging, `metric_relabel_configs`, limits and staleness.
//!
//! Entry point: [`Scraper::process`]. Per sample on a cache hit it does a lookup, an `Arc`
//! clone and a push; label work happens only on a miss ([`Scraper::resolve`]).

use std::sync::Arc;
use std::time::Duration;

use super::cache::{Lookup, SeriesCache};
use super::error::ScrapeError;
use super::new_series::{check_label_limits, merge_target_labels};
use super::parse::{Entry, Format, Known, Parser, series_labels};
use super::target::Target;
use super::transforms::TransformStage;
use crate::labels::Labels;
use crate::relabel;
use crate::series::{Batch, Sample, Series, SeriesFactory, stale_nan};

/// Counts of one scrape, reported as the `scrape_*` series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub scraped: u64,
    pub post_relabel: u64,
    pub series_added: u64,
}

/// The synthetic series every target reports, in this order.
const REPORT_NAMES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

pub struct Scraper {
    pub target: Target,
    cache: SeriesCache,
    factory: Arc<SeriesFactory>,
    report: Vec<Series>,
    last_len: usize,
    /// The job's transform plugins, if any.
    transforms: Option<TransformStage>,
}

/// What the cache holds for a known series: the series (`None`: dropped) and its value scale.
type Cached = (Option<Series>, f64);

/// A new series waiting for the transforms' verdict.
struct Pending<'b> {
    raw: &'b [u8],
    labels: Labels,
    t: i64,
    v: f64,
}

impl Scraper {
    pub fn new(target: Target, factory: Arc<SeriesFactory>) -> Self {
        let report = REPORT_NAMES
            .iter()
            .map(|name| {
                let mut l = target.labels.clone();
                l.set("__name__".into(), name.to_string());
                factory.make(l)
            })
            .collect();
        let transforms = TransformStage::new(&target.job.transforms, &target.url, target.timeout);
        Scraper { target, cache: SeriesCache::default(), factory, report, last_len: 0, transforms }
    }

    /// Turns one fetch result into the batch to send: the samples (or, on any failure, none),
    /// staleness markers, and the report series. `t` is the scrape time in ms. Async only for the
    /// transform plugins of new series, which run on the plugin pool.
    pub async fn process(
        &mut self,
        fetched: Result<(&[u8], Format), ScrapeError>,
        t: i64,
        took: Duration,
    ) -> (Batch, Stats, Option<ScrapeError>) {
        let mut out = Vec::with_capacity(self.last_len + REPORT_NAMES.len());
        let mut stats = Stats::default();
        let replaced = self.transforms.as_mut().is_some_and(|s| s.changed()).then(|| std::mem::take(&mut self.cache));
        self.cache.begin();
        let result = match fetched {
            Ok((body, format)) => self.scrape_body(body, format, t, &mut out, &mut stats).await,
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
        let up = if error.is_none() { 1.0 } else { 0.0 };
        let values =
            [up, took.as_secs_f64(), stats.scraped as f64, stats.post_relabel as f64, stats.series_added as f64];
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

    /// The body's samples into `out`; new series of a job with transforms are resolved by them.
    async fn scrape_body(
        &mut self,
        body: &[u8],
        format: Format,
        t: i64,
        out: &mut Vec<Sample>,
        stats: &mut Stats,
    ) -> Result<(), ScrapeError> {
        let pending = self.append_body(body, format, t, out, stats)?;
        if !pending.is_empty() {
            self.settle(pending, out, stats).await?;
        }
        Ok(())
    }

    /// Appends the samples of known series; returns the new series waiting for the transforms.
    fn append_body<'b>(
        &mut self,
        body: &'b [u8],
        format: Format,
        t: i64,
        out: &mut Vec<Sample>,
        stats: &mut Stats,
    ) -> Result<Vec<Pending<'b>>, ScrapeError> {
        let job = self.target.job.clone();
        let mut parser = Parser::new(body, format);
        let mut pending = Vec::new();
        loop {
            let cache = &mut self.cache;
            let found = parser.next_known(|raw| match cache.lookup(raw) {
                Lookup::Hit(series, scale) => Some(Ok((series, scale))),
                Lookup::Duplicate => Some(Err(raw)),
                Lookup::Miss => None,
            })?;
            let (series, scale, value, t) = match found {
                None => break,
                Some(Known::Parsed(Entry::Sample { series: raw, value, timestamp_ms, .. })) => {
                    stats.scraped += 1;
                    let explicit = job.honor_timestamps && timestamp_ms.is_some();
                    let t = if explicit { timestamp_ms.unwrap_or(t) } else { t };
                    let Some((series, scale)) = self.parsed(raw, explicit, &mut pending, t, value, stats)? else {
                        continue;
                    };
                    (series, scale, value, t)
                }
                Some(Known::Parsed(_)) => continue,
                Some(Known::Cached(Err(raw), ..)) => return Err(duplicate(raw)),
                Some(Known::Cached(Ok((series, scale)), value, timestamp_ms)) => {
                    stats.scraped += 1;
                    (series, scale, value, if job.honor_timestamps { timestamp_ms.unwrap_or(t) } else { t })
                }
            };
            let Some(series) = series else { continue };
            let v = if scale == 1.0 { value } else { value * scale };
            push_limited(out, stats, job.sample_limit, Sample { series, t, v })?;
        }
        Ok(pending)
    }

    /// A sample the cache did not answer for in the fast path: its cached series and scale, or
    /// `None` when it waits for the transforms (in `pending`).
    fn parsed<'b>(
        &mut self,
        raw: &'b [u8],
        explicit: bool,
        pending: &mut Vec<Pending<'b>>,
        t: i64,
        v: f64,
        stats: &mut Stats,
    ) -> Result<Option<Cached>, ScrapeError> {
        match self.cache.lookup(raw) {
            Lookup::Hit(series, scale) => Ok(Some((series, scale))),
            Lookup::Duplicate => Err(duplicate(raw)),
            Lookup::Miss if self.transforms.is_some() => {
                self.cache.insert(raw, None, explicit);
                if let Some(labels) = self.relabelled(raw)? {
                    pending.push(Pending { raw, labels, t, v });
                }
                Ok(None)
            }
            Lookup::Miss => {
                let s = self.resolve(raw)?;
                stats.series_added += s.is_some() as u64;
                self.cache.insert(raw, s.clone(), explicit);
                Ok(Some((s, 1.0)))
            }
        }
    }

    /// Runs the transforms over the scrape's new series, caches their verdicts and appends the
    /// kept samples.
    async fn settle(
        &mut self,
        pending: Vec<Pending<'_>>,
        out: &mut Vec<Sample>,
        stats: &mut Stats,
    ) -> Result<(), ScrapeError> {
        let Some(stage) = self.transforms.as_mut() else { return Ok(()) };
        let outcomes = stage.resolve(pending.iter().map(|p| p.labels.clone()).collect()).await?;
        let job = self.target.job.clone();
        for (p, outcome) in pending.into_iter().zip(outcomes) {
            let Some((labels, scale)) = outcome else { continue };
            check_label_limits(&labels, job.label_limit, job.label_name_length_limit, job.label_value_length_limit)?;
            let series = stage.series_for(labels, &self.factory);
            self.cache.set(p.raw, Some(series.clone()), scale);
            stats.series_added += 1;
            push_limited(out, stats, job.sample_limit, Sample { series, t: p.t, v: p.v * scale })?;
        }
        Ok(())
    }

    /// A new series: its final labels, or `None` if metric relabelling drops it.
    fn resolve(&self, raw: &[u8]) -> Result<Option<Series>, ScrapeError> {
        let job = &self.target.job;
        let Some(labels) = self.relabelled(raw)? else { return Ok(None) };
        check_label_limits(&labels, job.label_limit, job.label_name_length_limit, job.label_value_length_limit)?;
        Ok(Some(self.factory.make(labels)))
    }

    /// A new series' labels after target labels and `metric_relabel_configs`; `None`: dropped.
    fn relabelled(&self, raw: &[u8]) -> Result<Option<Labels>, ScrapeError> {
        let job = &self.target.job;
        let mut labels = series_labels(raw)?;
        merge_target_labels(&mut labels, &self.target.labels, job.honor_labels);
        Ok(relabel::process(&mut labels, &job.metric_relabel_configs).then_some(labels))
    }
}

fn duplicate(raw: &[u8]) -> ScrapeError {
    ScrapeError::DuplicateSeries(String::from_utf8_lossy(raw).into_owned())
}

/// Appends a sample, failing the scrape past `sample_limit` (0: none).
fn push_limited(out: &mut Vec<Sample>, stats: &mut Stats, limit: u64, sample: Sample) -> Result<(), ScrapeError> {
    stats.post_relabel += 1;
    if limit > 0 && stats.post_relabel > limit {
        return Err(ScrapeError::SampleLimit(limit));
    }
    out.push(sample);
    Ok(())
}

/// After a transform reload replaced the cache: staleness markers for the series of the old
/// cache's last output that this scrape did not produce again.
fn stale_replaced(old: SeriesCache, t: i64, out: &mut Vec<Sample>) {
    let now: std::collections::HashSet<Vec<u8>> = out.iter().map(|s| s.series.to_rw1()).collect();
    let mut once = std::collections::HashSet::new();
    let gone = old.last_output().into_iter().filter(|s| !now.contains(&s.to_rw1()) && once.insert(s.id()));
    let gone: Vec<Series> = gone.collect();
    out.extend(gone.into_iter().map(|series| Sample { series, t, v: stale_nan() }));
}
