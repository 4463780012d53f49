//! The guest side of scrapelet plugins: a plugin is one trait impl plus one macro.
//!
//! Enable the feature of the world you implement (`exporter` or `transform`), implement
//! [`Exporter`] or [`Transform`], and name your type in [`export_exporter!`] or
//! [`export_transform!`]. Build with `cargo build --target wasm32-wasip2 --release`; the
//! `.wasm` in `target/wasm32-wasip2/release/` is the component the agent loads.
//!
//! Each call runs in a fresh instance: `init` builds your value from the configuration, then
//! one `collect` (exporter) or `rewrite` (transform) uses it. The only memory across scrapes is
//! an exporter's per-target [`state`] (bytes the agent keeps for the target, within a limit).

extern crate self as scrapelet_plugin_sdk;

mod config;
mod exposition;
#[cfg(any(feature = "exporter", feature = "transform"))]
pub mod host;
pub mod labels;
#[cfg(any(feature = "exporter", feature = "transform"))]
pub mod state;

#[cfg(feature = "exporter")]
pub mod exporter;
#[cfg(feature = "transform")]
pub mod transform;

pub use config::Config;
#[cfg(feature = "exporter")]
pub use exporter::{Exporter, Target};
pub use exposition::{Exposition, NO_LABELS};
pub use labels::{Labels, label, metric_name, with_label, without_labels};
#[cfg(feature = "transform")]
pub use transform::{Transform, Verdict};

#[doc(hidden)]
pub mod __rt {
    pub use wit_bindgen;
}
