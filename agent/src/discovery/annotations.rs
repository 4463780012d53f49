//! Pods whose `prometheus.io/*` or `scrapelet.io/*` annotations cannot be used: listed on `/targets` with the reason
//! and counted in `scrapelet_discovery_invalid_annotations_total{reason}`, never silently lost.
//!
//! Purely informational: targets are still formed by `relabel_configs` exactly as Prometheus
//! would (a bad port may become a failing scrape or no target; an odd path is requested on the
//! pod itself, never elsewhere: `http_client::url`); this only says why. Checked when discovery
//! publishes a change, never per scrape.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use crate::labels::Labels;
use crate::metrics;

const ANNOTATION: &str = "__meta_kubernetes_pod_annotation_";

/// One pod with an unusable annotation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InvalidPod {
    pub job: String,
    /// `namespace/name`.
    pub pod: String,
    /// `prometheus.io/port` etc.
    pub annotation: &'static str,
    pub value: String,
    /// Bounded: `invalid_port`, `invalid_scheme`, `invalid_path`, `invalid_scrape`,
    /// `unknown_exporter`, `unknown_rules`, `invalid_limit`.
    pub reason: &'static str,
}

/// What is wrong with one discovered label set's annotations, if anything.
pub fn check(labels: &Labels) -> Vec<(&'static str, String, &'static str)> {
    let mut out = Vec::new();
    let mut bad = |annotation: &'static str, key: &str, reason: &'static str, ok: fn(&str) -> bool| {
        if let Some(v) = labels.get(&format!("{ANNOTATION}{key}"))
            && !ok(v)
        {
            out.push((annotation, v.to_string(), reason));
        }
    };
    bad("prometheus.io/scrape", "prometheus_io_scrape", "invalid_scrape", |v| v == "true" || v == "false");
    let port = |v: &str| v.parse::<u16>().is_ok_and(|p| p > 0);
    bad("prometheus.io/port", "prometheus_io_port", "invalid_port", port);
    bad("prometheus.io/scheme", "prometheus_io_scheme", "invalid_scheme", |v| v == "http" || v == "https");
    bad("prometheus.io/path", "prometheus_io_path", "invalid_path", |v| v.starts_with('/'));
    bad("scrapelet.io/exporter", "scrapelet_io_exporter", "unknown_exporter", |v| {
        crate::plugin::registry().declared(v)
    });
    bad("scrapelet.io/jolokia-port", "scrapelet_io_jolokia_port", "invalid_port", port);
    let count = |v: &str| v.parse::<u64>().is_ok();
    bad("scrapelet.io/sample-limit", "scrapelet_io_sample_limit", "invalid_limit", count);
    bad("scrapelet.io/label-limit", "scrapelet_io_label_limit", "invalid_limit", count);
    bad("scrapelet.io/body-size-limit", "scrapelet_io_body_size_limit", "invalid_limit", |v| {
        crate::config::yaml::parse_size(v).is_some()
    });
    if let Some(set) = labels.get(&format!("{ANNOTATION}scrapelet_io_jmx_rules")) {
        let plugin = labels.get(&format!("{ANNOTATION}scrapelet_io_exporter")).unwrap_or("jmx");
        if !has_rules_set(plugin, set) {
            out.push(("scrapelet.io/jmx-rules", set.to_string(), "unknown_rules"));
        }
    }
    out
}

/// Whether the `plugin`'s configuration names the rules set `set` under `rules_sets:`.
fn has_rules_set(plugin: &str, set: &str) -> bool {
    let config = crate::plugin::registry().config(plugin);
    config.as_ref().and_then(|c| c.get("rules_sets")).and_then(|r| r.as_object()).is_some_and(|m| m.contains_key(set))
}

/// The pods with unusable annotations right now, every job.
fn registry() -> &'static Mutex<BTreeSet<InvalidPod>> {
    static R: OnceLock<Mutex<BTreeSet<InvalidPod>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Replaces `job`'s list with what `discovered` shows; counts each (pod, reason) once.
pub fn record(job: &str, discovered: &[Labels]) {
    let mut found = BTreeSet::new();
    for labels in discovered {
        let ns = labels.get("__meta_kubernetes_namespace").unwrap_or("");
        let pod = format!("{ns}/{}", labels.get("__meta_kubernetes_pod_name").unwrap_or(""));
        for (annotation, value, reason) in check(labels) {
            found.insert(InvalidPod { job: job.to_string(), pod: pod.clone(), annotation, value, reason });
        }
    }
    let mut current = registry().lock().unwrap();
    for p in found.difference(&current) {
        metrics::get().discovery_invalid_annotations.with(&[p.reason]).inc();
    }
    current.retain(|p| p.job != job);
    current.extend(found);
}

/// Every pod with an unusable annotation, by job.
pub fn all() -> Vec<InvalidPod> {
    registry().lock().unwrap().iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_non_numeric_ports_and_unknown_schemes() {
        let l = Labels::from_pairs([
            ("__meta_kubernetes_pod_annotation_prometheus_io_port", "http"),
            ("__meta_kubernetes_pod_annotation_prometheus_io_scheme", "ftp"),
            ("__meta_kubernetes_pod_annotation_prometheus_io_path", "/metrics"),
        ]);
        let reasons: Vec<_> = check(&l).into_iter().map(|(_, _, r)| r).collect();
        assert_eq!(reasons, ["invalid_port", "invalid_scheme"]);
        let undeclared = Labels::from_pairs([("__meta_kubernetes_pod_annotation_scrapelet_io_exporter", "nope")]);
        assert_eq!(check(&undeclared)[0].2, "unknown_exporter");
        let jmx = Labels::from_pairs([
            ("__meta_kubernetes_pod_annotation_scrapelet_io_jolokia_port", "jolokia"),
            ("__meta_kubernetes_pod_annotation_scrapelet_io_jmx_rules", "tomcat"),
        ]);
        let reasons: Vec<_> = check(&jmx).into_iter().map(|(a, _, r)| (a, r)).collect();
        assert_eq!(
            reasons,
            [("scrapelet.io/jolokia-port", "invalid_port"), ("scrapelet.io/jmx-rules", "unknown_rules")]
        );
        let limits = Labels::from_pairs([
            ("__meta_kubernetes_pod_annotation_scrapelet_io_sample_limit", "lots"),
            ("__meta_kubernetes_pod_annotation_scrapelet_io_body_size_limit", "32MiB"),
        ]);
        assert_eq!(check(&limits), [("scrapelet.io/sample-limit", "lots".to_string(), "invalid_limit")]);
        let ok = Labels::from_pairs([("__meta_kubernetes_pod_annotation_prometheus_io_port", "8090")]);
        assert!(check(&ok).is_empty());
    }

    #[test]
    fn records_each_pod_once_per_reason() {
        let l = Labels::from_pairs([
            ("__meta_kubernetes_namespace", "ns"),
            ("__meta_kubernetes_pod_name", "p"),
            ("__meta_kubernetes_pod_annotation_prometheus_io_port", "x"),
        ]);
        let counter = metrics::get().discovery_invalid_annotations.with(&["invalid_port"]);
        let before = counter.get();
        record("annotations-test", &[l.clone(), l.clone()]);
        record("annotations-test", &[l]);
        assert_eq!(counter.get() - before, 1);
        assert_eq!(all().iter().filter(|p| p.job == "annotations-test").count(), 1);
        record("annotations-test", &[]);
        assert_eq!(all().iter().filter(|p| p.job == "annotations-test").count(), 0);
    }
}
