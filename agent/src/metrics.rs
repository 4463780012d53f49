//! The agent's own metrics (`scrapelet_*`), rendered in text exposition format on `/metrics`.
//!
//! Families are registered once in [`SelfMetrics`]; a hot path takes the `Arc<Counter>` for its
//! label values once and then only does atomic adds. Label values must be bounded (job, reason,
//! remote name), never a series name or a URL path.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (stored as f64 bits).
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn add(&self, d: f64) {
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| Some((f64::from_bits(b) + d).to_bits()));
    }
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// A counter of a fractional quantity (seconds).
#[derive(Debug, Default)]
pub struct FloatCounter(Gauge);

impl FloatCounter {
    pub fn add(&self, d: f64) {
        self.0.add(d.max(0.0));
    }
}

/// A value a family can render.
pub trait Value: Default + Send + Sync {
    const TYPE: &'static str;
    fn value(&self) -> f64;
}

impl Value for Counter {
    const TYPE: &'static str = "counter";
    fn value(&self) -> f64 {
        self.get() as f64
    }
}

impl Value for FloatCounter {
    const TYPE: &'static str = "counter";
    fn value(&self) -> f64 {
        self.0.get()
    }
}

impl Value for Gauge {
    const TYPE: &'static str = "gauge";
    fn value(&self) -> f64 {
        self.get()
    }
}

/// A metric family with fixed label names.
pub struct Family<T> {
    name: &'static str,
    help: &'static str,
    label_names: &'static [&'static str],
    children: Mutex<BTreeMap<Vec<String>, Arc<T>>>,
}

impl<T: Value> Family<T> {
    pub fn new(name: &'static str, help: &'static str, label_names: &'static [&'static str]) -> Self {
        Family { name, help, label_names, children: Mutex::new(BTreeMap::new()) }
    }

    /// The child for these label values (one per label name), created at zero if new.
    pub fn with(&self, values: &[&str]) -> Arc<T> {
        debug_assert_eq!(values.len(), self.label_names.len(), "{}", self.name);
        let key: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        self.children.lock().unwrap().entry(key).or_default().clone()
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}\n# TYPE {} {}", self.name, self.help, self.name, T::TYPE);
        for (values, child) in self.children.lock().unwrap().iter() {
            out.push_str(self.name);
            if !values.is_empty() {
                out.push('{');
                for (i, (n, v)) in self.label_names.iter().zip(values).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{n}=\"");
                    let _ = crate::labels::write_escaped(out, v);
                    out.push('"');
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", fmt_value(child.value()));
        }
    }
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

macro_rules! self_metrics {
    ($( $field:ident : $ty:ident ( $name:literal, $help:literal, [$($label:literal),*] ) ),* $(,)?) => {
        /// Every self-metric family of the agent.
        pub struct SelfMetrics { $( pub $field: Family<$ty>, )* }

        impl SelfMetrics {
            fn new() -> Self {
                SelfMetrics { $( $field: Family::new($name, $help, &[$($label),*]), )* }
            }

            /// All families in text exposition format.
            pub fn render(&self) -> String {
                let mut out = String::new();
                $( self.$field.render(&mut out); )*
                out
            }
        }
    };
}

