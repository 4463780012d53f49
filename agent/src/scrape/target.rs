//! Scrape targets: from a job's `static_configs` (or discovery) through `relabel_configs` to a
//! URL and a final target label set, exactly as Prometheus' `PopulateLabels` forms them.
//!
//! Entry points: [`targets_for_job`] for static targets, [`Target::from_labels`] for any
//! discovered label set; [`TargetSet`] is what discovery hands the scrape manager.

use std::sync::Arc;
use std::time::Duration;

use crate::config::ScrapeConfig;
use crate::config::yaml::parse_duration;
use crate::http_client::url;
use crate::labels::Labels;
use crate::relabel;

/// The label relabelling sets to pick a target's exporter plugin.
pub const EXPORTER_LABEL: &str = "__exporter__";

/// One target, ready to scrape.
#[derive(Clone, Debug)]
pub struct Target {
    pub job: Arc<ScrapeConfig>,
    pub url: String,
    /// Labels added to every sample: `job`, `instance` and whatever relabelling left (no `__` labels).
    pub labels: Labels,
    /// The label set before relabelling, job defaults (`job`, `__scheme__`, ...) included, as
    /// Prometheus shows it on the targets page.
    pub discovered: Labels,
    pub interval: Duration,
    pub timeout: Duration,
    /// The exporter plugin that scrapes it: the `__exporter__` label after relabelling (e.g.
    /// from the pod annotation `scrapelet.io/exporter`), else the job's `exporter:`.
    pub exporter: Option<String>,
    /// The URL's query parameters (the job's `params:` with `__param_<name>` labels applied),
    /// sorted by name; an exporter plugin sees them as `__param_<name>` labels.
    pub params: Vec<(String, String)>,
}

impl Target {
    /// Identity of a target, as Prometheus hashes one (its labels and URL) within its job: the
    /// scrape manager keeps one loop per key, and the loop's phase derives from it, so a loop
    /// replaced by a reload keeps its slot.
    pub fn key(&self) -> String {
        let exporter = self.exporter.as_deref().unwrap_or("");
        format!("{}|{}|{}|{exporter}", self.job.job_name, self.url, self.labels)
    }

    /// `host:port` of the target.
    pub fn address(&self) -> &str {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        rest.split(['/', '?']).next().unwrap_or(rest)
    }

    /// Builds a target from discovered labels (`__address__` and any `__meta_*`, plus group
    /// labels). `Ok(None)` when relabelling drops it.
    pub fn from_labels(job: &Arc<ScrapeConfig>, discovered: Labels) -> Result<Option<Target>, String> {
        let discovered = with_job_defaults(job, discovered);
        let mut lset = discovered.clone();
        if !relabel::process(&mut lset, &job.relabel_configs) {
            return Ok(None);
        }
        populate(job, lset, discovered).map(Some)
    }
}

/// The static targets of a job, or a reason per target that could not be formed.
pub fn targets_for_job(job: &Arc<ScrapeConfig>) -> Vec<Result<Target, String>> {
    static_label_sets(job).into_iter().filter_map(|l| Target::from_labels(job, l).transpose()).collect()
}

/// The label sets of a job's `static_configs`, before relabelling: one per target.
pub fn static_label_sets(job: &ScrapeConfig) -> Vec<Labels> {
    let mut out = Vec::new();
    for group in &job.static_configs {
        for addr in &group.targets {
            let mut lset = group.labels.clone();
            lset.set("__address__".into(), addr.clone());
            out.push(lset);
        }
    }
    out
}

/// What Prometheus shows as a target's discovered labels: the discovered set with the job-level
/// labels it sets before relabelling (Prometheus 3's `PopulateDiscoveredLabels`).
pub fn discovered_labels(job: &ScrapeConfig, lset: Labels) -> Labels {
    with_job_defaults(job, lset)
}

