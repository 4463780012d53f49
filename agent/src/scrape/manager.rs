//! The scrape manager: keeps one running loop per target and reconciles the set when targets
//! change (new config, discovery updates), stopping vanished targets with staleness markers.
//!
//! Entry point: [`ScrapeManager::sync`]. Unchanged targets keep their loop, cache and phase.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::fetch::{Fetcher, Source};
use super::run::{self, Health, StopMode};
use super::scraper::Scraper;
use super::target::Target;
use crate::http_client::HttpClient;
use crate::metrics;
use crate::plugin::PluginSource;
use crate::series::{Appender, SeriesFactory};

struct Running {
    target: Target,
    health: Arc<Mutex<Health>>,
    stop: oneshot::Sender<StopMode>,
    task: JoinHandle<()>,
}

/// The HTTP fetcher of a target, or its exporter plugin (with a client that follows no
/// redirects, so a plugin's fetches stay on the target's host:port).
fn source(target: &Target, client: HttpClient) -> Result<Source, String> {
    let job = &target.job;
    match &target.exporter {
        None => Ok(Source::Http(Fetcher::new(
            client,
            &target.url,
            target.timeout,
            job.enable_compression,
            job.body_size_limit,
        ))),
        Some(name) => {
            let cfg = crate::http_client::HttpClientConfig { follow_redirects: false, ..job.http.clone() };
            let client = HttpClient::new(&cfg).map_err(|e| e.to_string())?;
            Ok(Source::Plugin(PluginSource::new(name, target, client)))
        }
    }
}

/// A target and its health, for the targets page.
pub struct TargetView {
    pub target: Target,
    pub health: Health,
}

pub struct ScrapeManager<A: Appender> {
    appender: Arc<A>,
    factory: Arc<SeriesFactory>,
    running: HashMap<String, Running>,
    /// One pooled client per job, shared by its targets.
    clients: HashMap<String, HttpClient>,
}

impl<A: Appender> ScrapeManager<A> {
    pub fn new(appender: Arc<A>, factory: Arc<SeriesFactory>) -> Self {
        ScrapeManager { appender, factory, running: HashMap::new(), clients: HashMap::new() }
    }

    /// Makes the running loops match `targets`: starts new ones, stops (with staleness) the
    /// ones no longer wanted, leaves the rest alone.
    pub fn sync(&mut self, targets: Vec<Target>) {
        let wanted: HashMap<String, Target> = targets.into_iter().map(|t| (t.key(), t)).collect();
        let gone: Vec<String> = self.running.keys().filter(|k| !wanted.contains_key(*k)).cloned().collect();
        for key in gone {
            if let Some(r) = self.running.remove(&key) {
                info!(target = %r.target.url, job = %r.target.job.job_name, "target removed");
                let _ = r.stop.send(StopMode::Stale);
            }
        }
        for (key, target) in wanted {
            if !self.running.contains_key(&key) {
                self.start(key, target);
            }
        }
        self.update_gauges();
    }

    /// Drops the cached HTTP clients (after a config reload changed jobs).
    pub fn forget_clients(&mut self) {
        self.clients.clear();
    }

    fn start(&mut self, key: String, target: Target) {
        let job = &target.job;
        let client = match self.clients.get(&job.job_name) {
            Some(c) => c.clone(),
            None => match HttpClient::new(&job.http) {
                Ok(c) => {
                    self.clients.insert(job.job_name.clone(), c.clone());
                    c
                }
                Err(e) => {
                    warn!(job = %job.job_name, error = %e, "cannot build HTTP client; target not started");
                    return;
                }
            },
        };
        let fetcher = match source(&target, client) {
            Ok(f) => f,
            Err(e) => {
                warn!(target = %target.url, error = %e, "target not started");
                return;
            }
        };
        let scraper = Scraper::new(target.clone(), self.factory.clone());
        let health = Arc::new(Mutex::new(Health::default()));
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run::run(scraper, fetcher, self.appender.clone(), health.clone(), stop_rx));
        self.running.insert(key, Running { target, health, stop, task });
    }

    fn update_gauges(&self) {
        let mut per_job: HashMap<&str, f64> = HashMap::new();
        for r in self.running.values() {
            *per_job.entry(&r.target.job.job_name).or_default() += 1.0;
        }
        for (job, n) in per_job {
            metrics::get().targets.with(&[job]).set(n);
        }
    }

    /// Every target with its health, sorted by job and URL.
    pub fn targets(&self) -> Vec<TargetView> {
        let mut v: Vec<TargetView> = self
            .running
            .values()
            .map(|r| TargetView { target: r.target.clone(), health: r.health.lock().unwrap().clone() })
            .collect();
        v.sort_by(|a, b| (&a.target.job.job_name, &a.target.url).cmp(&(&b.target.job.job_name, &b.target.url)));
        v
    }

    /// Stops every loop and waits for them to end.
    pub async fn stop_all(&mut self, mode: StopMode) {
        let tasks: Vec<JoinHandle<()>> = self
            .running
            .drain()
            .map(|(_, r)| {
                let _ = r.stop.send(mode);
                r.task
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }
}
