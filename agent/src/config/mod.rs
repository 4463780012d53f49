//! The agent's configuration: a Prometheus-compatible YAML (`global`, `scrape_configs`,
//! `remote_write`), loaded with every error reported at once, each naming its key and line.
//!
//! Entry point: [`Config::load`] / [`Config::from_yaml`]. The structs here are plain data with
//! Prometheus' defaults filled in; nothing here does I/O beyond reading the file.

mod env;
mod files;
mod global;
mod histograms;
mod plugins;
mod scrape;
mod scrape_keys;
mod secret;
#[cfg(test)]
mod tests;
mod units;
pub mod yaml;

use std::time::Duration;

use crate::discovery::kubernetes::KubernetesSdConfig;
use crate::http_client::HttpClientConfig;
use crate::labels::{Labels, NameValidation};
use crate::relabel::RelabelConfig;
use crate::remote_write::RemoteWriteConfig;
use crate::scrape::protocols::{NameEscaping, ScrapeProtocol};

pub use secret::Secret;
pub use yaml::{ConfigError, Errors};

use yaml::{MapReader, Node};

/// The whole configuration file.
#[derive(Clone, Debug)]
pub struct Config {
    pub global: GlobalConfig,
    pub scrape_configs: Vec<ScrapeConfig>,
    pub remote_write: Vec<RemoteWriteConfig>,
    /// `wal:` (a scrapelet section): limits and fsync policy of the on-disk queue.
    pub wal: crate::wal::WalConfig,
    /// WebAssembly plugins (`plugins:`), scrapelet's own section.
    pub plugins: Vec<PluginConfig>,
    /// Keys Prometheus knows that the agent accepts but does not use, for `check config` to list.
    pub ignored: Vec<IgnoredKey>,
}

/// A key that was accepted but is not (fully) in effect, where it is, and why: one warning each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredKey {
    pub line: usize,
    /// Dotted path, e.g. `global.evaluation_interval`.
    pub path: String,
    /// What scrapelet does with it, e.g. "ignored (a Prometheus server setting an agent does not use)".
    pub reason: String,
}

/// The reason of keys an agent has no use for (rules, alerting, the TSDB, the query log).
pub const SERVER_ONLY: &str = "ignored (a Prometheus server setting an agent does not use)";

impl std::fmt::Display for IgnoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.path, self.reason)
    }
}

/// `global:`.
#[derive(Clone, Debug)]
pub struct GlobalConfig {
    /// Default 1m.
    pub scrape_interval: Duration,
    /// Default 10s.
    pub scrape_timeout: Duration,
    pub external_labels: Labels,
    /// Defaults for the scrape limits of every job (0 = no limit), as in Prometheus >= 2.45.
    pub sample_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub body_size_limit: u64,
    /// Defaults of the job keys of the same names (Prometheus 3 semantics; unset = `None`).
    pub target_limit: u64,
    pub keep_dropped_targets: u64,
    pub validation: Option<NameValidation>,
    pub escaping: Option<NameEscaping>,
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    pub scrape_native_histograms: bool,
    pub always_scrape_classic_histograms: bool,
    pub extra_scrape_metrics: bool,
    pub scrape_failure_log_file: Option<std::path::PathBuf>,
}

