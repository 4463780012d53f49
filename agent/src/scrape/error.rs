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
    #[error("scrape body budget exhausted: the bodies being read hold the agent's {0} bytes for bodies")]
    BodyBudget(u64),
    #[error("decoding gzip body: {0}")]
    Gzip(String),
    #[error("parsing scrape body: {0}")]
    Parse(#[from] ParseError),
    #[error("duplicate series in one scrape: {0}")]
    DuplicateSeries(String),
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
            ScrapeError::BodyBudget(_) => "body_budget",
            ScrapeError::Gzip(_) => "gzip",
            ScrapeError::Parse(_) => "parse",
            ScrapeError::DuplicateSeries(_) => "duplicate_series",
            ScrapeError::SampleLimit(_) => "sample_limit",
            ScrapeError::LabelLimit(_) => "label_limit",
            ScrapeError::Plugin(_) => "plugin",
        }
    }
}