/// Adds the job-level labels Prometheus sets before relabelling (existing labels win).
fn with_job_defaults(job: &ScrapeConfig, mut lset: Labels) -> Labels {
    let mut defaults = vec![
        ("job".to_string(), job.job_name.clone()),
        ("__scheme__".to_string(), job.scheme.clone()),
        ("__metrics_path__".to_string(), job.metrics_path.clone()),
        ("__scrape_interval__".to_string(), fmt_duration(job.scrape_interval)),
        ("__scrape_timeout__".to_string(), fmt_duration(job.scrape_timeout)),
        // Per-target overrides of the histogram settings, Prometheus 3.
        ("__convert_classic_histograms_to_nhcb__".to_string(), "false".to_string()),
        ("__always_scrape_classic_histograms__".to_string(), job.always_scrape_classic_histograms.to_string()),
        ("__scrape_native_histograms__".to_string(), job.scrape_native_histograms.to_string()),
    ];
    // The first value of each URL parameter is visible to relabelling as `__param_<name>`.
    for (name, value) in &job.params {
        let label = format!("__param_{name}");
        if !defaults.iter().any(|(n, _)| *n == label) {
            defaults.push((label, value.clone()));
        }
    }
    for (name, value) in defaults {
        if lset.get(&name).is_none() {
            lset.set(name, value);
        }
    }
    lset
}

