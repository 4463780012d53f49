//! Streaming parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! Entry point: [`Parser`], which borrows the scrape body and yields [`Entry`] items without
//! allocating; [`series_labels`] turns the raw series bytes of a sample into a [`Labels`] (only
//! on a series-cache miss).

use crate::labels::Labels;

/// Which exposition format a body is in (from the response's Content-Type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

impl Format {
    /// `application/openmetrics-text` → OpenMetrics; anything else → text 0.0.4.
    pub fn from_content_type(_ct: &str) -> Format {
        todo!("parser helper")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Unknown,
}

/// One item of a body.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry<'a> {
    /// A sample. `series` is the raw `name{labels}` bytes (the series-cache key); `name` the
    /// metric name.
    Sample {
        series: &'a [u8],
        name: &'a str,
        value: f64,
        timestamp_ms: Option<i64>,
    },
    Type {
        name: &'a str,
        kind: MetricType,
    },
    Help {
        name: &'a str,
        text: &'a str,
    },
    Unit {
        name: &'a str,
        unit: &'a str,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Pull parser over one body.
pub struct Parser<'a> {
    _body: &'a [u8],
}

impl<'a> Parser<'a> {
    pub fn new(_body: &'a [u8], _format: Format) -> Self {
        todo!("parser helper")
    }

    /// The next entry, `Ok(None)` at the end (for OpenMetrics, after `# EOF`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Entry<'a>>, ParseError> {
        todo!("parser helper")
    }
}

/// The labels of a raw series (`name{a="b"}`), `__name__` included, unescaped and sorted.
pub fn series_labels(_series: &[u8]) -> Result<Labels, ParseError> {
    todo!("parser helper")
}
