//! Plugin fixtures, built from `plugins/` by the test run (never checked in): each plugin crate
//! is built on its own for `wasm32-wasip2` (one at a time, so the SDK's world features do not
//! unify), on its first use in a test process, so a test builds only the plugins it runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The plugin crates the tests use.
const PLUGINS: &[&str] = &["json-exporter", "transform-example", "test-hostile", "test-transform-hostile", "jmx"];

fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// The `.wasm` of plugin crate `name` (e.g. `json-exporter`), built on its first use in this
/// test process.
pub fn plugin(name: &str) -> PathBuf {
    assert!(PLUGINS.contains(&name), "{name} is not in tests/src/plugins.rs' PLUGINS");
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        build(name);
        built.push(name.to_string());
    }
    plugins_dir().join("target/wasm32-wasip2/release").join(format!("{}.wasm", name.replace('-', "_")))
}

fn build(name: &str) {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(plugins_dir())
        .args(["build", "--quiet", "--target", "wasm32-wasip2", "--release", "-p", name])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo for the plugins");
    assert!(status.success(), "building plugin {name} failed (is the wasm32-wasip2 target installed?)");
}

/// The value of one exact series line of the agent's `/metrics` (e.g.
/// `scrapelet_plugin_errors_total{plugin="p",kind="timeout"}`).
pub fn self_metric(agent: &crate::Scrapelet, series: &str) -> Option<f64> {
    let text = agent.metrics();
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A `remote_write:` section sending to `prom` quickly.
pub fn remote_write(prom: &crate::Prometheus) -> String {
    format!("remote_write:\n  - url: {}\n    queue_config:\n      batch_send_deadline: 200ms\n", prom.write_url())
}