/// Prometheus' duration notation (`1m`, `15s`, `1m30s`, `500ms`).
pub fn fmt_duration(d: Duration) -> String {
    let mut ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("y", 31_536_000_000u64),
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

fn populate(job: &Arc<ScrapeConfig>, mut lset: Labels, discovered: Labels) -> Result<Target, String> {
    let addr = lset.get("__address__").ok_or("no address")?.to_string();
    let scheme = lset.get("__scheme__").unwrap_or("http").to_string();
    check_scheme(&scheme)?;
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    lset.set("__address__".into(), addr.clone());
    let interval = label_duration(&lset, "__scrape_interval__", "interval", job.scrape_interval)?;
    let timeout = label_duration(&lset, "__scrape_timeout__", "timeout", job.scrape_timeout)?;
    if timeout > interval {
        let (t, i) = (fmt_duration(timeout), fmt_duration(interval));
        return Err(format!("scrape timeout cannot be greater than scrape interval ({t:?} > {i:?})"));
    }
    let limits = super::target_limits::from_labels(job, &lset)?;
    let job = &super::target_limits::apply(job, limits);
    if lset.get("instance").is_none() {
        lset.set("instance".into(), addr.clone());
    }
    let params = query_params(&job.params, &lset);
    let url = build_url(&scheme, &addr, lset.get("__metrics_path__").unwrap_or(""), &params);
    let exporter =
        lset.get(EXPORTER_LABEL).filter(|e| !e.is_empty()).map(str::to_string).or_else(|| job.exporter.clone());
    lset.retain(|l| !l.name.starts_with("__") && !l.value.is_empty());
    Ok(Target { job: job.clone(), url, labels: lset, discovered, interval, timeout, exporter, params })
}

/// Prometheus 3 adds no default port to an address (2.x did: `host` became `host:80`); the
/// address stays as written, in `instance` too, and the URL's scheme implies the port.
fn check_scheme(scheme: &str) -> Result<(), String> {
    match scheme {
        "http" | "https" | "" => Ok(()),
        other => Err(format!("invalid scheme: {other:?}")),
    }
}

/// `__scrape_interval__` / `__scrape_timeout__` as Prometheus 3's `PopulateLabels` reads them,
/// with its messages.
fn label_duration(lset: &Labels, name: &str, what: &str, default: Duration) -> Result<Duration, String> {
    match lset.get(name) {
        None => Ok(default),
        Some(v) => match parse_duration(v) {
            Some(d) if d.is_zero() => Err(format!("scrape {what} cannot be 0")),
            Some(d) => Ok(d),
            None => Err(format!("error parsing scrape {what}: not a valid duration string: {v:?}")),
        },
    }
}

/// The job's `params:` with the target's `__param_<name>` labels applied, sorted by name (the
/// values of one name in order).
fn query_params(params: &[(String, String)], lset: &Labels) -> Vec<(String, String)> {
    let mut query: Vec<(String, String)> = params.to_vec();
    for l in lset.iter() {
        if let Some(name) = l.name.strip_prefix("__param_") {
            // As Prometheus' `Target.URL()`: the label replaces the first value of that
            // parameter (the others stay), or adds the parameter.
            match query.iter().position(|(n, _)| n == name) {
                Some(i) => query[i].1 = l.value.clone(),
                None => query.push((name.to_string(), l.value.clone())),
            }
        }
    }
    query.sort_by(|a, b| a.0.cmp(&b.0));
    query
}

/// Prometheus' `Target.URL()`: `url.URL{Scheme, Host, Path, RawQuery}` as Go writes it, so the
/// path stays a path on `addr` whatever it holds. A `user:pass@` in the address keeps its
/// password out of the string (the request fails the same way with or without it).
fn build_url(scheme: &str, addr: &str, path: &str, query: &[(String, String)]) -> String {
    url::format(scheme, &url::redact(addr), path, &url::encode_query(query))
}

/// What discovery found, for the scrape manager and the targets page.
#[derive(Clone, Debug, Default)]
pub struct TargetSet {
    /// Every configured job, whether or not it has targets now.
    pub jobs: Vec<Arc<ScrapeConfig>>,
    pub active: Vec<Target>,
    /// Label sets `relabel_configs` dropped (as Prometheus shows them: with the job's defaults),
    /// at most `keep_dropped_targets` per job when that is set.
    pub dropped: Vec<DroppedTarget>,
    /// How many label sets each job dropped, all of them counted.
    pub dropped_counts: std::collections::BTreeMap<String, usize>,
}

/// A target relabelling dropped.
#[derive(Clone, Debug)]
pub struct DroppedTarget {
    pub job: String,
    pub discovered: Labels,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations_like_prometheus() {
        assert_eq!(fmt_duration(Duration::from_secs(60)), "1m");
        assert_eq!(fmt_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1s500ms");
    }

    #[test]
    fn adds_no_default_port_as_in_prometheus_3() {
        let job = std::sync::Arc::new(crate::config::ScrapeConfig::ad_hoc("j"));
        let t = Target::from_labels(&job, Labels::from_pairs([("__address__", "example")])).unwrap().unwrap();
        assert_eq!((t.url.as_str(), t.labels.get("instance")), ("http://example/metrics", Some("example")));
        let l = Labels::from_pairs([("__address__", "[::1]"), ("__scheme__", "https")]);
        let t = Target::from_labels(&job, l).unwrap().unwrap();
        assert_eq!((t.url.as_str(), t.labels.get("instance")), ("https://[::1]/metrics", Some("[::1]")));
        let l = Labels::from_pairs([("__address__", "example"), ("__scheme__", "ftp")]);
        assert!(Target::from_labels(&job, l).is_err());
    }

    /// A reload that changes only a password must restart the target (its client holds the old
    /// one): the job's fingerprint sees it, the key never holds the text.
    #[test]
    fn a_changed_password_is_another_target() {
        let job = |pw: &str| {
            let yaml = format!(
                "scrape_configs:\n  - job_name: j\n    basic_auth: {{username: u, password: {pw}}}\n    static_configs: [{{targets: [a:1]}}]\n"
            );
            Arc::new(crate::config::Config::from_yaml(&yaml).unwrap().scrape_configs.remove(0))
        };
        let fp = |pw: &str| targets_for_job(&job(pw)).remove(0).unwrap().job.fingerprint;
        assert_eq!(fp("one"), fp("one"));
        assert_ne!(fp("one"), fp("two"));
        assert!(!targets_for_job(&job("hunter2")).remove(0).unwrap().key().contains("hunter2"));
    }

    /// Prometheus' `Target.URL()` (scrape/target.go at d15adb9ad7e5): a `__param_` label replaces
    /// the parameter's first value, the other values stay; `url.Values.Encode` sorts by name.
    #[test]
    fn param_labels_override_config_params() {
        let l = Labels::from_pairs([("__param_module", "http_2xx"), ("__param_a", "x y")]);
        let params = vec![("module".to_string(), "a".to_string()), ("module".to_string(), "b".to_string())];
        let query = query_params(&params, &l);
        assert_eq!(build_url("http", "h:1", "/probe", &query), "http://h:1/probe?a=x+y&module=http_2xx&module=b");
    }
}
