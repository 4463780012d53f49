//! Joins every job's target sources (`static_configs`, `kubernetes_sd_configs`) into the one
//! target list the scrape manager follows, republished whenever a source changes.
//!
//! Entry point: [`start`]. Each Kubernetes source runs in its own task and publishes label sets
//! on a `watch` channel; one task turns all of them into [`Target`]s through each job's
//! `relabel_configs`. Relabelling runs per change, never per scrape.

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
use crate::scrape::target::static_label_sets;

/// Changes arriving within this window are applied together.
const SETTLE: Duration = Duration::from_millis(200);

/// The running sources; dropping it stops them.
pub struct Discovery {
    tasks: Vec<JoinHandle<()>>,
}

impl Discovery {
    /// Ties `task` (a consumer of the targets) to this discovery's lifetime.
    pub fn attach(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

struct Job {
    job: Arc<ScrapeConfig>,
    kube: Vec<watch::Receiver<Vec<Labels>>>,
}

/// Starts every source of `cfg` and a task publishing the joined targets on the returned channel.
/// `scope` is where pod discovery looks (required when a job has `kubernetes_sd_configs`).
pub fn start(cfg: &Config, scope: Option<NodeScope>) -> (Discovery, watch::Receiver<Vec<Target>>) {
    let mut tasks = Vec::new();
    let mut jobs = Vec::new();
    for job in &cfg.scrape_configs {
        let mut kube = Vec::new();
        for sd in &job.kubernetes_sd_configs {
            let (tx, rx) = watch::channel(Vec::new());
            let scope = scope.clone().unwrap_or(NodeScope::Cluster);
            tasks.push(tokio::spawn(pod_source(sd.clone(), scope, job.job_name.clone(), tx)));
            kube.push(rx);
        }
        jobs.push(Job { job: Arc::new(job.clone()), kube });
    }
    let (tx, rx) = watch::channel(targets(&jobs));
    tasks.push(tokio::spawn(publish(jobs, tx)));
    (Discovery { tasks }, rx)
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

async fn publish(mut jobs: Vec<Job>, tx: watch::Sender<Vec<Target>>) {
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
        debug!(targets = all.len(), "targets changed");
        if tx.send(all).is_err() {
            return;
        }
    }
}

/// Every job's targets: static ones, then discovered ones. Targets that cannot be formed (an
/// invalid address or interval after relabelling) are not scraped, as in Prometheus, and are
/// listed with the reason ([`super::unformed`]).
fn targets(jobs: &[Job]) -> Vec<Target> {
    let mut out = Vec::new();
    for j in jobs {
        let discovered: Vec<Labels> = j.kube.iter().flat_map(|rx| rx.borrow().clone()).collect();
        if !j.kube.is_empty() {
            super::annotations::record(&j.job.job_name, &discovered);
        }
        let mut failures = Vec::new();
        for labels in static_label_sets(&j.job).into_iter().chain(discovered) {
            let source = super::unformed::source_of(&labels);
            match Target::from_labels(&j.job, labels) {
                Ok(Some(t)) => out.push(t),
                Ok(None) => {}
                Err(e) => failures.push((source, e)),
            }
        }
        for (source, e) in &failures {
            debug!(job = %j.job.job_name, %source, error = %crate::scrape::url::redact(e), "target not created");
        }
        super::unformed::record(&j.job.job_name, failures);
    }
    out
}
