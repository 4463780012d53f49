//! Transform output checked like a scraped body for repeats: when a transform gives several
//! series the same label set, the first sample of a scrape keeps it and the others are dropped
//! and counted (`scrapelet_plugin_duplicate_samples_total{plugin}`), the scrape goes on — what
//! Prometheus 3 does with a repeated series (its TSDB refuses the second sample of a series at
//! one timestamp and counts it).
//!
//! Entry point: [`Owners`]. Every label set a transform produced maps to its one [`Series`], so
//! colliding raw series share it; a scrape then keeps each shared series' first sample (and a
//! staleness marker of one raw series never follows another's sample). Targets without
//! collisions pay nothing per sample; the table costs about 40 bytes a series of a job with
//! transforms, and forgets series the cache let go.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use tracing::warn;

use crate::labels::Labels;
use crate::series::{Sample, Series, SeriesFactory, is_stale_nan};

/// The series made for the label sets the transforms produced, by hash of the labels.
#[derive(Default)]
pub struct Owners {
    by_labels: HashMap<u64, Vec<Series>>,
    /// Series that more than one raw series resolved to.
    shared: HashSet<u64>,
    /// Series in `by_labels` when it was last swept of series nobody else holds.
    swept_at: usize,
    len: usize,
}

impl Owners {
    /// The series for `labels`: the one already made for them if it is still in use (the new raw
    /// series is then a duplicate of it), else a new one.
    pub fn series_for(&mut self, labels: Labels, factory: &SeriesFactory, plugin: &str) -> Series {
        let key = FixedState::with_seed(0x7a5f_0c1d).hash_one(&labels);
        let found = self.by_labels.get(&key).and_then(|v| v.iter().find(|s| s.is_shared() && s.labels() == labels));
        if let Some(series) = found {
            if self.shared.insert(series.id()) {
                warn!(plugin, series = %labels, "transforms gave several series this label set; the first sample of each scrape is kept");
            }
            return series.clone();
        }
        let series = factory.make(labels);
        self.by_labels.entry(key).or_default().push(series.clone());
        self.len += 1;
        if self.len > 2 * self.swept_at + 1024 {
            self.sweep();
        }
        series
    }

    /// Keeps the first sample of each shared series and timestamp in `out` (one scrape's samples
    /// and staleness markers), counting the samples dropped (a marker of a series that another
    /// raw series still reports is dropped uncounted).
    pub fn dedupe(&self, out: &mut Vec<Sample>, plugin: &str) {
        if self.shared.is_empty() {
            return;
        }
        let (mut seen, mut dropped) = (HashSet::new(), 0);
        out.retain(|s| {
            let keep = !self.shared.contains(&s.series.id()) || seen.insert((s.series.id(), s.t));
            dropped += u64::from(!keep && !is_stale_nan(s.v));
            keep
        });
        if dropped > 0 {
            crate::metrics::get().plugin_duplicate_samples.with(&[plugin]).add(dropped);
        }
    }

    /// Forgets series nobody but this table holds (gone from the series cache).
    fn sweep(&mut self) {
        self.by_labels.retain(|_, v| {
            v.retain(Series::is_shared);
            !v.is_empty()
        });
        let live: HashSet<u64> = self.by_labels.values().flatten().map(Series::id).collect();
        self.shared.retain(|id| live.contains(id));
        self.len = self.by_labels.values().map(Vec::len).sum();
        self.swept_at = self.len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Labels {
        Labels::parse(s).unwrap()
    }

    #[test]
    fn colliding_label_sets_share_a_series_and_a_scrape_keeps_the_first_sample() {
        let (mut owners, factory) = (Owners::default(), SeriesFactory::default());
        let a = owners.series_for(l(r#"{__name__="m",x="1"}"#), &factory, "t");
        let other = owners.series_for(l(r#"{__name__="m",x="2"}"#), &factory, "t");
        let b = owners.series_for(l(r#"{__name__="m",x="1"}"#), &factory, "t");
        assert_eq!(a.id(), b.id());
        let sample = |series: &Series, t, v| Sample { series: series.clone(), t, v };
        let stale = crate::series::stale_nan();
        let mut out = vec![sample(&a, 1, 1.0), sample(&other, 1, 2.0), sample(&b, 1, 3.0), sample(&b, 2, 4.0)];
        out.push(sample(&a, 1, stale)); // the other raw series went away: its marker
        owners.dedupe(&mut out, "dedupe-test");
        let kept: Vec<(i64, f64)> = out.iter().map(|s| (s.t, s.v)).collect();
        assert_eq!(kept, [(1, 1.0), (1, 2.0), (2, 4.0)], "the first sample of the shared series and timestamp is kept");
        assert_eq!(crate::metrics::get().plugin_duplicate_samples.with(&["dedupe-test"]).get(), 1);
    }

    #[test]
    fn a_label_set_whose_series_is_gone_gets_a_new_series() {
        let (mut owners, factory) = (Owners::default(), SeriesFactory::default());
        let first = owners.series_for(l(r#"{__name__="m"}"#), &factory, "t").id();
        let again = owners.series_for(l(r#"{__name__="m"}"#), &factory, "t");
        assert_ne!(first, again.id(), "the first series was dropped by everyone: not a duplicate");
        assert!(owners.shared.is_empty());
    }
}
