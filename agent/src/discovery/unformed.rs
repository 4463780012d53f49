//! Targets relabelling kept but that cannot be formed (no address, an address holding a `/`, an
//! interval or timeout label that does not parse, a timeout above the interval): Prometheus
//! logs "Creating target failed" and does not scrape them; neither does the agent, and it lists
//! them on `/targets` and `/api/v1/targets` (`data.unformedTargets`) with the reason, counted in
//! `scrapelet_target_sync_failed_total{job}` (Prometheus' `prometheus_target_sync_failed_total`).
//!
//! Entry points: [`record`] (per job, each time discovery publishes), [`all`].

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use crate::http_client::url::redact;
use crate::labels::Labels;
use crate::metrics;

/// One target that could not be formed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unformed {
    pub job: String,
    /// `namespace/pod` for a discovered pod, else the `__address__` it was given.
    pub source: String,
    /// Why, as Prometheus says it (passwords of a `user:pass@` masked).
    pub reason: String,
}

fn registry() -> &'static Mutex<BTreeSet<Unformed>> {
    static R: OnceLock<Mutex<BTreeSet<Unformed>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Where a discovered label set came from, for a person.
pub fn source_of(discovered: &Labels) -> String {
    match (discovered.get("__meta_kubernetes_namespace"), discovered.get("__meta_kubernetes_pod_name")) {
        (Some(ns), Some(pod)) => format!("{ns}/{pod}"),
        _ => redact(discovered.get("__address__").unwrap_or("")).into_owned(),
    }
}

/// Replaces `job`'s list with `failures` (source, reason); counts each new one once.
pub fn record(job: &str, failures: Vec<(String, String)>) {
    let found: BTreeSet<Unformed> = failures
        .into_iter()
        .map(|(source, reason)| Unformed { job: job.to_string(), source, reason: redact(&reason).into_owned() })
        .collect();
    let mut current = registry().lock().unwrap();
    let new = found.difference(&current).count() as u64;
    if new > 0 {
        metrics::get().target_sync_failed.with(&[job]).add(new);
    }
    current.retain(|u| u.job != job);
    current.extend(found);
}

/// Every target that could not be formed, by job.
pub fn all() -> Vec<Unformed> {
    registry().lock().unwrap().iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_each_failure_once_and_forgets_fixed_ones() {
        let counter = metrics::get().target_sync_failed.with(&["unformed-test"]);
        let before = counter.get();
        let failure = ("ns/p".to_string(), "\"10.0.0.5:80/x\" is not a valid hostname".to_string());
        record("unformed-test", vec![failure.clone()]);
        record("unformed-test", vec![failure]);
        assert_eq!(counter.get() - before, 1);
        let listed: Vec<Unformed> = all().into_iter().filter(|u| u.job == "unformed-test").collect();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].source, "ns/p");
        record("unformed-test", vec![]);
        assert!(all().iter().all(|u| u.job != "unformed-test"));
    }

    #[test]
    fn a_password_in_an_address_is_masked() {
        let l = Labels::from_pairs([("__address__", "user:pw@10.0.0.5:80/x")]);
        assert_eq!(source_of(&l), "user:xxxxx@10.0.0.5:80/x");
    }
}
