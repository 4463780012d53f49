//! Why a scrape failed, with a bounded `reason` for self-metrics.

use std::time::Duration;

use super::parse::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("server returned HTTP status {0}")]
    HttpStatus(u16),
    #[error("{0}")]
    Network(String),
    #[error("context deadline exceeded: scrape took longer than {0:?}")]
    Timeout(Duration),
    #[error("body size limit exceeded: body larger than {0} bytes")]
    BodySizeLimit(u64),
    #[error("decoding gzip body: {0}")]
    Gzip(String),
    #[error("{0}")]
    ContentType(String),
    #[error("parsing scrape body: {0}")]
    Parse(#[from] ParseError),
    /// Prometheus' `errNameLabelMandatory`: metric relabelling left a series without a name.
    #[error("missing metric name (__name__ label)")]
    MissingMetricName,
    /// A name not valid under the job's `metric_name_validation_scheme` (in Prometheus' words).
    #[error("invalid metric name or label names: {0}")]
    InvalidNames(String),
    #[error("target_limit exceeded (number of targets: {targets}, limit: {limit})")]
    TargetLimit { targets: usize, limit: u64 },
    #[error("sample limit exceeded: more than {0} samples after metric relabelling")]
    SampleLimit(u64),
    #[error("{0}")]
    LabelLimit(String),
    #[error("{0}")]
    Plugin(#[from] crate::plugin::PluginError),
}

impl ScrapeError {
    /// The `reason` label of `scrapelet_scrape_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            ScrapeError::HttpStatus(_) => "http_status",
            ScrapeError::Network(_) => "network",
            ScrapeError::Timeout(_) => "timeout",
            ScrapeError::BodySizeLimit(_) => "body_size_limit",
            ScrapeError::Gzip(_) => "gzip",
            ScrapeError::ContentType(_) => "content_type",
            ScrapeError::Parse(_) => "parse",
            ScrapeError::MissingMetricName => "missing_metric_name",
            ScrapeError::InvalidNames(_) => "invalid_names",
            ScrapeError::TargetLimit { .. } => "target_limit",
            ScrapeError::SampleLimit(_) => "sample_limit",
            ScrapeError::LabelLimit(_) => "label_limit",
            ScrapeError::Plugin(_) => "plugin",
        }
    }
}
