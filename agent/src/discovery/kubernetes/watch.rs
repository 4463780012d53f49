//! The API-server pod source: a kube-rs watcher and reflector per namespace, limited to this node.
//!
//! Entry point: [`run`]. It lists then watches pods with `spec.nodeName=<node>` (plus the
//! configured selectors), bookmarks on; kube's watcher resumes from the last resourceVersion and
//! relists on 410 Gone, and the reflector store keeps the old contents until a relist is complete,
//! so a relist never flaps targets. After every change the full target list is recomputed with
//! [`pods_targets`] and published only if it differs. Errors are retried with backoff forever.
//! It must never list or watch the whole cluster unless [`NodeScope::Cluster`] was chosen.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::DiscoveryError;
use super::config::KubernetesSdConfig;
use super::pod::pods_targets;
use crate::labels::Labels;

/// Which pods to watch: this node's (the DaemonSet case) or, only on explicit request, all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeScope {
    Node(String),
    Cluster,
}

impl NodeScope {
    /// `--node` wins over `NODE_NAME`; with neither, [`DiscoveryError::NoNode`] unless the caller
    /// explicitly allows a cluster-wide watch.
    pub fn resolve(explicit: Option<String>, env: Option<String>, allow_cluster: bool) -> Result<Self, DiscoveryError> {
        match explicit.or(env).filter(|n| !n.is_empty()) {
            Some(node) => Ok(NodeScope::Node(node)),
            None if allow_cluster => Ok(NodeScope::Cluster),
            None => Err(DiscoveryError::NoNode),
        }
    }

    /// [`NodeScope::resolve`] with `NODE_NAME` read from the environment.
    pub fn from_env(explicit: Option<String>, allow_cluster: bool) -> Result<Self, DiscoveryError> {
        Self::resolve(explicit, std::env::var("NODE_NAME").ok(), allow_cluster)
    }
}

/// The watch parameters: node field selector joined with the configured pod selectors.
pub fn watcher_config(cfg: &KubernetesSdConfig, scope: &NodeScope) -> watcher::Config {
    let mut fields: Vec<String> = Vec::new();
    if let NodeScope::Node(node) = scope {
        fields.push(format!("spec.nodeName={node}"));
    }
    let mut labels: Vec<String> = Vec::new();
    for s in &cfg.selectors {
        fields.extend(s.field.iter().filter(|f| !f.is_empty()).cloned());
        labels.extend(s.label.iter().filter(|l| !l.is_empty()).cloned());
    }
    let mut wc = watcher::Config::default();
    if !fields.is_empty() {
        wc = wc.fields(&fields.join(","));
    }
    if !labels.is_empty() {
        wc = wc.labels(&labels.join(","));
    }
    wc
}

/// The namespaces to watch, `None` meaning all. `own` is the client's default namespace.
pub fn namespaces(cfg: &KubernetesSdConfig, own: &str) -> Vec<Option<String>> {
    let mut names = cfg.namespaces.names.clone();
    if cfg.namespaces.own_namespace {
        names.push(own.to_string());
    }
    names.sort();
    names.dedup();
    if names.is_empty() { vec![None] } else { names.into_iter().map(Some).collect() }
}

type Events = Pin<Box<dyn Stream<Item = (usize, watcher::Result<watcher::Event<Pod>>)> + Send>>;

/// Runs until every receiver of `tx` is gone. The first list is sent once every namespace has
/// been listed; after that, only changes.
pub async fn run(cfg: KubernetesSdConfig, scope: NodeScope, client: kube::Client, tx: watch::Sender<Vec<Labels>>) {
    if cfg.attach_metadata.node {
        warn!("kubernetes_sd_configs: attach_metadata.node is accepted but node labels are not attached yet");
    }
    let wc = watcher_config(&cfg, &scope);
    let namespaces = namespaces(&cfg, client.default_namespace());
    info!(?scope, ?namespaces, fields = ?wc.field_selector, labels = ?wc.label_selector, "watching pods");
    let mut stores = Vec::new();
    let mut streams: Vec<Events> = Vec::new();
    for (i, ns) in namespaces.iter().enumerate() {
        let (store, writer) = reflector::store::<Pod>();
        let api = match ns {
            Some(ns) => Api::<Pod>::namespaced(client.clone(), ns),
            None => Api::<Pod>::all(client.clone()),
        };
        let events = watcher(api, wc.clone()).modify(|p| p.managed_fields_mut().clear()).default_backoff();
        streams.push(events.reflect(writer).map(move |e| (i, e)).boxed());
        stores.push(store);
    }
    follow(futures::stream::select_all(streams), &stores, &tx).await;
}

/// Applies events (already reflected into `stores`) and publishes after each change.
async fn follow(
    mut events: impl Stream<Item = (usize, watcher::Result<watcher::Event<Pod>>)> + Unpin,
    stores: &[Store<Pod>],
    tx: &watch::Sender<Vec<Labels>>,
) {
    let mut listed = vec![false; stores.len()];
    let mut failing = false;
    while let Some((i, event)) = events.next().await {
        if tx.is_closed() {
            return;
        }
        match event {
            Err(e) => {
                log_error(&mut failing, &e);
                continue;
            }
            Ok(watcher::Event::InitDone) => listed[i] = true,
            Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) => {}
            // A (re)list in progress: the store still holds the previous state.
            Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
        }
        if std::mem::take(&mut failing) {
            info!("pod watch recovered");
        }
        if listed.iter().all(|l| *l) {
            publish(stores, tx);
        }
    }
}

/// Warns on the first error of a run of errors, then only at debug level.
fn log_error(failing: &mut bool, e: &watcher::Error) {
    if *failing {
        debug!(error = %e, "pod watch still failing");
    } else {
        warn!(error = %e, "pod watch failed; retrying with backoff");
    }
    *failing = true;
}

/// Recomputes the targets of every stored pod and sends them if they changed.
fn publish(stores: &[Store<Pod>], tx: &watch::Sender<Vec<Labels>>) {
    let pods: Vec<_> = stores.iter().flat_map(|s| s.state()).collect();
    let targets = pods_targets(pods.iter().map(|p| p.as_ref()));
    let changed = tx.send_if_modified(|current| {
        let changed = *current != targets;
        if changed {
            *current = targets;
        }
        changed
    });
    if changed {
        debug!(pods = pods.len(), "pod targets changed");
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
