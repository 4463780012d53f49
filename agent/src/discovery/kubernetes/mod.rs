//! Kubernetes pod discovery (`kubernetes_sd_configs`, role `pod`), scoped to this node.
//!
//! Two halves, kept apart so a second pod source (the kubelet's `/pods`) can reuse the first:
//! - [`pod::pod_targets`]: a pure pod → label sets function, identical to Prometheus' role `pod`;
//! - [`watch::run`]: the API-server source (kube-rs watcher + reflector, field selector
//!   `spec.nodeName=<node>`), which recomputes and publishes the full target list on change;
//! - [`kubelet::run`]: the kubelet source (`pod_source: kubelet`), polling this node's kubelet
//!   `/pods` with no API-server load, publishing through the same [`pod::pods_targets`].
//!
//! [`health`] keeps each running source's state for `/targets` and `/-/ready`.
//!
//! [`config::KubernetesSdConfig`] reads one `kubernetes_sd_configs` entry; [`client::client`]
//! builds the API client from it. Never list or watch the whole cluster unless asked to.

pub mod client;
pub mod config;
pub mod health;
pub mod kubelet;
pub mod pod;
pub mod watch;

pub use client::client;
pub use config::{KubernetesSdConfig, PodSource};
pub use pod::pod_targets;
pub use watch::{NodeScope, run};

/// Why the Kubernetes source could not start.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("NODE_NAME not set: refusing to watch pods of the whole cluster (set NODE_NAME or --node)")]
    NoNode,
    #[error("in-cluster Kubernetes config: {0}")]
    InCluster(#[source] kube::config::InClusterError),
    #[error("kubeconfig_file {path}: {source}")]
    Kubeconfig { path: String, source: kube::config::KubeconfigError },
    #[error("api_server {url:?}: {message}")]
    ApiServer { url: String, message: String },
    #[error("reading {path}: {source}")]
    ReadFile { path: String, source: std::io::Error },
    #[error("building the Kubernetes client: {0}")]
    Client(#[source] kube::Error),
}
