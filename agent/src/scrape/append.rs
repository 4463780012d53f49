//! Reading one body into samples, as Prometheus 3's scrape loop appends them: each sample's
//! series from the cache (or resolved once when new), a repeated series kept once and counted,
//! `sample_limit` counted over the whole body, and the checks that fail a scrape (a series left
//! without a name, a name invalid under the job's scheme, the label limits).
//!
//! Entry point: `Scraper::append_body`. The fast path (a known series) allocates nothing.

use std::collections::HashMap;

use super::cache::Lookup;
use super::error::ScrapeError;
use super::new_series::{check_label_limits, merge_target_labels};
use super::parse::{Entry, Format, Known, MetricType, Parser, series_labels};
use super::scraper::{Scraper, Stats};
use crate::labels::Labels;
use crate::relabel;
use crate::series::{Sample, Series};

/// What the cache holds for a known series: the series (`None`: dropped) and its value scale,
/// and whether it was seen before in this scrape.
type Cached = (Option<Series>, f64, bool);

/// A new series waiting for the transforms' verdict.
struct Pending<'b> {
    raw: &'b [u8],
    labels: Labels,
    t: i64,
    v: f64,
}

/// One sample's fate after the cache: where it goes and at what time.
struct Admit {
    series: Series,
    t: i64,
    v: f64,
}

impl Scraper {
    pub(super) async fn append_body(
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
        let mut repeats = Repeats::default();
        let mut over_limit = false;
        loop {
            let cache = &mut self.cache;
            let found = parser.next_known(|raw| match cache.lookup(raw) {
                Lookup::Hit(series, scale) => Some((series, scale, false)),
                Lookup::Repeat(series, scale) => Some((series, scale, true)),
                Lookup::Miss => None,
            })?;
            let ((series, scale, repeat), value, timestamp_ms) = match found {
                None => break,
                Some(Known::Cached(cached, value, ts)) => (cached, value, ts),
                Some(Known::Parsed(Entry::Sample { series: raw, value, timestamp_ms, .. })) => {
                    let explicit = job.honor_timestamps && timestamp_ms.is_some();
                    let ts = if job.honor_timestamps { timestamp_ms } else { None };
                    let kind = parser.metric_type();
                    let Some(cached) = self.parsed(raw, kind, explicit, &mut pending, ts.unwrap_or(t), value, stats)?
                    else {
                        stats.scraped += 1;
                        continue;
                    };
                    (cached, value, timestamp_ms)
                }
                Some(Known::Parsed(_)) => continue,
            };
            stats.scraped += 1;
            let Some(series) = series else { continue };
            stats.post_relabel += 1;
            let t = if job.honor_timestamps { timestamp_ms.unwrap_or(t) } else { t };
            let explicit = job.honor_timestamps && timestamp_ms.is_some();
            if repeat && !repeats.admit(&series, explicit, t, out, stats) {
                continue;
            }
            let v = if scale == 1.0 { value } else { value * scale };
            push_limited(out, job.sample_limit, &mut over_limit, Admit { series, t, v });
        }
        if !pending.is_empty() {
            self.settle(pending, out, stats, &mut over_limit).await?;
        }
        if over_limit {
            return Err(ScrapeError::SampleLimit(job.sample_limit));
        }
        Ok(())
    }

