//! The transform plugins of a job, run on the series that are new in a scrape, after
//! `metric_relabel_configs`: one call per plugin per scrape with new series, never per sample.
//! Their verdicts (labels and a value factor) are cached with the series by the scraper.
//!
//! Entry point: [`TransformStage::resolve`]. When a plugin is reloaded, [`TransformStage::changed`]
//! tells the scraper to resolve every series again.

use std::time::Duration;

use super::error::ScrapeError;
use crate::labels::Labels;
use crate::plugin::transform::{self, Pairs, Verdict};
use crate::plugin::{Backoff, PluginError, registry};

pub struct TransformStage {
    names: Vec<String>,
    /// Generations of the plugins the cached verdicts came from.
    generations: Vec<u64>,
    backoff: Backoff,
    target: String,
    timeout: Duration,
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
        Some(TransformStage { names, generations, backoff: Backoff::default(), target, timeout })
    }

    /// Whether a plugin was reloaded since the cached verdicts were made (and remembers the new
    /// generations).
    pub fn changed(&mut self) -> bool {
        let now: Vec<u64> = self.names.iter().map(|n| registry().generation(n)).collect();
        if now == self.generations {
            return false;
        }
        self.generations = now;
        true
    }

    /// Runs every transform, in order, over `batch`; one outcome per series.
    pub fn resolve(&mut self, batch: Vec<Labels>) -> Result<Vec<Outcome>, ScrapeError> {
        let result = self.resolve_inner(batch);
        if let Err(ScrapeError::Plugin(e)) = &result {
            self.backoff.record(e.is_crash());
        } else {
            self.backoff.record(false);
        }
        result
    }

    fn resolve_inner(&mut self, batch: Vec<Labels>) -> Result<Vec<Outcome>, ScrapeError> {
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
            let verdicts =
                transform::rewrite(&loaded, input, &self.target, self.timeout).map_err(|e| counted(name, e))?;
            for (i, verdict) in alive.into_iter().zip(verdicts) {
                apply(&mut state[i], verdict);
            }
        }
        state.into_iter().map(|s| s.map(|(p, f)| finish(p, f)).transpose()).collect()
    }
}

fn counted(name: &str, e: PluginError) -> ScrapeError {
    e.count(name);
    ScrapeError::Plugin(e)
}

fn pairs(labels: &Labels) -> Pairs {
    labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect()
}

fn apply(state: &mut Option<(Pairs, f64)>, verdict: Verdict) {
    let Some((labels, factor)) = state else { return };
    match verdict {
        Verdict::Keep => {}
        Verdict::Drop => *state = None,
        Verdict::Rewrite(l) => *labels = l,
        Verdict::Rescale { factor: f, labels: l } => {
            *factor *= f;
            if let Some(l) = l {
                *labels = l;
            }
        }
    }
}

/// Checks a plugin's label set: a valid metric name, valid and unique label names, no empty
/// values (dropped, as Prometheus does).
fn finish(pairs: Pairs, factor: f64) -> Result<(Labels, f64), ScrapeError> {
    let mut labels = Labels::new();
    for (name, value) in pairs {
        if !valid_label_name(&name) {
            return Err(bad(format!("invalid label name {name:?}")));
        }
        if labels.get(&name).is_some() {
            return Err(bad(format!("duplicate label {name:?}")));
        }
        if !value.is_empty() {
            labels.set(name, value);
        }
    }
    match labels.get("__name__") {
        Some(n) if valid_metric_name(n) => Ok((labels, factor)),
        other => Err(bad(format!("invalid or missing metric name {other:?}"))),
    }
}

fn bad(message: String) -> ScrapeError {
    ScrapeError::Plugin(PluginError::BadOutput { plugin: "transform".into(), message })
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
        apply(&mut s, Verdict::Rescale { factor: 0.5, labels: None });
        apply(&mut s, Verdict::Rescale { factor: 4.0, labels: Some(vec![("__name__".into(), "b".into())]) });
        let (labels, factor) = finish(s.clone().unwrap().0, s.unwrap().1).unwrap();
        assert_eq!((labels.to_string().as_str(), factor), (r#"{__name__="b"}"#, 2.0));
        let mut d = Some((vec![], 1.0));
        apply(&mut d, Verdict::Drop);
        apply(&mut d, Verdict::Keep);
        assert!(d.is_none());
    }

    #[test]
    fn invalid_labels_from_a_plugin_fail_the_scrape() {
        assert!(finish(vec![("__name__".into(), "1bad".into())], 1.0).is_err());
        assert!(finish(vec![("__name__".into(), "m".into()), ("a-b".into(), "x".into())], 1.0).is_err());
        assert!(finish(vec![("a".into(), "x".into())], 1.0).is_err());
    }
}
