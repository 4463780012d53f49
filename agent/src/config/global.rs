//! `global:`: default scrape interval, timeout and limits, and the external labels.
//!
//! Entry point: [`parse`]. Defaults and checks follow Prometheus 3's `GlobalConfig.UnmarshalYAML`;
//! the keys that are also job keys are read by [`super::scrape_keys`].

use std::time::Duration;

use super::yaml::{Errors, MapReader, Node};
use super::{GlobalConfig, IgnoredKey, ignore_keys, scrape_keys};
use crate::labels::{Labels, NameValidation};

const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(60);
/// What `body_size_limit` takes (Go's `units.Base2Bytes`).
pub(super) const SIZE: &str = "a size with a unit such as 512KB or 10MiB";
const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// `global:` keys that only matter to a Prometheus server: rule evaluation and the query log.
const IGNORED: &[&str] = &["evaluation_interval", "rule_query_offset", "query_log_file"];

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            scrape_timeout: DEFAULT_SCRAPE_TIMEOUT,
            external_labels: Labels::new(),
            sample_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            body_size_limit: 0,
            target_limit: 0,
            keep_dropped_targets: 0,
            validation: None,
            escaping: None,
            scrape_protocols: None,
            scrape_native_histograms: false,
            always_scrape_classic_histograms: false,
            extra_scrape_metrics: false,
            scrape_failure_log_file: None,
        }
    }
}

/// Reads `global:` (absent or null gives the defaults).
pub(super) fn parse(node: Option<&Node>, errors: &mut Errors, ignored: &mut Vec<IgnoredKey>) -> GlobalConfig {
    let Some(node) = node else { return GlobalConfig::default() };
    let mut r = MapReader::new(node, "global", errors);
    ignore_keys(&mut r, IGNORED, ignored);
    // Zero means unset, as in Prometheus.
    let scrape_interval = r.duration("scrape_interval").filter(|d| !d.is_zero()).unwrap_or(DEFAULT_SCRAPE_INTERVAL);
    let timeout = r.duration("scrape_timeout").filter(|d| !d.is_zero());
    if timeout.is_some_and(|t| t > scrape_interval) {
        r.error(node, "scrape_timeout", "global scrape timeout greater than scrape interval");
    }
    let validation = scrape_keys::validation(&mut r);
    let escaping = scrape_keys::escaping(&mut r);
    let histograms = super::histograms::read(&mut r, &GlobalConfig::default(), ignored);
    let scheme = validation.unwrap_or_default();
    let external_labels = external_labels(&mut r, scheme, &|name| std::env::var(name).ok());
    let g = GlobalConfig {
        scrape_interval,
        scrape_timeout: timeout.unwrap_or(DEFAULT_SCRAPE_TIMEOUT.min(scrape_interval)),
        external_labels,
        sample_limit: r.u64("sample_limit").unwrap_or(0),
        label_limit: r.u64("label_limit").unwrap_or(0),
        label_name_length_limit: r.u64("label_name_length_limit").unwrap_or(0),
        label_value_length_limit: r.u64("label_value_length_limit").unwrap_or(0),
        body_size_limit: r.parsed("body_size_limit", SIZE, super::yaml::parse_base2_bytes).unwrap_or(0),
        target_limit: r.u64("target_limit").unwrap_or(0),
        keep_dropped_targets: r.u64("keep_dropped_targets").unwrap_or(0),
        validation,
        escaping,
        scrape_protocols: scrape_keys::protocols(&mut r, "global config"),
        scrape_native_histograms: histograms.scrape_native,
        always_scrape_classic_histograms: histograms.always_classic,
        extra_scrape_metrics: r.bool("extra_scrape_metrics").unwrap_or(false),
        scrape_failure_log_file: r.string("scrape_failure_log_file").filter(|f| !f.is_empty()).map(Into::into),
    };
    r.finish();
    g
}

/// `external_labels`, with `$VAR` / `${VAR}` expanded from the environment as Prometheus does;
/// names are checked under the global `metric_name_validation_scheme`.
fn external_labels(r: &mut MapReader<'_>, scheme: NameValidation, env: &dyn Fn(&str) -> Option<String>) -> Labels {
    let pairs = r.string_map("external_labels");
    let path = r.path_of("external_labels");
    let line = r.key_line("external_labels").unwrap_or(r.line());
    let mut labels = Labels::new();
    for (name, value) in pairs {
        if !scheme.is_valid_label_name(&name) {
            r.errors.push(line, &path, format!("{name:?} is not a valid label name"));
        }
        labels.set(name, expand_env(&value, env));
    }
    labels
}

/// Go's `os.Expand`: `$NAME` and `${NAME}` are replaced by `env(NAME)` (empty if unset); `$$` is `$`.
fn expand_env(s: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, used) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else if after.starts_with('$') {
            ("$", 1)
        } else {
            let n = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            (&after[..n], n)
        };
        match (name, used) {
            (_, 0) => out.push('$'),
            ("$", _) => out.push('$'),
            (name, _) => out.push_str(&env(name).unwrap_or_default()),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse as parse_yaml;

    fn global(text: &str) -> (GlobalConfig, Vec<crate::config::ConfigError>) {
        let node = parse_yaml(text).unwrap();
        let mut errors = Errors::default();
        let g = parse(Some(&node), &mut errors, &mut Vec::new());
        (g, errors.into_sorted())
    }

    #[test]
    fn defaults_follow_prometheus() {
        let g = parse(None, &mut Errors::default(), &mut Vec::new());
        assert_eq!((g.scrape_interval, g.scrape_timeout), (Duration::from_secs(60), Duration::from_secs(10)));
    }

    #[test]
    fn short_global_interval_lowers_default_timeout() {
        let (g, errs) = global("scrape_interval: 5s\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(g.scrape_timeout, Duration::from_secs(5));
    }

    #[test]
    fn global_timeout_longer_than_interval_is_rejected() {
        let (_, errs) = global("scrape_interval: 5s\nscrape_timeout: 6s\n");
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].path.as_str()), (2, "global.scrape_timeout"));
        assert!(errs[0].message.contains("greater than scrape interval"));
    }

    #[test]
    fn external_label_names_follow_the_validation_scheme() {
        let (_, errs) = global("external_labels:\n  cluster: prod\n  utf-8.name: x\n");
        assert!(errs.is_empty(), "utf8 is Prometheus 3's default: {errs:?}");
        let (_, errs) = global("metric_name_validation_scheme: legacy\nexternal_labels:\n  bad-name: x\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("\"bad-name\" is not a valid label name"));
    }

    #[test]
    fn server_only_keys_are_ignored_and_listed() {
        let node = parse_yaml("evaluation_interval: 30s\nquery_log_file: q.log\n").unwrap();
        let (mut errors, mut ignored) = (Errors::default(), Vec::new());
        parse(Some(&node), &mut errors, &mut ignored);
        assert!(errors.is_empty());
        let paths: Vec<_> = ignored.iter().map(|k| (k.line, k.path.as_str())).collect();
        assert_eq!(paths, vec![(1, "global.evaluation_interval"), (2, "global.query_log_file")]);
    }

    #[test]
    fn external_label_values_expand_environment_like_go() {
        let env = |n: &str| (n == "REGION").then(|| "eu-1".to_string());
        assert_eq!(expand_env("${REGION}/$REGION-$UNSET.$$", &env), "eu-1/eu-1-.$");
        assert_eq!(expand_env("no vars", &env), "no vars");
        assert_eq!(expand_env("trailing $", &env), "trailing $");
    }
}
