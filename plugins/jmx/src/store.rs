//! The target's [`jmx_core::jolokia::State`] between scrapes, kept by the host (WIT
//! `scrapelet:plugin@0.2.0`: `state-get`/`state-set`, per target; dropped when the plugin or its
//! config is reloaded or the target goes away; stored only if the scrape succeeds).

use scrapelet_plugin_sdk::state;

/// The bytes stored by the previous scrape of this target (empty if none).
pub fn load() -> Vec<u8> {
    state::get()
}

/// Replaces this target's stored bytes. An error (over the plugin's `limits.state`) is the
/// caller's to log; the next scrape then starts over.
pub fn save(bytes: &[u8]) -> Result<(), String> {
    state::set(bytes)
}
