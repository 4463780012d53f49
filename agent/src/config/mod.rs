//! The agent's configuration: a Prometheus-compatible YAML (`global`, `scrape_configs`,
//! `remote_write`), loaded with every error reported at once, each naming its key and line.
//!
//! Entry point: [`Config::load`] / [`Config::from_yaml`]. The structs here are plain data with
//! Prometheus' defaults filled in; nothing here does I/O beyond reading the file.

pub mod yaml;

use std::time::Duration;

use crate::http_client::HttpClientConfig;
use crate::labels::Labels;
use crate::relabel::RelabelConfig;
use crate::remote_write::RemoteWriteConfig;

pub use yaml::{ConfigError, Errors};

/// The whole configuration file.
#[derive(Clone, Debug)]
pub struct Config {
    pub global: GlobalConfig,
    pub scrape_configs: Vec<ScrapeConfig>,
    pub remote_write: Vec<RemoteWriteConfig>,
}

/// `global:`.
#[derive(Clone, Debug)]
pub struct GlobalConfig {
    /// Default 1m.
    pub scrape_interval: Duration,
    /// Default 10s.
    pub scrape_timeout: Duration,
    pub external_labels: Labels,
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
        Config::from_yaml(&text)
    }

    /// Parses and validates YAML text.
    pub fn from_yaml(_text: &str) -> Result<Config, Vec<ConfigError>> {
        todo!("config helper")
    }
}
