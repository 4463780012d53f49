//! The `jmx` exporter plugin: the JMX exporter's rules over Jolokia, so a Java application
//! exposes the same series as with the javaagent without restarting it with one.
//!
//! One scrape is one bulk POST to the target's Jolokia ([`jmx_core::jolokia::Plan`]), a walk of
//! the reply into the rules engine, and the JVM metrics. Configuration: [`settings`]. Per target,
//! `__param_rules` picks a named rules set (pod annotation `scrapelet.io/jmx-rules`) and
//! `__param_jolokia_path` overrides the Jolokia path.
//!
//! Not exported (no clock or cache in a per-scrape sandbox): `jmx_scrape_duration_seconds`,
//! `jmx_scrape_cached_beans`, `jmx_config_reload_*`. A failed Jolokia request fails the scrape
//! (`up` 0) with its reason, so `jmx_scrape_error` is 0 whenever there is an answer.

mod auth;
pub mod settings;

use jmx_core::jolokia::{self, Filter, Options, Outcome, Plan, WalkError};
use scrapelet_plugin_sdk::{Config, Exporter, Exposition, Target, export_exporter, host};

use settings::Settings;
use jmx_core::rules::Collector;

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
        let plan = Plan::new(&rules.include_object_names, &rules.exclude_object_names, self.options())
            .map_err(|e| format!("rules: {e}"))?;
        let reply = self.post(path, plan.body())?;
        let mut collector = Collector::new(rules);
        // The rules engine's config has the last word on MBeans too (`includeObjectNames: []`
        // reads none, which the plan cannot tell from an absent key).
        let bean = |name: &str| rules.includes_object_name(name);
        let attribute = |name: &str, attr: &str| rules.includes_attribute(name, attr);
        let outcome =
            jolokia::walk_filtered(&plan, &reply, &mut collector, Filter { bean: &bean, attribute: &attribute })
                .map_err(|e| walk_error(path, e))?;
        log_failures(&outcome);
        out.text(&outcome.jvm);
        out.text(&collector.finish());
        out.text(SCRAPE_OK);
        Ok(())
    }
}

impl Jmx {
    fn options(&self) -> Options {
        let j = &self.settings.jolokia;
        let max_depth = (j.max_depth > 0).then_some(j.max_depth);
        Options { list: j.list, jvm_metrics: self.settings.jvm_metrics, max_depth }
    }

    /// POSTs the bulk request (Jolokia 1.7 answers a form content type with 400).
    fn post(&self, path: &str, body: &str) -> Result<Vec<u8>, String> {
        let j = &self.settings.jolokia;
        let auth = j.username.as_deref().map(|u| auth::basic(u, j.password.as_deref().unwrap_or("")));
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(auth.as_deref().map(|a| ("authorization", a)));
        let r = host::fetch("POST", path, &headers, body.as_bytes()).map_err(|e| format!("Jolokia at {path}: {e}"))?;
        if !(200..300).contains(&r.status) {
            return Err(format!("Jolokia at {path}: HTTP status {}", r.status));
        }
        Ok(r.body)
    }
}

/// A whole-reply failure, with a hint for the one seen on Tomcat 9 + Java 17: a value Jolokia
/// cannot serialise fails the entire bulk reply (status 500) unless `maxDepth` stops short of it.
fn walk_error(path: &str, e: WalkError) -> String {
    match e {
        WalkError::Refused { status: 500, .. } => {
            format!("Jolokia at {path}: {e} (lower jolokia.max_depth, default 4, or narrow includeObjectNames)")
        }
        e => format!("Jolokia at {path}: {e}"),
    }
}

/// MBeans or attributes Jolokia could not read are skipped, never failing the scrape.
fn log_failures(outcome: &Outcome) {
    let s = &outcome.stats;
    if s.failed_reads > 0 || s.failed_attributes > 0 {
        host::debug(&format!(
            "jmx: {} failed reads, {} unreadable attributes skipped; first errors: {:?}",
            s.failed_reads, s.failed_attributes, outcome.errors
        ));
    }
}

export_exporter!(Jmx);
