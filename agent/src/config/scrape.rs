//! `scrape_configs:`: one [`ScrapeConfig`] per job, with the global defaults applied.
//!
//! Entry point: [`parse_all`]. Defaults and checks follow Prometheus' `ScrapeConfig.Validate`
//! and `checkStaticTargets`; relabel rules are handed to [`crate::relabel::parse_configs`].

use std::collections::HashMap;

use super::env::expand_braced;
use super::yaml::{Errors, Kind, MapReader, Node};
use super::{GlobalConfig, IgnoredKey, ScrapeConfig, StaticConfig, scrape_keys};
use crate::discovery::kubernetes::KubernetesSdConfig;
use crate::http_client::HttpClientConfig;
use crate::labels::{Labels, NameValidation};
use crate::relabel::{self, RelabelConfig};

impl ScrapeConfig {
    /// A job named `name` with Prometheus' defaults and no targets (for `scrapelet scrape URL`).
    pub fn ad_hoc(name: &str) -> ScrapeConfig {
        let node = super::yaml::parse(&format!("job_name: {name:?}\n")).expect("static YAML");
        let (mut errors, mut ignored) = (Errors::default(), Vec::new());
        let (job, _) = parse_one(0, &node, &GlobalConfig::default(), &[], &mut errors, &mut ignored);
        debug_assert!(errors.is_empty(), "{:?}", errors.0);
        job
    }
}

/// Parses every job, then rejects duplicate job names.
pub(super) fn parse_all(
    nodes: &[(usize, &Node)],
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> Vec<ScrapeConfig> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut jobs = Vec::new();
    for (job, line, i) in parse_each_at(nodes, global, plugins, errors, ignored) {
        if let Some(first) = seen.get(&job.job_name) {
            let msg = format!("found multiple scrape configs with job name {:?} (first at line {first})", job.job_name);
            errors.push(line, &format!("scrape_configs[{i}].job_name"), msg);
            continue;
        }
        seen.insert(job.job_name.clone(), line);
        jobs.push(job);
    }
    jobs
}

