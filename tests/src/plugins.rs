//! Plugin fixtures, built from `plugins/` by the test run (never checked in): each plugin crate
//! is built on its own for `wasm32-wasip2` (one at a time, so the SDK's world features do not
//! unify), once per test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The plugin crates the tests use.
const PLUGINS: &[&str] = &["json-exporter", "transform-example", "test-hostile", "test-transform-hostile", "jmx"];

fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// The `.wasm` of plugin crate `name` (e.g. `json-exporter`), built on first use.
pub fn plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(build_all);
    dir.join(format!("{}.wasm", name.replace('-', "_")))
}

fn build_all() -> PathBuf {
    let dir = plugins_dir();
    for p in PLUGINS {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&dir)
            .args(["build", "--quiet", "--target", "wasm32-wasip2", "--release", "-p", p])
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("running cargo for the plugins");
        assert!(status.success(), "building plugin {p} failed (is the wasm32-wasip2 target installed?)");
    }
    dir.join("target/wasm32-wasip2/release")
}
