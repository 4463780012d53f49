//! WebAssembly plugins: exporters (a non-Prometheus source → text exposition) and transforms
//! (a verdict per new series), run sandboxed in wasmtime under the `wit/` contract.
//!
//! Entry points: [`registry()`] holds the configured plugins (loaded once, hot-reloaded when the
//! file or its configuration changes); [`exporter::collect`] and [`transform::rewrite`] make one
//! call each, in a fresh `Store`, on the plugin pool ([`pool`]: never on the agent's runtime),
//! within a deadline that covers host calls too, and within the [`Limits`]. Nothing a plugin does
//! may stop the agent or touch another target: every failure is a [`PluginError`] that fails one
//! scrape and is counted in `scrapelet_plugin_errors_total{plugin,kind}`.

mod backoff;
mod bindings;
mod call;
mod compat;
mod engine;
pub mod exporter;
mod fetch;
mod host;
mod limiter;
mod limits;
mod pool;
mod registry;
mod state;
mod stats;
pub mod status;
mod stderr;
pub mod transform;

pub use backoff::Backoff;
pub use engine::{ACCEPTED, Inspection, World, inspect};
pub use fetch::Fetch;
pub use limits::Limits;
pub use pool::{PoolSettings, configure};
pub use registry::{Loaded, Registry, load_file, registry};
pub use state::{CallState, TargetState};

/// Why a plugin call failed. [`PluginError::kind`] is the bounded metric label.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {0:?} is not loaded")]
    Unavailable(String),
    #[error("plugin {plugin:?} exceeded its time limit of {limit:?} (the call was abandoned)")]
    Timeout { plugin: String, limit: std::time::Duration },
    #[error("plugin {plugin:?} exceeded its memory limit of {limit} bytes")]
    Memory { plugin: String, limit: u64 },
    #[error(
        "plugin {plugin:?} would take the plugin calls in progress past their memory limit of {limit} bytes (--plugin.memory-limit)"
    )]
    PoolMemory { plugin: String, limit: u64 },
    #[error("plugin {plugin:?} held more than {limit} handles (files, streams, pollables) at once (limits.handles)")]
    Handles { plugin: String, limit: u32 },
    #[error("plugin {plugin:?} returned {size} bytes, over its output limit of {limit}")]
    Output { plugin: String, size: u64, limit: u64 },
    #[error("plugin {plugin:?} panicked: {message}")]
    Panic { plugin: String, message: String },
    #[error("plugin {plugin:?} trapped: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin {plugin:?} failed: {message}")]
    Failed { plugin: String, message: String },
    #[error("plugin {plugin:?} returned invalid output: {message}")]
    BadOutput { plugin: String, message: String },
    #[error("plugin {plugin:?} is backing off after {failures} consecutive failures")]
    Backoff { plugin: String, failures: u32 },
    #[error("plugin {plugin:?} already has {limit} calls waiting or running (limits.queue); this one was not started")]
    QueueFull { plugin: String, limit: u32 },
    #[error(
        "plugin {plugin:?} waited {limit:?} for one of the plugin pool's {slots} slots (--plugin.max-calls); the call was not started"
    )]
    PoolFull { plugin: String, slots: usize, limit: std::time::Duration },
    #[error("loading plugin {plugin:?}: {message}")]
    Load { plugin: String, message: String },
}

/// Longest text of a plugin's own kept in an error (its `Err` message, its panic).
const MAX_TEXT: usize = 4 << 10;

/// A plugin's own text made safe for the agent's log and pages: at most 4 KiB, control
/// characters, line and paragraph separators and bidirectional overrides escaped (`\n`,
/// `\u{1b}`), so it can never start a line of its own or rewrite one.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    for c in text.chars() {
        if out.len() >= MAX_TEXT {
            out.push_str("...");
            break;
        }
        let hidden =
            c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if hidden {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

impl PluginError {
    /// The `kind` label of `scrapelet_plugin_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Unavailable(_) => "unavailable",
            PluginError::Timeout { .. } => "timeout",
            PluginError::Memory { .. } | PluginError::PoolMemory { .. } => "memory",
            PluginError::Handles { .. } => "handles",
            PluginError::Output { .. } => "output_limit",
            PluginError::Panic { .. } => "panic",
            PluginError::Trap { .. } => "trap",
            PluginError::Failed { .. } => "plugin_error",
            PluginError::BadOutput { .. } => "bad_output",
            PluginError::Backoff { .. } => "backoff",
            PluginError::QueueFull { .. } => "queue_full",
            PluginError::PoolFull { .. } => "pool_full",
            PluginError::Load { .. } => "load",
        }
    }

    /// Whether the instance crashed (as opposed to reporting an error or not being run): these
    /// count towards backoff.
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            PluginError::Timeout { .. }
                | PluginError::Memory { .. }
                | PluginError::Handles { .. }
                | PluginError::Panic { .. }
                | PluginError::Trap { .. }
                | PluginError::Output { .. }
        )
    }

    /// Counts this error in `scrapelet_plugin_errors_total`.
    pub fn count(&self, plugin: &str) {
        crate::metrics::get().plugin_errors.with(&[plugin, self.kind()]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn a_plugins_text_cannot_break_a_log_line() {
        let forged = "bad\n2026-01-01T00:00:00Z ERROR scrapelet::wal: FORGED\0\x1b[2J\u{2028}\u{202e}é";
        let safe = sanitize(forged);
        assert_eq!(safe, r"bad\n2026-01-01T00:00:00Z ERROR scrapelet::wal: FORGED\0\u{1b}[2J\u{2028}\u{202e}é");
        assert!(sanitize(&"x".repeat(10_000)).len() <= 4 * 1024 + 3);
        assert_eq!(sanitize("quotes \"stay\" as they are"), "quotes \"stay\" as they are");
    }
}
