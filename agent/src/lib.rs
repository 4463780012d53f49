//! scrapelet: a per-node metrics agent. Discovery → relabel → scrape → series cache → remote write.
//!
//! The modules follow the path of one sample (see the README's "How a sample travels
//! through the code"): [`config`] loads a Prometheus-compatible YAML, [`relabel`] is the native
//! relabel engine, [`scrape`] fetches and parses targets into [`series`], [`remote_write`] ships
//! them, [`server`] serves the agent's own HTTP endpoints and [`metrics`] its self-metrics.

#![forbid(unsafe_code)]

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
pub mod series;
pub mod server;
pub mod wal;