/// Every job of a `scrape_configs` list and the line of its `job_name`, duplicates included.
pub(super) fn parse_each(
    nodes: &[(usize, &Node)],
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> Vec<(ScrapeConfig, usize)> {
    parse_each_at(nodes, global, plugins, errors, ignored).into_iter().map(|(j, line, _)| (j, line)).collect()
}

fn parse_each_at(
    nodes: &[(usize, &Node)],
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> Vec<(ScrapeConfig, usize, usize)> {
    let mut out = Vec::new();
    for &(i, node) in nodes {
        if node.is_null() {
            errors.push(node.line, &format!("scrape_configs[{i}]"), "empty or null scrape config section");
            continue;
        }
        let (job, line) = parse_one(i, node, global, plugins, errors, ignored);
        out.push((job, line, i));
    }
    out
}

/// One job and the line of its `job_name`.
fn parse_one(
    i: usize,
    node: &Node,
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> (ScrapeConfig, usize) {
    let mut r = MapReader::new(node, &format!("scrape_configs[{i}]"), errors);
    let kubernetes_sd_configs = kubernetes_sd_configs(&mut r, ignored);
    reject_service_discovery(&mut r);
    let job_name = r.string("job_name").unwrap_or_default();
    let line = r.key_line("job_name").unwrap_or(node.line);
    if job_name.is_empty() {
        let path = r.path_of("job_name");
        r.errors.push(line, &path, "job_name is empty");
    }
    let (scrape_interval, scrape_timeout) = interval_and_timeout(&mut r, node, global, &job_name);
    let keys = scrape_keys::resolve(&mut r, node, global, &job_name);
    let histograms = super::histograms::read(&mut r, global, ignored);
    let relabel_configs = relabel_list(&mut r, "relabel_configs", keys.validation);
    let check_targets = relabel_configs.is_empty();
    let (exporter, transforms) = super::plugins::job_plugins(&mut r, plugins);
    let job = ScrapeConfig {
        scrape_interval,
        scrape_timeout,
        metrics_path: r.string("metrics_path").unwrap_or_else(|| "/metrics".into()),
        scheme: scheme(&mut r),
        params: params(&mut r),
        honor_labels: r.bool("honor_labels").unwrap_or(false),
        honor_timestamps: r.bool("honor_timestamps").unwrap_or(true),
        sample_limit: limit(&mut r, "sample_limit", global.sample_limit),
        label_limit: limit(&mut r, "label_limit", global.label_limit),
        label_name_length_limit: limit(&mut r, "label_name_length_limit", global.label_name_length_limit),
        label_value_length_limit: limit(&mut r, "label_value_length_limit", global.label_value_length_limit),
        body_size_limit: r
            .parsed("body_size_limit", super::global::SIZE, super::yaml::parse_base2_bytes)
            .filter(|&n| n > 0)
            .unwrap_or(global.body_size_limit),
        enable_compression: r.bool("enable_compression").unwrap_or(true),
        validation: keys.validation,
        escaping: keys.escaping,
        scrape_protocols: keys.protocols,
        fallback_protocol: scrape_keys::fallback(&mut r, &job_name),
        track_timestamps_staleness: r.bool("track_timestamps_staleness").unwrap_or(false),
        target_limit: limit(&mut r, "target_limit", global.target_limit),
        keep_dropped_targets: limit(&mut r, "keep_dropped_targets", global.keep_dropped_targets),
        extra_scrape_metrics: r.bool("extra_scrape_metrics").unwrap_or(global.extra_scrape_metrics),
        scrape_native_histograms: histograms.scrape_native,
        always_scrape_classic_histograms: histograms.always_classic,
        scrape_failure_log_file: r
            .string("scrape_failure_log_file")
            .filter(|f| !f.is_empty())
            .map(Into::into)
            .or_else(|| global.scrape_failure_log_file.clone()),
        http: HttpClientConfig::parse(&mut r),
        metric_relabel_configs: relabel_list(&mut r, "metric_relabel_configs", keys.validation),
        static_configs: static_configs(&mut r, check_targets, &|name| std::env::var(name).ok()),
        kubernetes_sd_configs,
        relabel_configs,
        exporter,
        transforms,
        job_name,
        fingerprint: 0,
    };
    r.finish();
    let mut job = job;
    job.fingerprint = fingerprint(node, &job);
    (job, line)
}

/// Hashes the job's YAML (without line numbers) and its resolved settings.
fn fingerprint(node: &Node, job: &ScrapeConfig) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    fn feed(h: &mut impl Hasher, n: &Node) {
        match &n.kind {
            Kind::Scalar(s, quoted) => {
                h.write_u8(0);
                h.write(s.as_bytes());
                h.write_u8(u8::from(*quoted));
            }
            Kind::Seq(items) => {
                h.write_u8(1);
                h.write_usize(items.len());
                items.iter().for_each(|i| feed(h, i));
            }
            Kind::Map(pairs) => {
                h.write_u8(2);
                h.write_usize(pairs.len());
                pairs.iter().for_each(|(k, v)| {
                    feed(h, k);
                    feed(h, v);
                });
            }
        }
    }
    let mut h = foldhash::fast::FixedState::with_seed(0x006a_6f62).build_hasher();
    feed(&mut h, node);
    h.write(format!("{job:?}").as_bytes());
    h.finish()
}

/// Prometheus' rule: an unset (or zero) interval is the global one; an explicit timeout longer
/// than the interval is an error; an unset timeout is the global one, capped at the interval.
fn interval_and_timeout(
    r: &mut MapReader<'_>,
    node: &Node,
    global: &GlobalConfig,
    job: &str,
) -> (std::time::Duration, std::time::Duration) {
    let interval = r.duration("scrape_interval").filter(|d| !d.is_zero()).unwrap_or(global.scrape_interval);
    let timeout = r.duration("scrape_timeout").filter(|d| !d.is_zero());
    if timeout.is_some_and(|t| t > interval) {
        let msg = format!("scrape timeout greater than scrape interval for scrape config with job name {job:?}");
        r.error(node, "scrape_timeout", msg);
    }
    (interval, timeout.unwrap_or(global.scrape_timeout.min(interval)))
}

/// `kubernetes_sd_configs:`, each entry read by the discovery module.
/// `attach_metadata` keys set to true are warned about: no metadata is attached yet.
fn kubernetes_sd_configs(r: &mut MapReader<'_>, warnings: &mut Vec<IgnoredKey>) -> Vec<KubernetesSdConfig> {
    let base = r.path_of("kubernetes_sd_configs");
    let items = r.list("kubernetes_sd_configs");
    let sds: Vec<KubernetesSdConfig> = items
        .into_iter()
        .filter_map(|(i, node)| KubernetesSdConfig::parse(node, &format!("{base}[{i}]"), r.errors))
        .collect();
    for (path, line) in sds.iter().flat_map(|sd| &sd.attach_metadata.requested) {
        let reason = "accepted, not in effect: scrapelet attaches no metadata to pod targets yet (those __meta_kubernetes_* labels are absent)";
        warnings.push(IgnoredKey { line: *line, path: path.clone(), reason: reason.into() });
    }
    sds
}

/// Other service discoveries are not implemented.
fn reject_service_discovery(r: &mut MapReader<'_>) {
    for (key, value) in r.take_matching(|k| k.ends_with("_sd_configs") && k != "kubernetes_sd_configs") {
        let name = key.as_str().unwrap_or_default();
        r.error(value, name, format!("{name} is not supported yet"));
    }
}

fn scheme(r: &mut MapReader<'_>) -> String {
    let Some(n) = r.get("scheme") else { return "http".into() };
    match n.as_str() {
        Some(s @ ("http" | "https")) => s.to_string(),
        _ => {
            let found = n.as_str().map(|s| format!("{s:?}")).unwrap_or_else(|| n.describe().to_string());
            r.error(n, "scheme", format!("scheme must be \"http\" or \"https\", found {found}"));
            "http".into()
        }
    }
}

/// `params:` maps a name to a list of values; flattened in file order.
fn params(r: &mut MapReader<'_>) -> Vec<(String, String)> {
    let Some(n) = r.get("params") else { return Vec::new() };
    let Kind::Map(pairs) = &n.kind else {
        r.error(n, "params", format!("expected a mapping of names to lists of values, found {}", n.describe()));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in pairs {
        let name = k.as_str().unwrap_or_default();
        match &v.kind {
            Kind::Seq(items) => {
                for item in items {
                    match item.as_str() {
                        Some(s) => out.push((name.to_string(), s.to_string())),
                        None => r.error(item, &format!("params.{name}"), "expected a list of strings"),
                    }
                }
            }
            _ => r.error(v, &format!("params.{name}"), format!("expected a list of strings, found {}", v.describe())),
        }
    }
    out
}

/// A job limit; unset or zero takes the global one.
fn limit(r: &mut MapReader<'_>, key: &'static str, global: u64) -> u64 {
    r.u64(key).filter(|&n| n > 0).unwrap_or(global)
}

/// Hands a relabel list to the relabel engine (names checked under the job's scheme); an absent
/// or empty list is no rules.
fn relabel_list(r: &mut MapReader<'_>, key: &'static str, validation: NameValidation) -> Vec<RelabelConfig> {
    match r.get(key) {
        None => Vec::new(),
        Some(Node { kind: Kind::Seq(items), .. }) if items.is_empty() => Vec::new(),
        Some(n) => {
            let path = r.path_of(key);
            relabel::parse_configs_with(n, &path, validation, r.errors)
        }
    }
}

/// `static_configs:`. Without relabel rules to rewrite `__address__`, a target with a `/` (a URL
/// or a path) is rejected as Prometheus' `checkStaticTargets` does. `${NAME}` in targets and label
/// values is replaced from `env` (see [`super::env`]).
fn static_configs(
    r: &mut MapReader<'_>,
    check_targets: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<StaticConfig> {
    let base = r.path_of("static_configs");
    let items = r.list("static_configs");
    let mut out = Vec::new();
    for (i, item) in items {
        if item.is_null() {
            r.errors.push(item.line, &format!("{base}[{i}]"), "empty or null section in static_configs");
            continue;
        }
        let mut sr = MapReader::new(item, &format!("{base}[{i}]"), r.errors);
        let mut targets = Vec::new();
        for (j, t) in sr.list("targets") {
            match t.as_str().map(|s| expand_braced(s, env)) {
                Some(s) if check_targets && s.contains('/') => {
                    sr.error(t, &format!("targets[{j}]"), format!("{s:?} is not a valid hostname"));
                }
                Some(s) => targets.push(s),
                None => sr.error(t, &format!("targets[{j}]"), format!("expected a string, found {}", t.describe())),
            }
        }
        let labels = static_labels(&mut sr, env);
        sr.finish();
        out.push(StaticConfig { targets, labels });
    }
    out
}

/// A target group's `labels`: read as `model.LabelSet`, whose names Prometheus 3 checks under
/// utf8 whatever the job's scheme (any non-empty name).
fn static_labels(sr: &mut MapReader<'_>, env: &dyn Fn(&str) -> Option<String>) -> Labels {
    let pairs = sr.string_map("labels");
    let mut labels = Labels::new();
    for (name, value) in pairs {
        if !NameValidation::Utf8.is_valid_label_name(&name) {
            let (line, path) = (sr.key_line("labels").unwrap_or(sr.line()), sr.path_of("labels"));
            sr.errors.push(line, &path, format!("{name:?} is not a valid label name"));
        }
        labels.set(name, expand_braced(&value, env));
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    fn read_static(yaml: &str, check_targets: bool) -> (Vec<StaticConfig>, Errors) {
        let node = parse(yaml).unwrap();
        let mut errors = Errors::default();
        let mut r = MapReader::new(&node, "job", &mut errors);
        let env = |name: &str| (name == "NODE_IP").then(|| "10.0.0.7".to_string());
        let out = static_configs(&mut r, check_targets, &env);
        drop(r);
        (out, errors)
    }

    #[test]
    fn url_targets_are_allowed_when_relabel_rules_can_rewrite_them() {
        let yaml = "static_configs:\n  - targets: ['https://example.com/health']\n";
        let (out, errors) = read_static(yaml, false);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(out[0].targets, vec!["https://example.com/health"]);
        assert_eq!(read_static(yaml, true).1.0.len(), 1);
    }

    #[test]
    fn braced_environment_variables_expand_in_targets_and_label_values() {
        let yaml = "static_configs:\n  - targets: ['${NODE_IP}:10250', '${UNSET}:1']\n    labels: {node: '${NODE_IP}', __metrics_path__: /m}\n";
        let (out, errors) = read_static(yaml, true);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(out[0].targets, vec!["10.0.0.7:10250", "${UNSET}:1"]);
        assert_eq!(out[0].labels.get("node"), Some("10.0.0.7"));
        assert_eq!(out[0].labels.get("__metrics_path__"), Some("/m"));
    }
}
