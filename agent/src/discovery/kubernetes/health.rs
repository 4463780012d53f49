//! The health of each running pod source, for `/targets`, `/api/v1/targets` and `/-/ready`.
//!
//! Entry point: [`register`] returns a [`Reporter`] the source updates after each poll; [`all`] is
//! what the server reads. A reporter removes its entry when dropped (source stopped or reloaded),
//! so a reload never leaves a stale row. Updated once per poll, never on the scrape path.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// One source as the endpoints show it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceHealth {
    pub job: String,
    /// `kubelet` or `api`.
    pub source: &'static str,
    /// Where it reads from (the kubelet URL), if known.
    pub endpoint: String,
    /// `None` until the first poll ends.
    pub up: Option<bool>,
    pub last_success: Option<SystemTime>,
    /// The error of the current failure streak; cleared by a success.
    pub last_error: Option<String>,
    /// Its bounded reason (`forbidden`, `timeout`, ...), as in `scrapelet_discovery_errors_total`.
    pub last_error_reason: Option<&'static str>,
    /// Targets currently published (the last good set while failing).
    pub targets: usize,
}

impl SourceHealth {
    /// `up`, `down` or `unknown`, as Prometheus words target health.
    pub fn state(&self) -> &'static str {
        match self.up {
            None => "unknown",
            Some(true) => "up",
            Some(false) => "down",
        }
    }
}

fn registry() -> &'static Mutex<BTreeMap<u64, SourceHealth>> {
    static R: OnceLock<Mutex<BTreeMap<u64, SourceHealth>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// A source's handle on its row.
#[derive(Debug)]
pub struct Reporter {
    id: u64,
}

/// Adds a row for a new source.
pub fn register(initial: SourceHealth) -> Reporter {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    registry().lock().unwrap().insert(id, initial);
    Reporter { id }
}

impl Reporter {
    pub fn update(&self, f: impl FnOnce(&mut SourceHealth)) {
        if let Some(h) = registry().lock().unwrap().get_mut(&self.id) {
            f(h);
        }
    }

    #[cfg(test)]
    pub fn get(&self) -> Option<SourceHealth> {
        registry().lock().unwrap().get(&self.id).cloned()
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        registry().lock().unwrap().remove(&self.id);
    }
}

/// Every running source, in start order.
pub fn all() -> Vec<SourceHealth> {
    registry().lock().unwrap().values().cloned().collect()
}
