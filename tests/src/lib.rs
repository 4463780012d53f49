//! End-to-end test support: starts real binaries (scrapelet, Prometheus, the node exporter, Tomcat) and
//! fixture targets on loopback, and queries Prometheus' HTTP API.
//!
//! Everything is synchronous (std threads and processes) so a test reads top to bottom.
//! Processes are killed when their handle drops.

pub mod apiserver;
pub mod backend;
pub mod defaults;
pub mod fixture;
pub mod grafana;
pub mod http;
pub mod jmx;
pub mod kubelet;
pub mod plugins;
pub mod ports;
pub mod procs;
pub mod recorder;
pub mod rw_count;
pub mod tomcat;
pub mod vmagent;

pub use fixture::FixtureServer;
pub use ports::free_port;
pub use procs::{NodeExporter, Prometheus, Scrapelet, scrapelet_bin};
pub use tomcat::Tomcat;

use std::time::{Duration, Instant};

/// Polls `f` every 250 ms until it returns `Some`, panicking with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
