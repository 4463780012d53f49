//! An exporter plugin in place of the HTTP fetch of a scrape: the scrape loop asks it for a body
//! and gets the plugin's exposition text, or a [`ScrapeError::Plugin`] that fails this scrape.
//!
//! Entry point: [`PluginSource::fetch`]. The call runs on the plugin pool (awaited here, never run
//! here); the plugin's own fetches go to the target's `host:port` with the job's credentials, the
//! call's deadline and the job's body limit. The source keeps the plugin's per-target state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::warn;

use super::parse::Format;
use super::{ScrapeError, Target};
use crate::http_client::HttpClient;
use crate::plugin::exporter::{self, CollectRequest};
use crate::plugin::{Backoff, CallState, Fetch, PluginError, TargetState, registry};

/// One target's exporter plugin: the plugin's view of the target, its per-target state and backoff.
pub struct PluginSource {
    plugin: String,
    target: String,
    labels: Vec<(String, String)>,
    base: String,
    client: HttpClient,
    timeout: Duration,
    limit: u64,
    backoff: Backoff,
    /// What the plugin keeps for this target between calls.
    state: TargetState,
}

impl PluginSource {
    /// `client` should not follow redirects (a redirect could lead a plugin to another host).
    pub fn new(plugin: &str, target: &Target, client: HttpClient) -> Self {
        let scheme = target.url.split_once("://").map_or("http", |(s, _)| s);
        let address = target.address().to_string();
        let labels = plugin_labels(target);
        let limit = match target.job.body_size_limit {
            0 => crate::http_client::body::default_limit(),
            n => n,
        };
        let base = format!("{scheme}://{address}");
        PluginSource {
            plugin: plugin.to_string(),
            // Logs name the host the plugin talks to, not the job's metrics path (which it may
            // not fetch at all); the errors of the SDK's `get` name the path it did fetch.
            target: base.clone(),
            labels,
            base,
            client,
            timeout: target.timeout,
            limit,
            backoff: Backoff::default(),
            state: TargetState::new(plugin),
        }
    }

    /// Runs the exporter for one scrape; its exposition lands in `body`.
    pub async fn fetch(&mut self, body: &mut Vec<u8>) -> Result<Format, ScrapeError> {
        body.clear();
        let result = self.call().await;
        if let Err(e) = &result {
            e.count(&self.plugin);
            self.backoff.record(e.is_crash());
            warn!(plugin = %self.plugin, target = %self.target, kind = e.kind(), error = %e, "exporter plugin failed");
        } else {
            self.backoff.record(false);
        }
        *body = result?;
        Ok(Format::Text)
    }

    async fn call(&mut self) -> Result<Vec<u8>, PluginError> {
        if let Some(failures) = self.backoff.should_skip() {
            return Err(PluginError::Backoff { plugin: self.plugin.clone(), failures });
        }
        let loaded = registry().get(&self.plugin)?;
        let fetch = Fetch::Target {
            client: self.client.clone(),
            base: self.base.clone(),
            deadline: Instant::now() + loaded.limits.call_timeout(self.timeout),
            limit: self.limit,
        };
        let state = CallState::exporter(self.state.for_call(loaded.generation), loaded.limits.state);
        let req = CollectRequest { labels: self.labels.clone(), target: self.target.clone(), fetch, state };
        let collected = exporter::collect(Arc::clone(&loaded), req, self.timeout).await?;
        if let Some(state) = collected.state {
            self.state.store(state);
        }
        Ok(collected.body)
    }
}

/// How a target scraped by an exporter plugin is shown on the targets page: the plugin, the
/// `scheme://host:port` its fetches go to, and the URL parameters it sees (the plugin picks its
/// paths; the job's `metrics_path` is only a `__metrics_path__` label to it). `None` for an
/// ordinary target.
pub fn endpoint(target: &Target) -> Option<String> {
    let plugin = target.exporter.as_deref()?;
    let scheme = target.url.split_once("://").map_or("http", |(s, _)| s);
    let mut shown = format!("exporter {plugin} on {scheme}://{}", target.address());
    let params: Vec<String> = target.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !params.is_empty() {
        shown.push_str(&format!(" with {}", params.join(", ")));
    }
    Some(shown)
}

/// What the plugin sees of the target: its labels, `__address__`, `__scheme__`,
/// `__metrics_path__` and a `__param_<name>` per URL parameter (the first value of each name).
fn plugin_labels(target: &Target) -> Vec<(String, String)> {
    let (scheme, rest) = target.url.split_once("://").unwrap_or(("http", &target.url));
    let address = target.address();
    let path = rest[address.len().min(rest.len())..].split('?').next().unwrap_or("/");
    let mut labels: Vec<(String, String)> = target.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
    labels.push(("__address__".into(), address.to_string()));
    labels.push(("__scheme__".into(), scheme.to_string()));
    labels.push(("__metrics_path__".into(), path.to_string()));
    for (name, value) in &target.params {
        let label = format!("__param_{name}");
        if !labels.iter().any(|(n, _)| *n == label) {
            labels.push((label, value.clone()));
        }
    }
    labels
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::Config;
    use crate::scrape::target::targets_for_job;

    #[test]
    fn plugin_sees_address_path_and_first_value_of_each_param() {
        let yaml = "scrape_configs:\n  - job_name: j\n    metrics_path: /jolokia\n    params: {rules: [tomcat, other], x: [\"a b\"]}\n    \
                    static_configs: [{targets: [\"127.0.0.1:8778\"]}]\n";
        let job = Arc::new(Config::from_yaml(yaml).unwrap().scrape_configs.remove(0));
        let target = targets_for_job(&job).remove(0).unwrap();
        let labels = plugin_labels(&target);
        let get = |n: &str| labels.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("__address__"), Some("127.0.0.1:8778"));
        assert_eq!(get("__metrics_path__"), Some("/jolokia"));
        assert_eq!(get("__param_rules"), Some("tomcat"));
        assert_eq!(get("__param_x"), Some("a b"));
        assert_eq!(labels.iter().filter(|(k, _)| k == "__param_rules").count(), 1);
        assert_eq!(endpoint(&target), None);
    }

    #[test]
    fn a_plugin_target_is_shown_as_its_exporter_and_host() {
        let yaml = "plugins: [{name: jmx, path: jmx.wasm}]\nscrape_configs:\n  - job_name: j\n    exporter: jmx\n    params: {rules: [tomcat]}\n    \
                    static_configs: [{targets: [\"127.0.0.1:8778\"]}]\n";
        let job = Arc::new(Config::from_yaml(yaml).unwrap().scrape_configs.remove(0));
        let target = targets_for_job(&job).remove(0).unwrap();
        assert_eq!(endpoint(&target).unwrap(), "exporter jmx on http://127.0.0.1:8778 with rules=tomcat");
    }
}
