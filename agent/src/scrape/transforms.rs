//! The transform plugins of a job, run on the series that are new in a scrape, after
//! `metric_relabel_configs`: one call per plugin per scrape with new series, never per sample,
//! on the plugin pool (never on the scrape's own thread). Their verdicts (labels and a value
//! factor) are cached with the series by the scraper.
//!
//! The output is checked as a scraped body would be: an invalid label name or metric name, a
//! duplicate label name or a factor that is not a finite number fails the scrape; series that end
//! up with the same label set keep the first sample of each scrape ([`duplicates`]).
//!
//! Entry point: [`TransformStage::resolve`]. When a plugin is reloaded, [`TransformStage::changed`]
//! tells the scraper to resolve every series again.

mod duplicates;

use std::sync::Arc;
use std::time::Duration;

use super::error::ScrapeError;
use crate::labels::Labels;
use crate::plugin::transform::{self, Pairs, Verdict};
use crate::plugin::{Backoff, PluginError, registry};
use crate::series::{Sample, Series, SeriesFactory};

pub struct TransformStage {
    names: Vec<String>,
    /// Generations of the plugins the cached verdicts came from.
    generations: Vec<u64>,
    backoff: Backoff,
    target: String,
    timeout: Duration,
    owners: duplicates::Owners,
}

/// A series' fate after every transform: `None` dropped, else labels and a value factor.
pub type Outcome = Option<(Labels, f64)>;

impl TransformStage {
    pub fn new(names: &[String], target: &str, timeout: Duration) -> Option<Self> {
        if names.is_empty() {
            return None;
        }
        let generations = names.iter().map(|n| registry().generation(n)).collect();
        let (names, target) = (names.to_vec(), target.to_string());
        let owners = duplicates::Owners::default();
        Some(TransformStage { names, generations, backoff: Backoff::default(), target, timeout, owners })
    }

    /// Whether a plugin was reloaded since the cached verdicts were made (and remembers the new
    /// generations).
    pub fn changed(&mut self) -> bool {
        let now: Vec<u64> = self.names.iter().map(|n| registry().generation(n)).collect();
        if now == self.generations {
            return false;
        }
        self.generations = now;
        self.owners = duplicates::Owners::default();
        true
    }

    /// Runs every transform, in order, over `batch`; one outcome per series.
    pub async fn resolve(&mut self, batch: Vec<Labels>) -> Result<Vec<Outcome>, ScrapeError> {
        let result = self.resolve_inner(batch).await;
        if let Err(ScrapeError::Plugin(e)) = &result {
            self.backoff.record(e.is_crash());
        } else {
            self.backoff.record(false);
        }
        result
    }

    /// The series of a resolved label set (shared with any series that already has it).
    pub fn series_for(&mut self, labels: Labels, factory: &SeriesFactory) -> Series {
        let plugin = self.names.last().map_or("", String::as_str);
        self.owners.series_for(labels, factory, plugin)
    }

    /// Keeps the first sample of a scrape for each label set that several series were given.
    pub fn dedupe(&self, out: &mut Vec<Sample>) {
        self.owners.dedupe(out, self.names.last().map_or("", String::as_str));
    }

    async fn resolve_inner(&mut self, batch: Vec<Labels>) -> Result<Vec<Outcome>, ScrapeError> {
        let mut state: Vec<Option<(Pairs, f64)>> = batch.iter().map(|l| Some((pairs(l), 1.0))).collect();
        for name in &self.names {
            if let Some(failures) = self.backoff.should_skip() {
                return Err(counted(name, PluginError::Backoff { plugin: name.clone(), failures }));
            }
            let loaded = registry().get(name).map_err(|e| counted(name, e))?;
            let alive: Vec<usize> = (0..state.len()).filter(|&i| state[i].is_some()).collect();
            if alive.is_empty() {
                break;
            }
            let input = alive.iter().filter_map(|&i| state[i].as_ref().map(|(p, _)| p.clone())).collect();
            let call = transform::rewrite(Arc::clone(&loaded), input, self.target.clone(), self.timeout);
            let verdicts = call.await.map_err(|e| counted(name, e))?;
            for (i, verdict) in alive.into_iter().zip(verdicts) {
                apply(&mut state[i], verdict).map_err(|message| bad(name, message))?;
            }
        }
        let last = self.names.last().map_or("transform", String::as_str);
        state.into_iter().map(|s| s.map(|(p, f)| finish(p, f).map_err(|m| bad(last, m))).transpose()).collect()
    }
}