/// One entry of `scrape_configs:`, with the global defaults already applied.
#[derive(Clone, Debug)]
pub struct ScrapeConfig {
    pub job_name: String,
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    /// Default `/metrics`.
    pub metrics_path: String,
    /// `http` (default) or `https`.
    pub scheme: String,
    /// URL query parameters; a name may repeat.
    pub params: Vec<(String, String)>,
    pub honor_labels: bool,
    /// Default true.
    pub honor_timestamps: bool,
    /// 0 = no limit, for every limit below.
    pub sample_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub body_size_limit: u64,
    /// Default true: ask for gzip.
    pub enable_compression: bool,
    /// `metric_name_validation_scheme` (job, else global; `utf8` by default): which scraped and
    /// relabelled names are valid.
    pub validation: NameValidation,
    /// `metric_name_escaping_scheme`: what `escaping=` the `Accept` header asks for.
    pub escaping: NameEscaping,
    /// `scrape_protocols`, most wanted first (protobuf is never offered: not parsed yet).
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// `fallback_scrape_protocol`: how to read a body whose `Content-Type` is missing or unusable.
    pub fallback_protocol: Option<ScrapeProtocol>,
    /// `track_timestamps_staleness`: stale markers also for series that carried a timestamp.
    pub track_timestamps_staleness: bool,
    /// More targets than this after relabelling fail every scrape of the job (0 = no limit).
    pub target_limit: u64,
    /// How many dropped targets `/api/v1/targets` keeps per job (0 = all).
    pub keep_dropped_targets: u64,
    /// `extra_scrape_metrics`: also report `scrape_timeout_seconds`, `scrape_sample_limit` and
    /// `scrape_body_size_bytes`.
    pub extra_scrape_metrics: bool,
    /// `scrape_native_histograms` (only meaningful with the protobuf format, not parsed yet).
    pub scrape_native_histograms: bool,
    /// `always_scrape_classic_histograms` (classic histograms are always scraped here).
    pub always_scrape_classic_histograms: bool,
    /// `scrape_failure_log_file`: each failed scrape is appended to it as a JSON line.
    pub scrape_failure_log_file: Option<std::path::PathBuf>,
    pub http: HttpClientConfig,
    pub relabel_configs: Vec<RelabelConfig>,
    pub metric_relabel_configs: Vec<RelabelConfig>,
    pub static_configs: Vec<StaticConfig>,
    /// Pod discovery through the Kubernetes API (or the kubelet).
    pub kubernetes_sd_configs: Vec<KubernetesSdConfig>,
    /// An exporter plugin that replaces the HTTP scrape (a target's `__exporter__` label, e.g.
    /// from a pod annotation, overrides it).
    pub exporter: Option<String>,
    /// Transform plugins run, in order, after `metric_relabel_configs` on each new series.
    pub transforms: Vec<String>,
    /// A hash of the job as written (secrets included, never shown) and as resolved with the
    /// global defaults: equal fingerprints, same job. A reload leaves the loops of an unchanged
    /// job alone.
    pub fingerprint: u64,
}

/// One entry of `plugins:`.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginConfig {
    pub name: String,
    /// The `.wasm` component (relative paths are relative to the configuration file).
    pub path: std::path::PathBuf,
    /// If set, a file with another SHA-256 is refused.
    pub sha256: Option<String>,
    /// A directory the plugin may read, mounted read-only at `/data`.
    pub data_dir: Option<std::path::PathBuf>,
    pub limits: crate::plugin::Limits,
    /// `config:` as JSON, handed to the plugin's `init`.
    pub config: serde_json::Value,
}

/// One entry of `static_configs:`.
#[derive(Clone, Debug, Default)]
pub struct StaticConfig {
    pub targets: Vec<String>,
    pub labels: Labels,
}

