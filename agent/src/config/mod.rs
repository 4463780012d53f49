//! The agent's configuration: a Prometheus-compatible YAML (`global`, `scrape_configs`,
//! `remote_write`), loaded with every error reported at once, each naming its key and line.
//!
//! Entry point: [`Config::load`] / [`Config::from_yaml`]. The structs here are plain data with
//! Prometheus' defaults filled in; nothing here does I/O beyond reading the file.

mod env;
mod global;
mod plugins;
mod scrape;
mod secret;
#[cfg(test)]
mod tests;
pub mod yaml;

use std::time::Duration;

use crate::discovery::kubernetes::KubernetesSdConfig;
use crate::http_client::HttpClientConfig;
use crate::labels::Labels;
use crate::relabel::RelabelConfig;
use crate::remote_write::RemoteWriteConfig;

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

/// A key that was accepted and ignored, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredKey {
    pub line: usize,
    /// Dotted path, e.g. `global.evaluation_interval`.
    pub path: String,
}

impl std::fmt::Display for IgnoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.path)
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
        let mut config = Config::from_yaml(&text)?;
        config.set_directory(path.parent().unwrap_or(std::path::Path::new(".")));
        Ok(config)
    }

    /// Makes relative file paths (credentials, certificates) relative to `dir`.
    pub fn set_directory(&mut self, dir: &std::path::Path) {
        let scrape = self.scrape_configs.iter_mut().map(|j| &mut j.http);
        for http in scrape.chain(self.remote_write.iter_mut().map(|rw| &mut rw.http)) {
            http.set_directory(dir);
        }
        for p in &mut self.plugins {
            p.path = dir.join(&p.path);
            p.data_dir = p.data_dir.as_ref().map(|d| dir.join(d));
        }
    }

    /// Parses and validates YAML text; every problem is returned, sorted by line.
    pub fn from_yaml(text: &str) -> Result<Config, Vec<ConfigError>> {
        let root = yaml::parse(text).map_err(|e| vec![e])?;
        let mut errors = Errors::default();
        let config = Config::read(&root, &mut errors);
        if errors.is_empty() { Ok(config) } else { Err(errors.into_sorted()) }
    }

    fn read(root: &Node, errors: &mut Errors) -> Config {
        let mut ignored = Vec::new();
        let mut r = MapReader::new(root, "", errors);
        ignore_keys(&mut r, TOP_LEVEL_IGNORED, &mut ignored);
        reject_scrape_config_files(&mut r);
        let global = global::parse(r.get("global"), r.errors, &mut ignored);
        let plugins = plugins::parse(&r.list("plugins"), r.errors);
        let names: Vec<String> = plugins.iter().map(|p| p.name.clone()).collect();
        let scrape_nodes = r.list("scrape_configs");
        let scrape_configs = scrape::parse_all(&scrape_nodes, &global, &names, r.errors, &mut ignored);
        let remote_write = remote_writes(&r.list("remote_write"), r.errors);
        let wal = crate::wal::WalConfig::parse(r.get("wal"), r.errors);
        r.finish();
        Config { global, scrape_configs, remote_write, wal, plugins, ignored }
    }
}

/// Each `remote_write:` entry goes to [`RemoteWriteConfig::parse`]; names must be unique.
fn remote_writes(items: &[(usize, &Node)], errors: &mut Errors) -> Vec<RemoteWriteConfig> {
    let mut out: Vec<RemoteWriteConfig> = Vec::new();
    for &(i, item) in items {
        let path = format!("remote_write[{i}]");
        let Some(rw) = RemoteWriteConfig::parse(item, &path, errors) else { continue };
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
            ignored.push(IgnoredKey { line, path: r.path_of(key) });
        }
    }
}

/// Ignoring `scrape_config_files` would silently drop jobs, so a non-empty one is an error.
fn reject_scrape_config_files(r: &mut MapReader<'_>) {
    if let Some(n) = r.get("scrape_config_files")
        && !matches!(&n.kind, yaml::Kind::Seq(items) if items.is_empty())
    {
        r.error(n, "scrape_config_files", "not supported yet: move these jobs into scrape_configs");
    }
}
