//! One target's scrape state: turns a fetched body into the batch to send, through the series
//! cache, honor_labels merging, `metric_relabel_configs`, limits and staleness.
//!
//! Entry point: [`Scraper::process`]. Per sample on a cache hit it does a lookup, an `Arc`
//! clone and a push; label work happens only on a miss ([`Scraper::resolve`]).

use std::sync::Arc;
use std::time::Duration;

use super::cache::{Lookup, SeriesCache};
use super::error::ScrapeError;
use super::parse::{Entry, Format, Parser, series_labels};
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
    report: Vec<Arc<Series>>,
    last_len: usize,
    /// The job's transform plugins, if any.
    transforms: Option<TransformStage>,
}

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
    /// staleness markers, and the report series. `t` is the scrape time in ms.
    pub fn process(
        &mut self,
        fetched: Result<(&[u8], Format), ScrapeError>,
        t: i64,
        took: Duration,
    ) -> (Batch, Stats, Option<ScrapeError>) {
        let mut out = Vec::with_capacity(self.last_len + REPORT_NAMES.len());
        let mut stats = Stats::default();
        let replaced = self.transforms.as_mut().is_some_and(|s| s.changed()).then(|| std::mem::take(&mut self.cache));
        self.cache.begin();
        let result = fetched.and_then(|(body, format)| self.append_body(body, format, t, &mut out, &mut stats));
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

    fn append_body(
        &mut self,
        body: &[u8],
        format: Format,
        t: i64,
        out: &mut Vec<Sample>,
        stats: &mut Stats,
    ) -> Result<(), ScrapeError> {
        let job = self.target.job.clone();
        let mut parser = Parser::new(body, format);
        let mut pending = Vec::new();
        while let Some(entry) = parser.next()? {
            let Entry::Sample { series: raw, value, timestamp_ms, .. } = entry else { continue };
            stats.scraped += 1;
            let explicit = job.honor_timestamps && timestamp_ms.is_some();
            let t = if explicit { timestamp_ms.unwrap_or(t) } else { t };
            let (series, scale) = match self.cache.lookup(raw) {
                Lookup::Hit(e) => (e.series.clone(), e.scale),
                Lookup::Duplicate => {
                    return Err(ScrapeError::DuplicateSeries(String::from_utf8_lossy(raw).into_owned()));
                }
                Lookup::Miss if self.transforms.is_some() => {
                    self.cache.insert(raw, None, explicit);
                    if let Some(labels) = self.relabelled(raw)? {
                        pending.push(Pending { raw, labels, t, v: value });
                    }
                    continue;
                }
                Lookup::Miss => {
                    let s = self.resolve(raw)?;
                    stats.series_added += s.is_some() as u64;
                    self.cache.insert(raw, s.clone(), explicit);
                    (s, 1.0)
                }
            };
            let Some(series) = series else { continue };
            let v = if scale == 1.0 { value } else { value * scale };
            push_limited(out, stats, job.sample_limit, Sample { series, t, v })?;
        }
        if !pending.is_empty() {
            self.settle(pending, out, stats)?;
        }
        Ok(())
    }

    /// Runs the transforms over the scrape's new series, caches their verdicts and appends the
    /// kept samples.
    fn settle(
        &mut self,
        pending: Vec<Pending<'_>>,
        out: &mut Vec<Sample>,
        stats: &mut Stats,
    ) -> Result<(), ScrapeError> {
        let Some(stage) = self.transforms.as_mut() else { return Ok(()) };
        let outcomes = stage.resolve(pending.iter().map(|p| p.labels.clone()).collect())?;
        let job = self.target.job.clone();
        for (p, outcome) in pending.into_iter().zip(outcomes) {
            let Some((labels, scale)) = outcome else { continue };
            check_label_limits(&labels, job.label_limit, job.label_name_length_limit, job.label_value_length_limit)?;
            let series = self.factory.make(labels);
            self.cache.set(p.raw, Some(series.clone()), scale);
            stats.series_added += 1;
            push_limited(out, stats, job.sample_limit, Sample { series, t: p.t, v: p.v * scale })?;
        }
        Ok(())
    }

    /// A new series: its final labels, or `None` if metric relabelling drops it.
    fn resolve(&self, raw: &[u8]) -> Result<Option<Arc<Series>>, ScrapeError> {
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
    let now: std::collections::HashSet<&[u8]> = out.iter().map(|s| s.series.encoded_labels()).collect();
    let gone = old.last_output().into_iter().filter(|s| !now.contains(s.encoded_labels()));
    let gone: Vec<Arc<Series>> = gone.collect();
    out.extend(gone.into_iter().map(|series| Sample { series, t, v: stale_nan() }));
}

/// Adds the target's labels to a scraped series as Prometheus' `mutateSampleLabels` does: with
/// `honor_labels` the scraped value wins; without, the target's wins and a clashing scraped
/// label is kept as `exported_<name>` (more `exported_` prefixes until the name is free).
pub fn merge_target_labels(labels: &mut Labels, target: &Labels, honor: bool) {
    let exposed = labels.clone();
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for l in target {
        match exposed.get(&l.name) {
            Some(_) if honor => {}
            Some(v) => {
                conflicts.push((l.name.clone(), v.to_string()));
                labels.set(l.name.clone(), l.value.clone());
            }
            None => labels.set(l.name.clone(), l.value.clone()),
        }
    }
    conflicts.sort_by_key(|(name, _)| name.len());
    for i in 0..conflicts.len() {
        let mut name = conflicts[i].0.clone();
        loop {
            name = format!("exported_{name}");
            let taken = exposed.get(&name).is_some()
                || target.get(&name).is_some()
                || conflicts[..i].iter().any(|(n, _)| *n == name);
            if !taken {
                break;
            }
        }
        conflicts[i].0 = name;
    }
    for (name, value) in conflicts {
        labels.set(name, value);
    }
}

fn check_label_limits(labels: &Labels, count: u64, name_len: u64, value_len: u64) -> Result<(), ScrapeError> {
    let metric: String = labels.get("__name__").unwrap_or("").chars().take(50).collect();
    if count > 0 && labels.len() as u64 > count {
        return Err(ScrapeError::LabelLimit(format!(
            "label_limit exceeded (metric: {metric}, number of labels: {}, limit: {count})",
            labels.len()
        )));
    }
    for l in labels {
        if name_len > 0 && l.name.len() as u64 > name_len {
            return Err(ScrapeError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {metric}, label name: {}, length: {}, limit: {name_len})",
                l.name,
                l.name.len()
            )));
        }
        if value_len > 0 && l.value.len() as u64 > value_len {
            return Err(ScrapeError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {metric}, label name: {}, value: {:?}, length: {}, limit: {value_len})",
                l.name,
                l.value,
                l.value.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(series: &str, target: &str, honor: bool) -> String {
        let mut l = Labels::parse(series).unwrap();
        merge_target_labels(&mut l, &Labels::parse(target).unwrap(), honor);
        l.to_string()
    }

    #[test]
    fn clashing_labels_become_exported_without_honor_labels() {
        assert_eq!(
            merged(r#"{__name__="m",job="x",exported_job="y"}"#, r#"{job="j",instance="i"}"#, false),
            r#"{__name__="m",exported_exported_job="x",exported_job="y",instance="i",job="j"}"#
        );
    }

    #[test]
    fn honor_labels_keeps_scraped_values() {
        assert_eq!(
            merged(r#"{__name__="m",job="x"}"#, r#"{job="j",instance="i"}"#, true),
            r#"{__name__="m",instance="i",job="x"}"#
        );
    }

    #[test]
    fn label_limits_count_the_metric_name() {
        let l = Labels::parse(r#"{__name__="m",a="1"}"#).unwrap();
        assert!(check_label_limits(&l, 2, 0, 0).is_ok());
        assert!(matches!(check_label_limits(&l, 1, 0, 0), Err(ScrapeError::LabelLimit(_))));
        assert!(check_label_limits(&l, 0, 8, 0).is_ok());
        assert!(matches!(check_label_limits(&l, 0, 7, 0), Err(ScrapeError::LabelLimit(_))), "__name__ is 8 long");
        assert!(matches!(check_label_limits(&l, 0, 0, 0), Ok(())));
        let long = Labels::parse(r#"{__name__="m",a="12345"}"#).unwrap();
        assert!(matches!(check_label_limits(&long, 0, 0, 4), Err(ScrapeError::LabelLimit(_))));
    }
}