impl Config {
    /// Reads and validates a file; every problem is returned, sorted by line.
    pub fn load(path: &std::path::Path) -> Result<Config, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError { line: 0, path: String::new(), message: format!("cannot read {}: {e}", path.display()) }]
        })?;
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let mut config = Config::from_yaml_in(&text, dir)?;
        config.set_directory(dir);
        Ok(config)
    }

    /// Makes relative file paths (credentials, certificates) relative to `dir`.
    pub fn set_directory(&mut self, dir: &std::path::Path) {
        let scrape = self.scrape_configs.iter_mut().map(|j| &mut j.http);
        for http in scrape.chain(self.remote_write.iter_mut().map(|rw| &mut rw.http)) {
            http.set_directory(dir);
        }
        for job in &mut self.scrape_configs {
            job.scrape_failure_log_file = job.scrape_failure_log_file.as_ref().map(|f| dir.join(f));
        }
        for p in &mut self.plugins {
            p.path = dir.join(&p.path);
            p.data_dir = p.data_dir.as_ref().map(|d| dir.join(d));
        }
    }

    /// Parses and validates YAML text; every problem is returned, sorted by line.
    /// `scrape_config_files` are read relative to the working directory.
    pub fn from_yaml(text: &str) -> Result<Config, Vec<ConfigError>> {
        Config::from_yaml_in(text, std::path::Path::new("."))
    }

    /// [`Config::from_yaml`] with `scrape_config_files` relative to `dir`.
    pub fn from_yaml_in(text: &str, dir: &std::path::Path) -> Result<Config, Vec<ConfigError>> {
        let root = yaml::parse(text).map_err(|e| vec![e])?;
        let mut errors = Errors::default();
        let config = Config::read(&root, dir, &mut errors);
        if errors.is_empty() { Ok(config) } else { Err(errors.into_sorted()) }
    }

    fn read(root: &Node, dir: &std::path::Path, errors: &mut Errors) -> Config {
        let mut ignored = Vec::new();
        let mut r = MapReader::new(root, "", errors);
        ignore_keys(&mut r, TOP_LEVEL_IGNORED, &mut ignored);
        let global = global::parse(r.get("global"), r.errors, &mut ignored);
        let plugins = plugins::parse(&r.list("plugins"), r.errors);
        let names: Vec<String> = plugins.iter().map(|p| p.name.clone()).collect();
        let scrape_nodes = r.list("scrape_configs");
        let mut scrape_configs = scrape::parse_all(&scrape_nodes, &global, &names, r.errors, &mut ignored);
        if let Some(files) = r.get("scrape_config_files") {
            let from_files = files::read(files, dir, &global, &names, r.errors, &mut ignored);
            add_file_jobs(&mut scrape_configs, from_files, files.line, r.errors);
        }
        let validation = global.validation.unwrap_or(crate::labels::NameValidation::Utf8);
        let mut cx = crate::remote_write::config::ParseContext { validation, warnings: &mut ignored };
        let remote_write = remote_writes(&r.list("remote_write"), r.errors, &mut cx);
        let wal = crate::wal::WalConfig::parse(r.get("wal"), r.errors);
        r.finish();
        ignored.sort_by_key(|k| k.line);
        Config { global, scrape_configs, remote_write, wal, plugins, ignored }
    }
}

/// Each `remote_write:` entry goes to [`RemoteWriteConfig::parse`]; names must be unique.
fn remote_writes(
    items: &[(usize, &Node)],
    errors: &mut Errors,
    cx: &mut crate::remote_write::config::ParseContext<'_>,
) -> Vec<RemoteWriteConfig> {
    let mut out: Vec<RemoteWriteConfig> = Vec::new();
    for &(i, item) in items {
        let path = format!("remote_write[{i}]");
        let Some(rw) = RemoteWriteConfig::parse(item, &path, errors, cx) else { continue };
        if out.iter().any(|o| o.name == rw.name) {
            errors.push(item.line, &path, format!("found multiple remote write configs with name {:?}", rw.name));
            continue;
        }
        out.push(rw);
    }
    out
}

/// Top-level keys of a server's `prometheus.yml` that an agent has no use for.
const TOP_LEVEL_IGNORED: &[&str] = &["rule_files", "alerting", "remote_read", "storage", "tracing", "runtime", "otlp"];

/// Marks each of `keys` present in `r` as used and records it in `ignored`.
fn ignore_keys(r: &mut MapReader<'_>, keys: &[&'static str], ignored: &mut Vec<IgnoredKey>) {
    for key in keys {
        if let Some(line) = r.ignore(key) {
            ignored.push(IgnoredKey { line, path: r.path_of(key), reason: SERVER_ONLY.into() });
        }
    }
}

/// Adds the jobs of `scrape_config_files`, rejecting a name already used (Prometheus' words).
fn add_file_jobs(
    jobs: &mut Vec<ScrapeConfig>,
    from_files: Vec<(ScrapeConfig, String)>,
    line: usize,
    errors: &mut Errors,
) {
    let mut seen: Vec<(String, String)> =
        jobs.iter().map(|j| (j.job_name.clone(), "main config file".into())).collect();
    for (job, file) in from_files {
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == job.job_name) {
            let msg = format!("found multiple scrape configs with job name {:?}, first found in {first}", job.job_name);
            errors.push(line, &format!("scrape_config_files ({file})"), msg);
            continue;
        }
        seen.push((job.job_name.clone(), file));
        jobs.push(job);
    }
}
