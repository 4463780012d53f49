//! A hostile exporter for the agent's sandbox tests, built against `wit/plugin.wit` alone (no
//! SDK), as a third party's plugin would be. `config: {mode: ...}` picks the misdeed (see
//! [`misdeed`]); `ok` (or none) behaves and reports `hostile_ok 1`. Every mode that "succeeds"
//! reports a `hostile_*` sample, so a test can tell a contained misdeed from an escape.

mod misdeeds;

use std::sync::Mutex;

wit_bindgen::generate!({ path: "../../wit", world: "exporter" });

use scrapelet::plugin::host;

/// The plugin's config, as `init` got it.
static CONFIG: Mutex<Option<serde_json::Value>> = Mutex::new(None);

/// A string field of the config.
fn setting(key: &str) -> Option<String> {
    let config = CONFIG.lock().unwrap();
    config.as_ref()?.get(key)?.as_str().map(str::to_string)
}

/// A number field of the config.
fn number(key: &str) -> Option<u64> {
    CONFIG.lock().unwrap().as_ref()?.get(key)?.as_u64()
}

/// One exposition line.
fn sample(out: &mut String, name: &str, value: impl std::fmt::Display) {
    out.push_str(&format!("{name} {value}\n"));
}

struct Hostile;

impl Guest for Hostile {
    fn init(config: String) -> Result<(), String> {
        let value = serde_json::from_str(&config).map_err(|e| format!("config: {e}"))?;
        *CONFIG.lock().unwrap() = Some(value);
        Ok(())
    }

    fn collect(target_labels: Vec<(String, String)>) -> Result<Vec<u8>, String> {
        let mode = setting("mode").unwrap_or_else(|| "ok".into());
        let mut out = String::new();
        misdeeds::misdeed(&mode, &target_labels, &mut out)?;
        Ok(out.into_bytes())
    }
}

export!(Hostile);
