//! Per-target state kept by the agent between an exporter's calls (`host.state-get` /
//! `host.state-set`): each scrape is a fresh instance, so this is the only memory across scrapes.
//!
//! The state belongs to one target of one plugin. The agent drops it when the plugin or its
//! config is reloaded and when the target goes away, and stores a new one only if the call that
//! set it succeeds (a failed or timed-out collect leaves the old state). At most the plugin's
//! `limits.state` bytes (default 1 MiB). In a transform [`get`] is always empty and [`set`] fails.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::host::wit;

/// The bytes stored for the current target (empty if none).
pub fn get() -> Vec<u8> {
    wit::state_get()
}

/// Replaces the current target's state; `Err` if it is over `limits.state`.
pub fn set(data: &[u8]) -> Result<(), String> {
    wit::state_set(data)
}

/// The state as a `serde` value stored with [`set_json`]; `None` when there is none, or it does
/// not parse as `T` (e.g. written by an older version of the plugin: start afresh).
pub fn get_json<T: DeserializeOwned>() -> Option<T> {
    let bytes = get();
    if bytes.is_empty() {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// Stores `value` as JSON for the current target.
pub fn set_json<T: Serialize>(value: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec(value).map_err(|e| format!("serialising the state: {e}"))?;
    set(&bytes)
}