fn counted(name: &str, e: PluginError) -> ScrapeError {
    e.count(name);
    ScrapeError::Plugin(e)
}

fn bad(plugin: &str, message: String) -> ScrapeError {
    counted(plugin, PluginError::BadOutput { plugin: plugin.to_string(), message })
}

fn pairs(labels: &Labels) -> Pairs {
    labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect()
}

/// Applies one verdict. A rescale factor must be a finite number (NaN or an infinity would turn
/// every value into NaN or an infinity for as long as the verdict is cached).
fn apply(state: &mut Option<(Pairs, f64)>, verdict: Verdict) -> Result<(), String> {
    let Some((labels, factor)) = state else { return Ok(()) };
    match verdict {
        Verdict::Keep => {}
        Verdict::Drop => *state = None,
        Verdict::Rewrite(l) => *labels = l,
        Verdict::Rescale { factor: f, labels: l } => {
            if !f.is_finite() {
                return Err(format!("rescale factor {f} for {} is not a finite number", show(labels)));
            }
            *factor *= f;
            if let Some(l) = l {
                *labels = l;
            }
        }
    }
    Ok(())
}

fn show(pairs: &Pairs) -> String {
    Labels::from_pairs(pairs.iter().cloned()).to_string()
}

/// Checks a plugin's label set: a valid metric name, valid and unique label names, no empty
/// values (dropped, as Prometheus does).
fn finish(pairs: Pairs, factor: f64) -> Result<(Labels, f64), String> {
    if !factor.is_finite() {
        return Err(format!("the rescale factors for {} multiply to {factor}, not a finite number", show(&pairs)));
    }
    let mut labels = Labels::new();
    for (name, value) in pairs {
        if !valid_label_name(&name) {
            return Err(format!("invalid label name {name:?}"));
        }
        if labels.get(&name).is_some() {
            return Err(format!("duplicate label {name:?}"));
        }
        if !value.is_empty() {
            labels.set(name, value);
        }
    }
    match labels.get("__name__") {
        Some(n) if valid_metric_name(n) => Ok((labels, factor)),
        other => Err(format!("invalid or missing metric name {other:?}")),
    }
}

fn valid_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn valid_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_compose_and_factors_multiply() {
        let mut s = Some((vec![("__name__".to_string(), "a".to_string())], 1.0));
        apply(&mut s, Verdict::Rescale { factor: 0.5, labels: None }).unwrap();
        apply(&mut s, Verdict::Rescale { factor: 4.0, labels: Some(vec![("__name__".into(), "b".into())]) }).unwrap();
        let (labels, factor) = finish(s.clone().unwrap().0, s.unwrap().1).unwrap();
        assert_eq!((labels.to_string().as_str(), factor), (r#"{__name__="b"}"#, 2.0));
        let mut d = Some((vec![], 1.0));
        apply(&mut d, Verdict::Drop).unwrap();
        apply(&mut d, Verdict::Keep).unwrap();
        assert!(d.is_none());
    }

    #[test]
    fn invalid_labels_from_a_plugin_fail_the_scrape() {
        assert!(finish(vec![("__name__".into(), "1bad".into())], 1.0).is_err());
        assert!(finish(vec![("__name__".into(), "m".into()), ("a-b".into(), "x".into())], 1.0).is_err());
        assert!(finish(vec![("a".into(), "x".into())], 1.0).is_err());
    }

    #[test]
    fn non_finite_rescale_factors_fail_zero_and_negative_do_not() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut s = Some((vec![("__name__".to_string(), "m".to_string())], 1.0));
            let e = apply(&mut s, Verdict::Rescale { factor: f, labels: None }).unwrap_err();
            assert!(e.contains("not a finite number") && e.contains(r#"{__name__="m"}"#), "{e}");
        }
        for f in [0.0, -1.0, f64::MIN_POSITIVE] {
            let mut s = Some((vec![("__name__".to_string(), "m".to_string())], 1.0));
            assert!(apply(&mut s, Verdict::Rescale { factor: f, labels: None }).is_ok());
        }
    }
}
