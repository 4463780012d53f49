//! The `jmx` exporter plugin: the JMX exporter's rules over Jolokia, so a Java application
//! exposes the same series as with the javaagent without restarting it with one.
//!
//! One scrape is [`jmx_core::jolokia::scrape`] through the host's `fetch` (bulk POSTs to the
//! target's Jolokia), with the state the previous scrape of the target left ([`store`]): in steady
//! state one POST with the change check and the reads the rules need. Configuration: [`settings`].
//! Per target, `__param_rules` picks a named rules set (pod annotation `scrapelet.io/jmx-rules`)
//! and `__param_jolokia_path` overrides the Jolokia path.
//!
//! Not exported: `jmx_scrape_duration_seconds` (no clock in the sandbox), `jmx_scrape_cached_beans`,
//! `jmx_config_reload_*`. A failed Jolokia request fails the scrape (`up` 0) with its reason, so
//! `jmx_scrape_error` is 0 whenever there is an answer.

pub mod settings;
mod store;

use jmx_core::jolokia::{self, Jolokia, Options, Outcome, ScrapeError, State};
use scrapelet_plugin_sdk::{Config, Exporter, Exposition, Target, export_exporter, host};

use settings::Settings;

/// As the JMX exporter prints it (client_java writes doubles with Java's `Double.toString`).
const SCRAPE_OK: &str =
    "# HELP jmx_scrape_error Non-zero if this scrape failed.\n# TYPE jmx_scrape_error gauge\njmx_scrape_error 0.0\n";

struct Jmx {
    settings: Settings,
}

impl Exporter for Jmx {
    fn init(config: Config) -> Result<Self, String> {
        Ok(Jmx { settings: Settings::parse(&config.0)? })
    }

    fn collect(&mut self, target: &Target, out: &mut Exposition) -> Result<(), String> {
        let selected = match target.label("__param_rules").filter(|n| !n.is_empty()) {
            Some(name) => Some(self.settings.rules_set(name)?),
            None => None,
        };
        let rules = selected.as_ref().unwrap_or(&self.settings.default_rules);
        let path =
            target.label("__param_jolokia_path").filter(|p| !p.is_empty()).unwrap_or(&self.settings.jolokia.path);
        let options = Options { jvm_metrics: self.settings.jvm_metrics };
        let state = State::decode(&store::load(), rules.id ^ u64::from(options.jvm_metrics));
        let outcome = jolokia::scrape(&rules.config, options, state, &mut HostJolokia { path })
            .map_err(|e| scrape_error(path, e))?;
        log(&outcome);
        if let Err(e) = store::save(&outcome.state.encode()) {
            host::warn(&format!("jmx: the target's state was not kept ({e}); the next scrape reads everything"));
        }
        out.text(&outcome.jvm);
        out.text(&outcome.rules);
        out.text(SCRAPE_OK);
        Ok(())
    }
}

/// Jolokia at `path` on the target, through the host (which attaches the job's credentials).
struct HostJolokia<'p> {
    path: &'p str,
}

impl Jolokia for HostJolokia<'_> {
    /// POSTs a bulk request (Jolokia 1.7 answers a form content type with 400).
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        let headers = [("content-type", "application/json")];
        let r = host::fetch("POST", self.path, &headers, body.as_bytes())
            .map_err(|e| format!("Jolokia at {}: {e}", self.path))?;
        match r.status {
            200..=299 => Ok(r.body),
            401 | 403 => Err(format!(
                "Jolokia at {}: HTTP status {} (set basic_auth on the scrape job: the agent attaches it)",
                self.path, r.status
            )),
            s => Err(format!("Jolokia at {}: HTTP status {s}", self.path)),
        }
    }
}

fn scrape_error(path: &str, e: ScrapeError) -> String {
    match e {
        ScrapeError::Transport(message) => message,
        e => format!("Jolokia at {path}: {e}"),
    }
}

/// Warnings (a rules set that exported nothing) at warn level; MBeans or attributes Jolokia could
/// not read are skipped, never failing the scrape, and noted at debug level.
fn log(outcome: &Outcome) {
    for w in &outcome.warnings {
        host::warn(&format!("jmx: {w}"));
    }
    if outcome.failed > 0 || outcome.stats.failed_attributes > 0 {
        host::debug(&format!(
            "jmx: {} failed requests, {} unreadable attributes skipped; first errors: {:?}",
            outcome.failed, outcome.stats.failed_attributes, outcome.errors
        ));
    }
    if outcome.discovered > 0 {
        host::debug(&format!(
            "jmx: {} of {} MBeans new; {} planned for the next scrapes ({} round trips, {} bytes)",
            outcome.discovered,
            outcome.beans,
            outcome.state.plan.len(),
            outcome.round_trips,
            outcome.bytes
        ));
    }
}

export_exporter!(Jmx);
