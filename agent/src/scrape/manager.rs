//! The scrape manager: keeps one running loop per target and reconciles the set when targets
//! change (new config, discovery updates), as Prometheus 3's scrape pools do.
//!
//! Entry point: [`ScrapeManager::sync`]. A target is its job, URL and labels: while those stay,
//! its loop stays. Its discovered labels are refreshed on every update. When a reload changes
//! its job's settings, its loop is replaced and the new loop takes over the old one's series
//! cache, so no series still exposed gets a staleness marker (see [`Scraper::take_over`]).
//! Vanished targets stop with staleness markers. A job over its `target_limit` has every
//! scrape fail, as in Prometheus.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::fetch::{Fetcher, Source};
use super::plugin_source::PluginSource;
use super::run::{self, Handover, Health, StopMode};
use super::scraper::Scraper;
use super::target::{DroppedTarget, Target, TargetSet};
use crate::config::ScrapeConfig;
use crate::http_client::HttpClient;
use crate::metrics;
use crate::series::{Appender, SeriesFactory};

struct Running {
    target: Target,
    health: Arc<Mutex<Health>>,
    stop: oneshot::Sender<StopMode>,
    task: JoinHandle<()>,
}

/// The HTTP fetcher of a target, or its exporter plugin (with a client that follows no
/// redirects, so a plugin's fetches stay on the target's host:port). `scrapelet scrape` uses it
/// too, so that it scrapes as the agent does.
pub(crate) fn source(target: &Target, client: HttpClient) -> Result<Source, String> {
    let job = &target.job;
    match &target.exporter {
        None => Ok(Source::Http(
            Fetcher::new(client, &target.url, target.timeout, job.enable_compression, job.body_size_limit)
                .with_protocols(job),
        )),
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

/// The dropped targets, for the targets page.
#[derive(Clone, Debug, Default)]
pub struct DroppedView {
    pub targets: Vec<DroppedTarget>,
    pub counts: BTreeMap<String, usize>,
}

pub struct ScrapeManager<A: Appender> {
    appender: Arc<A>,
    factory: Arc<SeriesFactory>,
    running: HashMap<String, Running>,
    /// One pooled client per job, shared by its targets (rebuilt when the job changes).
    clients: HashMap<String, (u64, HttpClient)>,
    dropped: DroppedView,
    /// Jobs whose `scrapelet_targets` gauge was set, so a job that loses its last target (or
    /// goes away) reports 0.
    gauged: HashSet<String>,
}

/// Whether a running target can go on as it is: same job settings, interval and timeout.
fn same_settings(a: &Target, b: &Target) -> bool {
    a.job.fingerprint == b.job.fingerprint && a.interval == b.interval && a.timeout == b.timeout
}

/// Prometheus' `reusableCache`, for scrapelet's cache: what a cached series' labels depend on is
/// unchanged (its metric relabelling, label merging, limits, name checks and transforms).
fn reusable_cache(a: &ScrapeConfig, b: &ScrapeConfig) -> bool {
    let series = |j: &ScrapeConfig| {
        format!(
            "{:?}{}{}{}{}{}{}{:?}{:?}",
            j.metric_relabel_configs,
            j.honor_labels,
            j.honor_timestamps,
            j.track_timestamps_staleness,
            j.label_limit,
            j.label_name_length_limit,
            j.label_value_length_limit,
            j.validation,
            j.transforms
        )
    };
    series(a) == series(b)
}

impl<A: Appender> ScrapeManager<A> {
    pub fn new(appender: Arc<A>, factory: Arc<SeriesFactory>) -> Self {
        let (running, clients, gauged) = (HashMap::new(), HashMap::new(), HashSet::new());
        ScrapeManager { appender, factory, running, clients, dropped: DroppedView::default(), gauged }
    }

    /// Makes the running loops match `set`: starts new targets, stops (with staleness) the ones
    /// no longer wanted, replaces those whose job changed (handing over their cache), and
    /// refreshes the rest's discovered labels.
    pub fn sync(&mut self, set: TargetSet) {
        let wanted: HashMap<String, Target> = set.active.into_iter().map(|t| (t.key(), t)).collect();
        let gone: Vec<String> = self.running.keys().filter(|k| !wanted.contains_key(*k)).cloned().collect();
        for key in gone {
            if let Some(r) = self.running.remove(&key) {
                info!(target = %r.target.url, job = %r.target.job.job_name, "target removed");
                let _ = r.stop.send(StopMode::Stale);
            }
        }
        for (key, target) in wanted {
            match self.running.get_mut(&key) {
                Some(r) if same_settings(&r.target, &target) => r.target = target,
                Some(_) => self.replace(key, target),
                None => self.start(key, target, None),
            }
        }
        self.dropped = DroppedView { targets: set.dropped, counts: set.dropped_counts };
        // The HTTP client (and its pooled connections) of a job no longer configured goes.
        self.clients.retain(|job, _| set.jobs.iter().any(|j| j.job_name == *job));
        self.apply_target_limits(&set.jobs);
        self.update_gauges(&set.jobs);
    }

    /// Restarts a target whose job settings changed; the new loop takes over the old one's cache.
    fn replace(&mut self, key: String, target: Target) {
        let Some(old) = self.running.remove(&key) else { return };
        let (tx, rx) = oneshot::channel();
        let reuse = reusable_cache(&old.target.job, &target.job);
        if old.stop.send(StopMode::Handover(tx)).is_err() {
            return self.start(key, target, None);
        }
        info!(target = %target.url, job = %target.job.job_name, reuse, "target settings changed: loop replaced");
        self.start(key, target, Some(Handover { previous: rx, reuse }));
    }

    fn client(&mut self, job: &ScrapeConfig) -> Option<HttpClient> {
        if let Some((fp, c)) = self.clients.get(&job.job_name)
            && *fp == job.fingerprint
        {
            return Some(c.clone());
        }
        match HttpClient::new(&job.http) {
            Ok(c) => {
                self.clients.insert(job.job_name.clone(), (job.fingerprint, c.clone()));
                Some(c)
            }
            Err(e) => {
                warn!(job = %job.job_name, error = %e, "cannot build HTTP client; target not started");
                None
            }
        }
    }

    fn start(&mut self, key: String, target: Target, handover: Option<Handover>) {
        let Some(client) = self.client(&target.job.clone()) else { return };
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
        let loop_ = run::run(scraper, fetcher, self.appender.clone(), health.clone(), stop_rx, handover);
        let task = tokio::spawn(loop_);
        self.running.insert(key, Running { target, health, stop, task });
    }

    /// Prometheus' `target_limit`: more active targets than the job's limit fail all its scrapes.
    fn apply_target_limits(&self, jobs: &[Arc<ScrapeConfig>]) {
        for job in jobs {
            let mine: Vec<&Running> = self.running.values().filter(|r| r.target.job.job_name == job.job_name).collect();
            let over = job.target_limit > 0 && mine.len() as u64 > job.target_limit;
            let forced = over.then_some((mine.len(), job.target_limit));
            for r in mine {
                r.health.lock().unwrap().forced = forced;
            }
        }
    }

    fn update_gauges(&mut self, jobs: &[Arc<ScrapeConfig>]) {
        let mut per_job: HashMap<&str, f64> = jobs.iter().map(|j| (j.job_name.as_str(), 0.0)).collect();
        for r in self.running.values() {
            *per_job.entry(&r.target.job.job_name).or_default() += 1.0;
        }
        for job in self.gauged.iter().filter(|j| !per_job.contains_key(j.as_str())) {
            metrics::get().targets.with(&[job]).set(0.0);
        }
        for (job, n) in &per_job {
            metrics::get().targets.with(&[job]).set(*n);
        }
        self.gauged = per_job.keys().map(|j| j.to_string()).collect();
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

    /// The targets relabelling dropped, per job (bounded by `keep_dropped_targets`), and counts.
    pub fn dropped(&self) -> DroppedView {
        self.dropped.clone()
    }

    /// Stops every loop and waits for them to end (`stale`: with staleness markers).
    pub async fn stop_all(&mut self, stale: bool) {
        let tasks: Vec<JoinHandle<()>> = self
            .running
            .drain()
            .map(|(_, r)| {
                let _ = r.stop.send(if stale { StopMode::Stale } else { StopMode::Quiet });
                r.task
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }
}
