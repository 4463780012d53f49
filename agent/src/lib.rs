//! scrapelet: a per-node metrics agent. Discovery → relabel → scrape → series cache → remote write.
//!
//! The modules follow the path of one sample (see `agent/README.md`, "How a sample travels
//! through the code"): [`config`] loads a Prometheus-compatible YAML, [`relabel`] is the native
//! relabel engine, [`scrape`] fetches and parses targets into [`series`], [`remote_write`] ships
//! them, [`server`] serves the agent's own HTTP endpoints and [`metrics`] its self-metrics.

// Unsafe code is denied everywhere but in `series`, whose compact layout (a series in one
// allocation of 20 bytes plus 4 a label; pairs read without a lock) is where the agent's memory
// per active series goes.
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod discovery;
pub mod http_client;
pub mod labels;
pub mod metrics;
pub mod plugin;
pub mod relabel;
pub mod remote_write;
pub mod scrape;
#[allow(unsafe_code)]
pub mod series;
pub mod server;
pub mod wal;
