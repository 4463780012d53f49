//! Joins every job's target sources (`static_configs`, `kubernetes_sd_configs`) into the one
//! target list the scrape manager follows, republished whenever a source changes.
//!
//! Entry point: [`start`]. Each Kubernetes source runs in its own task and publishes label sets
//! on a `watch` channel; one task turns all of them into a [`TargetSet`] (the [`Target`]s, and the
//! label sets each job's `relabel_configs` dropped, for the targets page) on every update.
//! Relabelling runs per change, never per scrape.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, error, info_span};

use super::kubernetes::{self, KubernetesSdConfig, NodeScope, PodSource};
use crate::config::{Config, ScrapeConfig};
use crate::labels::Labels;
use crate::scrape::Target;
use crate::scrape::target::{DroppedTarget, TargetSet, discovered_labels, static_label_sets};

/// Changes arriving within this window are applied together.
const SETTLE: Duration = Duration::from_millis(200);

/// The running sources; dropping it stops them.
pub struct Discovery {
    sources: Vec<PodTask>,
    tasks: Vec<JoinHandle<()>>,
}

/// One running pod source and what it was started for.
struct PodTask {
    job: String,
    sd: KubernetesSdConfig,
    scope: NodeScope,
    task: JoinHandle<()>,
    rx: watch::Receiver<Vec<Labels>>,
}

impl Discovery {
    /// Ties `task` (a consumer of the targets) to this discovery's lifetime.
    pub fn attach(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// A discovery with nothing running (a placeholder while a reload swaps discoveries).
    pub fn empty() -> Discovery {
        Discovery { sources: Vec::new(), tasks: Vec::new() }
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
        self.sources.iter().for_each(|s| s.task.abort());
    }
}

struct Job {
    job: Arc<ScrapeConfig>,
    kube: Vec<watch::Receiver<Vec<Labels>>>,
}

/// Starts every source of `cfg` and a task publishing the joined targets on the returned channel.
/// `scope` is where pod discovery looks (required when a job has `kubernetes_sd_configs`). The
/// pod sources of `previous` (the discovery of the configuration a reload replaces) whose job and
/// settings are unchanged keep running, with the pods they know: a reload publishes the same
/// targets at once instead of none until the API answers again.
pub fn start(
    cfg: &Config,
    scope: Option<NodeScope>,
    previous: Option<Discovery>,
) -> (Discovery, watch::Receiver<TargetSet>) {
    let mut old = previous.map(|mut d| std::mem::take(&mut d.sources)).unwrap_or_default();
    let mut sources = Vec::new();
    let mut jobs = Vec::new();
    for job in &cfg.scrape_configs {
        let mut kube = Vec::new();
        for sd in &job.kubernetes_sd_configs {
            let scope = scope.clone().unwrap_or(NodeScope::Cluster);
            let same = |s: &PodTask| s.job == job.job_name && s.sd == *sd && s.scope == scope;
            let source = match old.iter().position(same) {
                Some(i) => old.swap_remove(i),
                None => {
                    let (tx, rx) = watch::channel(Vec::new());
                    let task = tokio::spawn(pod_source(sd.clone(), scope.clone(), job.job_name.clone(), tx));
                    PodTask { job: job.job_name.clone(), sd: sd.clone(), scope, task, rx }
                }
            };
            kube.push(source.rx.clone());
            sources.push(source);
        }
        jobs.push(Job { job: Arc::new(job.clone()), kube });
    }
    old.iter().for_each(|s| s.task.abort());
    let (tx, rx) = watch::channel(targets(&jobs));
    let tasks = vec![tokio::spawn(publish(jobs, tx))];
    (Discovery { sources, tasks }, rx)
}

/// Runs the entry's pod source: the API watch (default) or the kubelet.
async fn pod_source(sd: KubernetesSdConfig, scope: NodeScope, job: String, tx: watch::Sender<Vec<Labels>>) {
    let span = info_span!("pod_source", job = %job);
    let run = async move {
        match sd.pod_source {
            PodSource::Kubelet(_) => kubernetes::kubelet::run(sd, scope, job, tx).await,
            PodSource::Api => match kubernetes::client(&sd).await {
                Ok(client) => kubernetes::run(sd, scope, client, tx).await,
                Err(e) => error!(job = %job, error = %e, "kubernetes_sd_configs: cannot reach the API server"),
            },
        }
    };
    run.instrument(span).await
}

async fn publish(mut jobs: Vec<Job>, tx: watch::Sender<TargetSet>) {
    loop {
        let changes: Vec<_> = jobs.iter_mut().flat_map(|j| j.kube.iter_mut()).map(|rx| rx.changed().boxed()).collect();
        if changes.is_empty() {
            return; // static targets only: published once
        }
        let (result, ..) = futures::future::select_all(changes).await;
        if result.is_err() {
            // A source ended (it failed to start); keep following the others.
            jobs.iter_mut().for_each(|j| j.kube.retain(|rx| rx.has_changed().is_ok()));
            continue;
        }
        tokio::time::sleep(SETTLE).await;
        let all = targets(&jobs);
        debug!(targets = all.active.len(), "targets changed");
        if tx.send(all).is_err() {
            return;
        }
    }
}

/// Every job's targets: static ones, then discovered ones. Targets that cannot be formed (an
/// invalid address or interval after relabelling) are not scraped, as in Prometheus, and are
/// listed with the reason ([`super::unformed`]).
fn targets(jobs: &[Job]) -> TargetSet {
    let mut set = TargetSet { jobs: jobs.iter().map(|j| j.job.clone()).collect(), ..TargetSet::default() };
    for j in jobs {
        let discovered: Vec<Labels> = j.kube.iter().flat_map(|rx| rx.borrow().clone()).collect();
        if !j.kube.is_empty() {
            super::annotations::record(&j.job.job_name, &discovered);
        }
        let mut failures = Vec::new();
        let mut dropped = 0;
        for labels in static_label_sets(&j.job).into_iter().chain(discovered) {
            let source = super::unformed::source_of(&labels);
            match Target::from_labels(&j.job, labels.clone()) {
                Ok(Some(t)) => set.active.push(t),
                Ok(None) => {
                    dropped += 1;
                    let keep = j.job.keep_dropped_targets;
                    if keep == 0 || set.dropped.iter().filter(|d| d.job == j.job.job_name).count() < keep as usize {
                        let discovered = discovered_labels(&j.job, labels);
                        set.dropped.push(DroppedTarget { job: j.job.job_name.clone(), discovered });
                    }
                }
                Err(e) => failures.push((source, e)),
            }
        }
        set.dropped_counts.insert(j.job.job_name.clone(), dropped);
        for (source, e) in &failures {
            debug!(job = %j.job.job_name, %source, error = %crate::http_client::url::redact(e), "target not created");
        }
        super::unformed::record(&j.job.job_name, failures);
    }
    set
}
