//! Per-target plugin state: the bytes an exporter keeps for its target between calls
//! (`host.state-get` / `host.state-set`), e.g. the JMX plugin's rule-match cache.
//!
//! Entry points: [`TargetState`] (held by the target's scrape loop, one per target and plugin)
//! and [`CallState`] (one call's view of it). The state is dropped when the plugin or its config
//! is reloaded (a new generation) and when the target goes away; a call's new state is stored
//! only when the call succeeds. Never shared between targets or plugins, never ambient.

use std::sync::Arc;

use crate::metrics;

/// One call's view of its target's state.
pub struct CallState {
    input: Arc<Vec<u8>>,
    output: Option<Vec<u8>>,
    limit: u64,
    enabled: bool,
}

impl CallState {
    /// The state of an exporter call: `input` as stored, at most `limit` bytes may be set.
    pub fn exporter(input: Arc<Vec<u8>>, limit: u64) -> CallState {
        CallState { input, output: None, limit, enabled: true }
    }

    /// A transform has no state: `get` is empty and `set` fails.
    pub fn disabled() -> CallState {
        CallState { input: Arc::default(), output: None, limit: 0, enabled: false }
    }

    /// What `state-get` returns: the latest `set` of this call, else the stored state.
    pub fn get(&self) -> Vec<u8> {
        self.output.as_ref().unwrap_or(&self.input).clone()
    }

    /// What `state-set` does; `Err` is the reason the plugin reads.
    pub fn set(&mut self, data: Vec<u8>) -> Result<(), String> {
        if !self.enabled {
            return Err("a transform has no state".into());
        }
        if data.len() as u64 > self.limit {
            return Err(format!(
                "state of {} bytes is over the plugin's limits.state of {} bytes",
                data.len(),
                self.limit
            ));
        }
        self.output = Some(data);
        Ok(())
    }

    /// Bytes held for a pending `set` (they count against the call's memory).
    pub fn pending(&self) -> usize {
        self.output.as_ref().map_or(0, Vec::len)
    }

    /// The new state, if the call set one.
    pub fn into_output(self) -> Option<Vec<u8>> {
        self.output
    }
}

/// The state one target keeps for its exporter plugin.
pub struct TargetState {
    plugin: String,
    generation: u64,
    bytes: Arc<Vec<u8>>,
}

impl TargetState {
    pub fn new(plugin: &str) -> TargetState {
        metrics::get().plugin_state_bytes.with(&[plugin]); // shown (0) before any state is set
        TargetState { plugin: plugin.to_string(), generation: 0, bytes: Arc::default() }
    }

    /// The state to hand to a call of the plugin's `generation`: empty after a reload.
    pub fn for_call(&mut self, generation: u64) -> Arc<Vec<u8>> {
        if generation != self.generation {
            self.replace(Vec::new());
            self.generation = generation;
        }
        self.bytes.clone()
    }

    /// Keeps a successful call's new state.
    pub fn store(&mut self, bytes: Vec<u8>) {
        self.replace(bytes);
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn replace(&mut self, bytes: Vec<u8>) {
        let delta = bytes.len() as f64 - self.bytes.len() as f64;
        if delta != 0.0 {
            metrics::get().plugin_state_bytes.with(&[&self.plugin]).add(delta);
        }
        self.bytes = Arc::new(bytes);
    }
}

impl Drop for TargetState {
    fn drop(&mut self) {
        self.replace(Vec::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_sees_its_own_set_and_the_limit_holds() {
        let mut call = CallState::exporter(Arc::new(b"old".to_vec()), 4);
        assert_eq!(call.get(), b"old");
        assert!(call.set(b"12345".to_vec()).unwrap_err().contains("limits.state of 4 bytes"));
        call.set(b"new".to_vec()).unwrap();
        assert_eq!((call.get(), call.pending()), (b"new".to_vec(), 3));
        assert_eq!(call.into_output(), Some(b"new".to_vec()));
        let mut t = CallState::disabled();
        assert!(t.get().is_empty() && t.set(vec![]).is_err());
    }

    #[test]
    fn target_state_is_dropped_on_a_new_generation() {
        let mut s = TargetState::new("state-test");
        assert!(s.for_call(1).is_empty());
        s.store(b"cache".to_vec());
        assert_eq!(s.for_call(1).as_slice(), b"cache");
        assert!(s.for_call(2).is_empty(), "a reload starts from nothing");
        let gauge = metrics::get().plugin_state_bytes.with(&["state-test"]);
        s.store(vec![0; 10]);
        assert_eq!(gauge.get(), 10.0);
        drop(s);
        assert_eq!(gauge.get(), 0.0);
    }
}
