//! The target's [`jmx_core::jolokia::State`] between scrapes, kept by the host (WIT
//! `scrapelet:plugin@0.2.0`: `state-get`/`state-set`, per target, dropped on reload).
//!
//! Until the host offers them, nothing is kept: every scrape starts from an empty state, i.e.
//! discovers every MBean (the output is the same, the cost is the first scrape's each time).

/// The bytes stored by the previous scrape of this target (empty if none).
pub fn load() -> Vec<u8> {
    Vec::new()
}

/// Replaces this target's stored bytes; kept only if this scrape succeeds. An error (over the
/// plugin's state limit) is logged and the next scrape starts over.
pub fn save(_bytes: &[u8]) -> Result<(), String> {
    Ok(())
}