self_metrics! {
    scrapes: Counter("scrapelet_scrapes_total", "Scrapes attempted.", ["job"]),
    scrape_failures: Counter("scrapelet_scrape_failures_total", "Scrapes that failed, by reason.", ["job", "reason"]),
    scrape_panics: Counter("scrapelet_scrape_panics_total", "Scrapes that panicked (a bug: the loop goes on with a new series cache).", ["job"]),
    samples_appended: Counter("scrapelet_samples_appended_total", "Samples handed to remote write.", ["job"]),
    targets: Gauge("scrapelet_targets", "Active scrape targets.", ["job"]),
    samples_duplicate: Counter("scrapelet_scrape_samples_duplicate_total", "Repeats of a series in one scrape, dropped (the first sample is kept; Prometheus' prometheus_target_scrapes_sample_duplicate_timestamp_total).", ["job"]),
    samples_out_of_order: Counter("scrapelet_scrape_samples_out_of_order_total", "Repeats of a series in one scrape with an older timestamp than the one taken, dropped.", ["job"]),
    target_sync_failed: Counter("scrapelet_target_sync_failed_total", "Targets relabelling kept that could not be formed (listed on /targets, not scraped), each counted once.", ["job"]),
    scrape_body_budget: Gauge("scrapelet_scrape_body_budget_bytes", "Bytes of scrape bodies all targets together may hold at once (a quarter of the memory limit); a body that would pass it fails with reason body_budget.", []),
    scrape_body_bytes: Gauge("scrapelet_scrape_body_bytes", "Bytes of scrape bodies held right now (being read or parsed).", []),
    http_connections: Gauge("scrapelet_http_connections", "Open connections to the agent's own HTTP endpoints.", []),
    http_connections_closed: Counter("scrapelet_http_connections_closed_total", "Connections to the agent's endpoints it closed, by reason (idle, header_timeout, evicted).", ["reason"]),
    http_accept_errors: Counter("scrapelet_http_accept_errors_total", "Failed accepts on the agent's listener, by kind (file_descriptors, other); each backs off.", ["kind"]),
    rw_samples_sent: Counter("scrapelet_remote_write_samples_sent_total", "Samples the backend accepted.", ["remote"]),
    rw_samples_failed: Counter("scrapelet_remote_write_samples_failed_total", "Samples in requests that failed (before any retry).", ["remote"]),
    rw_samples_retried: Counter("scrapelet_remote_write_samples_retried_total", "Samples re-sent after a retryable failure.", ["remote"]),
    rw_samples_dropped: Counter("scrapelet_remote_write_dropped_samples_total", "Samples given up on, by reason.", ["remote", "reason"]),
    rw_requests: Counter("scrapelet_remote_write_requests_total", "Remote-write requests, by HTTP status class.", ["remote", "status"]),
    rw_bytes_sent: Counter("scrapelet_remote_write_bytes_sent_total", "Compressed request bytes the backend accepted.", ["remote"]),
    rw_queue_samples: Gauge("scrapelet_remote_write_queue_samples", "Samples waiting to be sent.", ["remote"]),
    rw_shards: Gauge("scrapelet_remote_write_shards", "Remote-write shards running.", ["remote"]),
    rw_shards_desired: Gauge("scrapelet_remote_write_shards_desired", "Shards the last update computed (unrounded), from the ingestion rate, the send latency and the backlog.", ["remote"]),
    rw_shards_min: Gauge("scrapelet_remote_write_shards_min", "min_shards.", ["remote"]),
    rw_shards_max: Gauge("scrapelet_remote_write_shards_max", "max_shards.", ["remote"]),
    rw_highest_sent_timestamp: Gauge("scrapelet_remote_write_highest_sent_timestamp_seconds", "Newest sample timestamp the backend accepted.", ["remote"]),
    discovery_errors: Counter("scrapelet_discovery_errors_total", "Pod discovery polls or watches that failed, by source and reason.", ["source", "reason"]),
    discovery_invalid_annotations: Counter("scrapelet_discovery_invalid_annotations_total", "Pods whose prometheus.io annotations cannot be used, by reason (each pod counted once).", ["reason"]),
    rw_highest_sent_lag: Gauge("scrapelet_remote_write_highest_sent_lag_seconds", "Newest appended sample timestamp minus the newest one the backend accepted.", ["remote"]),
    rw_protocol: Gauge("scrapelet_remote_write_protocol_version", "Remote-write protocol in use (1 or 2; 2 falls back to 1 on 415).", ["remote"]),
    wal_bytes: Gauge("scrapelet_wal_bytes", "Bytes of WAL segments on disk.", []),
    wal_max_bytes: Gauge("scrapelet_wal_max_bytes", "The WAL's size limit, max_wal_bytes (0: unlimited); beyond it the oldest data is dropped.", []),
    wal_segments: Gauge("scrapelet_wal_segments", "WAL segment files on disk.", []),
    wal_samples_written: Counter("scrapelet_wal_samples_written_total", "Samples appended to the WAL.", []),
    wal_bytes_written: Counter("scrapelet_wal_bytes_written_total", "Bytes appended to the WAL (records and their headers).", []),
    wal_write_errors: Counter("scrapelet_wal_write_errors_total", "Appends the WAL could not write (their samples are dropped, reason wal_write).", []),
    wal_corrupt_records: Counter("scrapelet_wal_corrupt_records_total", "Torn or corrupt WAL records skipped (with the rest of their segment).", ["remote"]),
    wal_replayed_samples: Counter("scrapelet_wal_replayed_samples_total", "Samples re-read after a restart from behind the checkpoint: an upper bound on duplicates.", ["remote"]),
    wal_reader_lag_bytes: Gauge("scrapelet_wal_reader_lag_bytes", "WAL bytes a remote has not read yet (replay progress).", ["remote"]),
    plugin_errors: Counter("scrapelet_plugin_errors_total", "Plugin failures, by kind (timeout, memory, handles, trap, panic, output_limit, plugin_error, bad_output, fetch_refused, fetch_limit, queue_full, pool_full, backoff, unavailable, load).", ["plugin", "kind"]),
    plugin_calls: Counter("scrapelet_plugin_calls_total", "Plugin calls (init + collect or rewrite, in a fresh instance).", ["plugin"]),
    plugin_call_seconds: FloatCounter("scrapelet_plugin_call_seconds_total", "Time spent in plugin calls.", ["plugin"]),
    plugin_memory: Gauge("scrapelet_plugin_memory_bytes", "Memory the last call of the plugin held at most (linear memory, tables, pending state).", ["plugin"]),
    plugin_loads: Counter("scrapelet_plugin_loads_total", "Plugin (re)loads, by result.", ["plugin", "result"]),
    plugin_state_bytes: Gauge("scrapelet_plugin_state_bytes", "Per-target state the plugin's targets hold (host.state-set), summed.", ["plugin"]),
    plugin_limit: Gauge("scrapelet_plugin_limit", "Each limit of a plugin (limits:), in bytes, seconds or counts.", ["plugin", "limit"]),
    plugin_calls_in_flight: Gauge("scrapelet_plugin_calls_in_flight", "Calls of the plugin waiting for or holding a slot of the pool (at most limits.queue).", ["plugin"]),
    plugin_fetches: Counter("scrapelet_plugin_fetches_total", "host.fetch requests plugin calls made (refused ones included).", ["plugin"]),
    plugin_log_bytes: Counter("scrapelet_plugin_log_bytes_total", "Log bytes the plugin wrote (its text plus 64 a line).", ["plugin"]),
    plugin_log_dropped: Counter("scrapelet_plugin_log_lines_dropped_total", "Plugin log lines dropped by the log rate limit.", ["plugin"]),
    plugin_duplicate_samples: Counter("scrapelet_plugin_duplicate_samples_total", "Samples dropped because a transform gave their series the label set of another series of the same scrape (the first is kept).", ["plugin"]),
    plugin_pool_threads: Gauge("scrapelet_plugin_pool_threads", "Threads that run plugin calls (--plugin.threads).", []),
    plugin_pool_max_calls: Gauge("scrapelet_plugin_pool_max_calls", "Plugin calls that may be in progress at once (--plugin.max-calls).", []),
    plugin_pool_calls: Gauge("scrapelet_plugin_pool_calls", "Plugin calls in progress now, all plugins.", []),
    plugin_pool_memory_limit: Gauge("scrapelet_plugin_pool_memory_limit_bytes", "Memory all plugin calls in progress may hold together (--plugin.memory-limit).", []),
    plugin_pool_memory: Gauge("scrapelet_plugin_pool_memory_bytes", "Memory the plugin calls in progress hold now.", []),
    config_reloads: Counter("scrapelet_config_reloads_total", "Configuration reloads, by result.", ["result"]),
}

/// The process-wide self-metrics.
pub fn get() -> &'static SelfMetrics {
    static M: OnceLock<SelfMetrics> = OnceLock::new();
    M.get_or_init(SelfMetrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_families_with_labels() {
        let f: Family<Counter> = Family::new("x_total", "An x.", &["reason"]);
        f.with(&["a\"b"]).add(3);
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(out, "# HELP x_total An x.\n# TYPE x_total counter\nx_total{reason=\"a\\\"b\"} 3\n");
    }
}
