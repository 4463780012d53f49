//! WebAssembly plugins: exporters (a non-Prometheus source → text exposition) and transforms
//! (a verdict per new series), run sandboxed in wasmtime under the `wit/` contract.
//!
//! Entry points: [`registry()`] holds the configured plugins (loaded once, hot-reloaded when the
//! file or its configuration changes); [`exporter::collect`] and [`transform::rewrite`] make one
//! call each in a fresh `Store` with memory, CPU (epoch deadline) and output limits. Nothing a
//! plugin does may stop the agent or touch another target: every failure is a [`PluginError`]
//! that fails one scrape and is counted in `scrapelet_plugin_errors_total{plugin,kind}`.

mod backoff;
mod bindings;
mod call;
mod engine;
pub mod exporter;
mod fetch;
mod host;
mod registry;
mod source;
mod state;
pub mod transform;

pub use backoff::Backoff;
pub use engine::{Inspection, World, inspect};
pub use fetch::Fetch;
pub use registry::{Loaded, Registry, load_file, registry};
pub use source::PluginSource;
pub use state::{CallState, TargetState};

/// Why a plugin call failed. [`PluginError::kind`] is the bounded metric label.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {0:?} is not loaded")]
    Unavailable(String),
    #[error("plugin {plugin:?} exceeded its time limit of {limit:?}")]
    Timeout { plugin: String, limit: std::time::Duration },
    #[error("plugin {plugin:?} exceeded its memory limit of {limit} bytes")]
    Memory { plugin: String, limit: u64 },
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
    #[error("loading plugin {plugin:?}: {message}")]
    Load { plugin: String, message: String },
}

impl PluginError {
    /// The `kind` label of `scrapelet_plugin_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Unavailable(_) => "unavailable",
            PluginError::Timeout { .. } => "timeout",
            PluginError::Memory { .. } => "memory",
            PluginError::Output { .. } => "output_limit",
            PluginError::Panic { .. } => "panic",
            PluginError::Trap { .. } => "trap",
            PluginError::Failed { .. } => "plugin_error",
            PluginError::BadOutput { .. } => "bad_output",
            PluginError::Backoff { .. } => "backoff",
            PluginError::Load { .. } => "load",
        }
    }

    /// Whether the instance crashed (as opposed to reporting an error): these count towards
    /// backoff.
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            PluginError::Timeout { .. }
                | PluginError::Memory { .. }
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

/// Limits of one plugin call.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Linear memory, bytes.
    pub memory: u64,
    /// Bytes of exposition an exporter may return.
    pub output: u64,
    /// CPU (wall) time of one call; `None`: the scrape timeout.
    pub timeout: Option<std::time::Duration>,
    /// Bytes of per-target state an exporter may keep (`host.state-set`).
    pub state: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: 64 << 20, output: 16 << 20, timeout: None, state: 1 << 20 }
    }
}
