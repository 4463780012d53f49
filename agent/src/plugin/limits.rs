//! The limits of one plugin (`limits:` of its entry under `plugins:`), with their defaults.
//! The pool's limits on all plugins together are [`super::PoolSettings`].

use std::time::Duration;

/// Limits of one plugin's calls. Every one is shown per plugin in `scrapelet_plugin_limit` and on
/// `/targets`.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Memory one call may hold (linear memory, tables, a pending state), bytes.
    pub memory: u64,
    /// Bytes of exposition an exporter may return.
    pub output: u64,
    /// Wall time of one call, host calls included; `None`: the scrape timeout (always its cap).
    pub timeout: Option<Duration>,
    /// Bytes of per-target state an exporter may keep (`host.state-set`).
    pub state: u64,
    /// Calls of this plugin waiting for or holding a slot of the pool at once.
    pub queue: u32,
    /// WASI resources (files, directories, streams, pollables) one call may hold at once.
    pub handles: u32,
    /// `host.fetch` requests one call may make.
    pub fetches: u32,
    /// Log bytes a second the plugin may write, sustained (all its calls together).
    pub log_rate: u64,
    /// Log bytes the plugin may write in a burst beyond the rate.
    pub log_burst: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 64 << 20,
            output: 16 << 20,
            timeout: None,
            state: 1 << 20,
            queue: 8,
            handles: 64,
            fetches: 32,
            log_rate: 4 << 10,
            log_burst: 64 << 10,
        }
    }
}

impl Limits {
    /// The time limit of a call made for a scrape with `scrape_timeout`.
    pub fn call_timeout(&self, scrape_timeout: Duration) -> Duration {
        self.timeout.map_or(scrape_timeout, |t| t.min(scrape_timeout))
    }

    /// Every limit as (name, value) in base units (bytes, seconds, counts), for the
    /// `scrapelet_plugin_limit` gauge and `/targets`. The timeout is absent when it is the scrape's.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            ("memory_bytes", self.memory as f64),
            ("output_bytes", self.output as f64),
            ("state_bytes", self.state as f64),
            ("queue", self.queue.into()),
            ("handles", self.handles.into()),
            ("fetches", self.fetches.into()),
            ("log_bytes_per_second", self.log_rate as f64),
            ("log_burst_bytes", self.log_burst as f64),
        ];
        if let Some(t) = self.timeout {
            out.push(("timeout_seconds", t.as_secs_f64()));
        }
        out
    }
}
