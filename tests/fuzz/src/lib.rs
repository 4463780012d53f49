//! Fuzz targets for the parts of the agent that read bytes someone else chose, each a plain
//! `fn(&[u8])` that must return for any input without panicking (and keep its invariants):
//!
//! - [`targets::exposition`]: a scraped body, text 0.0.4 and OpenMetrics, through the scrape path
//!   (parser, series cache, relabelling, limits) twice, and through the plain parser;
//! - [`targets::remote_write_response`]: a backend's raw HTTP answer to a remote-write request
//!   (status, `Retry-After`, `X-Prometheus-Remote-Write-Samples-Written`, body), and the retry
//!   decision and wait;
//! - [`targets::jolokia_reply`]: a Jolokia bulk reply walked and mapped by the JMX exporter rules;
//! - [`targets::wal_records`]: a WAL segment's bytes, corrupt or truncated, decoded record by record.
//!
//! Two drivers run them: `cargo fuzz` (libFuzzer, nightly, coverage-guided; `libfuzzer/`) and
//! [`runner`], a stable mutation loop over the committed corpus (`corpus/<target>/`), which the
//! test command runs for a bounded time (`tests/bounded.rs`).

pub mod runner;
pub mod targets;

/// A fuzz target.
pub type Target = fn(&[u8]);

/// Every target by name (the corpus directory and the `cargo fuzz` target share the name).
pub const TARGETS: [(&str, Target); 4] = [
    ("exposition", targets::exposition),
    ("remote_write_response", targets::remote_write_response),
    ("jolokia_reply", targets::jolokia_reply),
    ("wal_records", targets::wal_records),
];

/// The committed corpus of `target`.
pub fn corpus_dir(target: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target)
}
