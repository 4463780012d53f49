//! The `jmx` exporter plugin: the JMX exporter's rules over Jolokia, so a Java application
//! exposes the same series as with the javaagent without restarting it with one.
//!
//! One scrape is [`jmx_core::jolokia::scrape`] through the host's `fetch` (bulk POSTs to the
//! target's Jolokia), with the state the previous scrape of the target left ([`store`]): in steady
//! state one POST with the change check and the reads the rules need. Configuration: [`settings`].
//! Per target, `__param_rules` picks a named rules set (pod annotation `scrapelet.io/jmx-rules`)
//! and `__param_jolokia_path` overrides the Jolokia path.
//!
//! The JMX exporter's own `jmx_*` metrics are printed as it registers them; a failed Jolokia
//! request fails the scrape (`up` 0) with its reason, so `jmx_scrape_error` is 0 whenever there is
//! an answer, and `jmx_config_reload_*` count nothing (the agent reloads the config).

pub mod settings;
mod store;

use jmx_core::jolokia::{self, Jolokia, Options, Outcome, ScrapeError, State};
use scrapelet_plugin_sdk::{Config, Exporter, Exposition, Target, export_exporter, host};

use settings::Settings;

/// The JMX exporter's own metrics (`JmxCollector.register`), as client_java prints them.
fn self_metrics(duration: f64, cached_beans: usize) -> String {
    let family = |name: &str, kind: &str, help: &str, value: f64| {
        let v = jmx_core::jolokia::java_double(value);
        format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n")
    };
    [
        // The agent reloads the config; a reload the plugin would count cannot happen in a call.
        family(
            "jmx_config_reload_failure_total",
            "counter",
            "Number of times configuration have failed to be reloaded.",
            0.0,
        ),
        family(
            "jmx_config_reload_success_total",
            "counter",
            "Number of times configuration have successfully been reloaded.",
            0.0,
        ),
        family(
            "jmx_scrape_cached_beans",
            "gauge",
            "Number of beans with their matching rule cached",
            cached_beans as f64,
        ),
        family("jmx_scrape_duration_seconds", "gauge", "Time this JMX scrape took, in seconds.", duration),
        // A failed scrape fails the call (`up` 0), so a printed scrape did not fail.
        family("jmx_scrape_error", "gauge", "Non-zero if this scrape failed.", 0.0),
        // A scrape over the agent's timeout is abandoned by the agent (`up` 0).
        family("jmx_scrape_timeout_total", "counter", "Total number of scrape timeouts.", 0.0),
    ]
    .concat()
}

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
        let start = std::time::Instant::now();
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
        // `MatchedRulesCache` exists only with a `cache: true` rule; then every attribute recorded
        // has its entry marked fresh.
        let cached = if rules.config.rules.iter().any(|r| r.cache) { outcome.stats.attributes } else { 0 };
        out.text(&self_metrics(start.elapsed().as_secs_f64(), cached));
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