    /// A fully parsed sample: its cached series, or `None` when it is new and waits for the
    /// transforms (in `pending`).
    #[allow(clippy::too_many_arguments)]
    fn parsed<'b>(
        &mut self,
        raw: &'b [u8],
        kind: MetricType,
        explicit: bool,
        pending: &mut Vec<Pending<'b>>,
        t: i64,
        v: f64,
        stats: &mut Stats,
    ) -> Result<Option<Cached>, ScrapeError> {
        // A timestamped sample gets no staleness marker, unless the job tracks their staleness.
        let no_stale = explicit && !self.target.job.track_timestamps_staleness;
        match self.cache.lookup(raw) {
            Lookup::Hit(series, scale) => Ok(Some((series, scale, false))),
            Lookup::Repeat(series, scale) => Ok(Some((series, scale, true))),
            Lookup::Miss if self.transforms.is_some() => {
                self.cache.insert(raw, None, no_stale);
                if let Some(labels) = self.relabelled(raw, kind)? {
                    pending.push(Pending { raw, labels, t, v });
                }
                Ok(None)
            }
            Lookup::Miss => {
                let s = self.resolve(raw, kind)?;
                stats.series_added += s.is_some() as u64;
                self.cache.insert(raw, s.clone(), no_stale);
                Ok(Some((s, 1.0, false)))
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
        over_limit: &mut bool,
    ) -> Result<(), ScrapeError> {
        let Some(stage) = self.transforms.as_mut() else { return Ok(()) };
        let outcomes = stage.resolve(pending.iter().map(|p| p.labels.clone()).collect()).await?;
        let job = self.target.job.clone();
        for (p, outcome) in pending.into_iter().zip(outcomes) {
            let Some((labels, scale)) = outcome else { continue };
            check_names(&labels, &job)?;
            check_label_limits(&labels, job.label_limit, job.label_name_length_limit, job.label_value_length_limit)?;
            let series = stage.series_for(labels, &self.factory);
            self.cache.set(p.raw, Some(series.clone()), scale);
            stats.series_added += 1;
            stats.post_relabel += 1;
            push_limited(out, job.sample_limit, over_limit, Admit { series, t: p.t, v: p.v * scale });
        }
        Ok(())
    }

    /// A new series: its final labels, or `None` if metric relabelling drops it.
    fn resolve(&self, raw: &[u8], kind: MetricType) -> Result<Option<Series>, ScrapeError> {
        let job = &self.target.job;
        let Some(labels) = self.relabelled(raw, kind)? else { return Ok(None) };
        check_names(&labels, job)?;
        check_label_limits(&labels, job.label_limit, job.label_name_length_limit, job.label_value_length_limit)?;
        Ok(Some(self.factory.make(labels)))
    }

    /// A new series' labels after target labels and `metric_relabel_configs`; `None`: dropped
    /// (by a rule, or because no label is left, as in Prometheus' `mutateSampleLabels`).
    fn relabelled(&self, raw: &[u8], kind: MetricType) -> Result<Option<Labels>, ScrapeError> {
        let job = &self.target.job;
        let mut labels = series_labels(raw, kind)?;
        merge_target_labels(&mut labels, &self.target.labels, job.honor_labels);
        let kept = relabel::process(&mut labels, &job.metric_relabel_configs);
        Ok((kept && !labels.is_empty()).then_some(labels))
    }
}

/// Prometheus' checks after relabelling: a name is mandatory, and every name must be valid under
/// the job's `metric_name_validation_scheme`; either failing fails the scrape.
fn check_names(labels: &Labels, job: &crate::config::ScrapeConfig) -> Result<(), ScrapeError> {
    if labels.get("__name__").is_none() {
        return Err(ScrapeError::MissingMetricName);
    }
    if !job.validation.is_valid(labels) {
        return Err(ScrapeError::InvalidNames(go_string(labels)));
    }
    Ok(())
}

/// Prometheus' `Labels.String()`: `{__name__="a", b="c"}`.
fn go_string(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| {
            let one = Labels::from_pairs([(l.name.as_str(), l.value.as_str())]).to_string();
            one[1..one.len() - 1].to_string()
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Appends a sample unless `sample_limit` (0: none) is already reached; past it the rest of the
/// body is still read and counted, as Prometheus does, and the scrape then fails.
fn push_limited(out: &mut Vec<Sample>, limit: u64, over: &mut bool, a: Admit) {
    if limit > 0 && out.len() as u64 >= limit {
        *over = true;
        return;
    }
    out.push(Sample { series: a.series, t: a.t, v: a.v });
}

/// The last timestamp taken for each series repeated in this scrape (only repeated ones).
#[derive(Default)]
struct Repeats(HashMap<u64, i64>);

impl Repeats {
    /// Whether a repeat of `series` at `t` is taken: only with its own timestamp, newer than the
    /// last one taken (Prometheus appends those; an equal one is a duplicate, an older one out
    /// of order; both are dropped and counted).
    fn admit(&mut self, series: &Series, explicit: bool, t: i64, out: &[Sample], stats: &mut Stats) -> bool {
        if !explicit {
            stats.duplicates += 1;
            return false;
        }
        let last = self
            .0
            .entry(series.id())
            .or_insert_with(|| out.iter().rev().find(|s| Series::ptr_eq(&s.series, series)).map_or(i64::MIN, |s| s.t));
        if t > *last {
            *last = t;
            return true;
        }
        if t == *last {
            stats.duplicates += 1;
        } else {
            stats.out_of_order += 1;
        }
        false
    }
}
