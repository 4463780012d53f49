//! Remote write 1.0: batches samples per remote, encodes protobuf + snappy, sends with shards,
//! retries retryable failures with backoff and counts every drop.
//!
//! Entry points: [`RemoteWriteConfig::parse`] for one `remote_write:` entry; [`RemoteWriter`]
//! runs one queue per entry and takes [`Batch`]es from the scrape loops.

use std::time::Duration;

use crate::config::yaml::{Errors, Node};
use crate::http_client::HttpClientConfig;
use crate::labels::Labels;
use crate::relabel::RelabelConfig;
use crate::series::Batch;

/// One `remote_write:` entry with Prometheus' defaults applied.
#[derive(Clone, Debug)]
pub struct RemoteWriteConfig {
    pub url: String,
    /// `name`, or a short hash of the URL; used as the `remote` label of self-metrics.
    pub name: String,
    /// Default 30s.
    pub remote_timeout: Duration,
    pub headers: Vec<(String, String)>,
    pub http: HttpClientConfig,
    pub write_relabel_configs: Vec<RelabelConfig>,
    pub queue_config: QueueConfig,
}

/// `queue_config:` with Prometheus' defaults.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    pub capacity: usize,
    pub max_shards: usize,
    pub min_shards: usize,
    pub max_samples_per_send: usize,
    pub batch_send_deadline: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub retry_on_http_429: bool,
}

impl RemoteWriteConfig {
    /// Parses one entry at `node` (path like `remote_write[0]`).
    pub fn parse(_node: &Node, _path: &str, _errors: &mut Errors) -> Option<RemoteWriteConfig> {
        todo!("remote write helper")
    }
}

/// The running queues, one per remote, in config order (the index is the series' slot).
pub struct RemoteWriter {}

impl RemoteWriter {
    /// Starts one queue per config. `external_labels` are added to every series before write
    /// relabelling (a series' own label wins over an external one of the same name).
    pub fn start(_configs: &[RemoteWriteConfig], _external_labels: Labels) -> RemoteWriter {
        todo!("remote write helper")
    }

    /// Queues a batch for every remote; waits when a queue is full (back-pressure).
    pub async fn append(&self, _batch: Batch) {
        todo!("remote write helper")
    }

    /// Stops taking samples and sends what is queued, giving up after `deadline`.
    pub async fn shutdown(self, _deadline: Duration) {
        todo!("remote write helper")
    }
}
