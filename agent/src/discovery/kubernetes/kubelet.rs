//! The kubelet pod source: polls this node's kubelet `GET /pods` instead of watching the API server.
//!
//! Entry point: [`run`]. Every `poll_interval` it fetches the `PodList` through the shared
//! [`HttpClient`] (service-account token re-read per request, cluster CA), and hashes the body: an
//! unchanged body costs that request and the hash, nothing more. A changed body is decoded, kept
//! to this node's pods and the configured namespaces, turned into targets by [`pods_targets`] (the
//! API source's function, so both give the same labels) and published only if the list changed.
//! A failed poll (kubelet down, slow, 401/403, garbage) never touches the published list: the last
//! good targets keep being scraped. It logs once per failure streak, counts
//! `scrapelet_discovery_errors_total{source="kubelet",reason}` and reports in [`health`].

use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use k8s_openapi::api::core::v1::Pod;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tracing::{debug, info, warn};

use super::config::{KubeletSource, KubernetesSdConfig, PodSource};
use super::health::{self, Reporter, SourceHealth};
use super::pod::{join_host_port, pods_targets};
use super::watch::NodeScope;
use crate::http_client::url::redact;
use crate::http_client::{Authorization, HttpClient, HttpClientConfig, HttpError, TlsConfig};
use crate::labels::Labels;
use crate::metrics;

/// The kubelet's HTTPS port.
pub const KUBELET_PORT: u16 = 10250;
/// A `PodList` of 110 pods is a few MB; this only guards against a runaway body.
const MAX_BODY: usize = 64 << 20;
/// The file every pod's service account has with its namespace (for `own_namespace`).
const SA_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Why a poll failed (a `user:pass@` in the URL masked). [`PollError::reason`] is the bounded
/// metric label.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("kubelet source cannot start: {0}")]
    Setup(String),
    #[error("GET {}: {source}", redact(url))]
    Request { url: String, source: HttpError },
    #[error("GET {}: timed out after {timeout:?}", redact(url))]
    Timeout { url: String, timeout: Duration },
    #[error("GET {}: HTTP {status}: {body}", redact(url))]
    Status { url: String, status: u16, body: String },
    #[error("GET {}: reading the body: {message}", redact(url))]
    Body { url: String, message: String },
    #[error("GET {}: not a PodList: {message}", redact(url))]
    Decode { url: String, message: String },
}

impl PollError {
    pub fn reason(&self) -> &'static str {
        match self {
            PollError::Setup(_) => "setup",
            PollError::Request { source: HttpError::Timeout(_), .. } | PollError::Timeout { .. } => "timeout",
            PollError::Request { source: HttpError::Credentials { .. }, .. } => "credentials",
            PollError::Request { .. } => "unreachable",
            PollError::Status { status: 401, .. } => "unauthorized",
            PollError::Status { status: 403, .. } => "forbidden",
            PollError::Status { .. } => "http_status",
            PollError::Body { .. } => "body",
            PollError::Decode { .. } => "decode",
        }
    }
}

/// Polls until every receiver of `tx` is gone. `job` names the source on `/targets`.
pub async fn run(cfg: KubernetesSdConfig, scope: NodeScope, job: String, tx: watch::Sender<Vec<Labels>>) {
    let PodSource::Kubelet(source) = &cfg.pod_source else { return };
    if cfg.attach_metadata.node {
        warn!("kubernetes_sd_configs: attach_metadata.node is accepted but node labels are not attached yet");
    }
    let url = pods_url(source.url.as_deref(), std::env::var("NODE_IP").ok().as_deref());
    let endpoint = redact(url.as_deref().unwrap_or_default()).into_owned();
    info!(url = %endpoint, every = ?source.poll_interval, ?scope, "polling the kubelet for pods");
    let reporter = health::register(SourceHealth { job, source: "kubelet", endpoint, ..Default::default() });
    let mut poller = Poller::new(&cfg, source, scope, url);
    let mut ticks = tokio::time::interval(source.poll_interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while !tx.is_closed() {
        ticks.tick().await;
        poller.poll(&tx, &reporter).await;
    }
}

/// `<url>/pods`, the URL defaulting to `https://$NODE_IP:10250`.
pub fn pods_url(url: Option<&str>, node_ip: Option<&str>) -> Result<String, String> {
    let base = match (url, node_ip.filter(|ip| !ip.is_empty())) {
        (Some(u), _) => u.to_string(),
        (None, Some(ip)) => format!("https://{}", join_host_port(ip, &KUBELET_PORT.to_string())),
        (None, None) => return Err("NODE_IP not set and no kubelet.url configured".into()),
    };
    Ok(format!("{}/pods", base.trim_end_matches('/')))
}

/// Which pods of the list are ours.
#[derive(Clone, Debug, Default)]
struct PodFilter {
    node: Option<String>,
    /// Empty: every namespace.
    namespaces: Vec<String>,
}

impl PodFilter {
    fn keeps(&self, pod: &Pod) -> bool {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        self.node.as_deref().is_none_or(|n| node == Some(n))
            && (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == ns))
    }
}

/// What a poll needs once set up (retried every poll until it works: a CA or token file may be
/// mounted late).
struct Ready {
    url: String,
    client: HttpClient,
    filter: PodFilter,
}

struct Poller {
    cfg: KubernetesSdConfig,
    source: KubeletSource,
    scope: NodeScope,
    url: Result<String, String>,
    ready: Option<Ready>,
    /// Hash of the last body that was decoded and published.
    last_body: Option<u64>,
    /// The reason of the current failure streak.
    failing: Option<&'static str>,
}

impl Poller {
    fn new(cfg: &KubernetesSdConfig, source: &KubeletSource, scope: NodeScope, url: Result<String, String>) -> Self {
        let (cfg, source) = (cfg.clone(), source.clone());
        Poller { cfg, source, scope, url, ready: None, last_body: None, failing: None }
    }

    async fn poll(&mut self, tx: &watch::Sender<Vec<Labels>>, reporter: &Reporter) {
        match self.poll_once(tx).await {
            Ok(targets) => self.succeeded(reporter, targets),
            Err(e) => self.failed(reporter, &e),
        }
    }

    /// One poll; `Ok` holds the number of published targets.
    async fn poll_once(&mut self, tx: &watch::Sender<Vec<Labels>>) -> Result<usize, PollError> {
        if self.ready.is_none() {
            self.ready = Some(self.setup()?);
        }
        let ready = self.ready.as_ref().expect("set up");
        let body = fetch(&ready.client, &ready.url, self.source.timeout).await?;
        let hash = foldhash::fast::FixedState::default().hash_one(&body[..]);
        if self.last_body == Some(hash) {
            return Ok(tx.borrow().len());
        }
        let pods = decode(&body).map_err(|message| PollError::Decode { url: ready.url.clone(), message })?;
        let targets = pods_targets(pods.iter().filter(|p| ready.filter.keeps(p)));
        let count = targets.len();
        publish(tx, targets, pods.len());
        self.last_body = Some(hash);
        Ok(count)
    }

    fn setup(&self) -> Result<Ready, PollError> {
        let url = self.url.clone().map_err(PollError::Setup)?;
        let client = HttpClient::new(&client_config(&self.source)).map_err(|e| PollError::Setup(e.to_string()))?;
        let node = match &self.scope {
            NodeScope::Node(n) => Some(n.clone()),
            NodeScope::Cluster => None,
        };
        let filter = PodFilter { node, namespaces: namespaces(&self.cfg)? };
        Ok(Ready { url, client, filter })
    }

    fn succeeded(&mut self, reporter: &Reporter, targets: usize) {
        if let Some(reason) = self.failing.take() {
            info!(previous = reason, "kubelet pod source recovered");
        }
        reporter.update(|h| {
            h.up = Some(true);
            h.last_success = Some(SystemTime::now());
            h.last_error = None;
            h.last_error_reason = None;
            h.targets = targets;
        });
    }

    /// Keeps the published targets; warns when a streak starts or its reason changes.
    fn failed(&mut self, reporter: &Reporter, e: &PollError) {
        let reason = e.reason();
        metrics::get().discovery_errors.with(&["kubelet", reason]).inc();
        if self.failing == Some(reason) {
            debug!(error = %e, reason, "kubelet pod source still failing");
        } else {
            warn!(error = %e, reason, "kubelet pod source failing; keeping the last good targets");
        }
        self.failing = Some(reason);
        reporter.update(|h| {
            h.up = Some(false);
            h.last_error = Some(e.to_string());
            h.last_error_reason = Some(reason);
        });
    }
}

/// The shared HTTP client's config for the kubelet: bearer token file, CA, no redirects.
fn client_config(source: &KubeletSource) -> HttpClientConfig {
    let h = &source.http;
    let authorization = (h.bearer_token.is_some() || h.bearer_token_file.is_some()).then(|| Authorization {
        kind: "Bearer".into(),
        credentials: h.bearer_token.clone(),
        credentials_file: h.bearer_token_file.clone(),
    });
    let tls_config = TlsConfig {
        ca_file: h.ca_file.clone(),
        server_name: h.server_name.clone(),
        insecure_skip_verify: h.insecure_skip_verify,
        ..TlsConfig::default()
    };
    HttpClientConfig { authorization, tls_config, follow_redirects: false, ..HttpClientConfig::default() }
}

/// The configured namespace names, plus the agent's own with `own_namespace`.
fn namespaces(cfg: &KubernetesSdConfig) -> Result<Vec<String>, PollError> {
    let mut names = cfg.namespaces.names.clone();
    if cfg.namespaces.own_namespace {
        let own = std::fs::read_to_string(SA_NAMESPACE_FILE)
            .map_err(|e| PollError::Setup(format!("own_namespace: reading {SA_NAMESPACE_FILE}: {e}")))?;
        names.push(own.trim().to_string());
    }
    Ok(names)
}

/// GETs `url` within `timeout` (the whole exchange, body included); a non-2xx status is an error.
async fn fetch(client: &HttpClient, url: &str, timeout: Duration) -> Result<Bytes, PollError> {
    let exchange = async {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::default())
            .map_err(|e| PollError::Setup(format!("invalid URL {url:?}: {e}")))?;
        let resp = client.send(req, timeout).await.map_err(|source| PollError::Request { url: url.into(), source })?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), MAX_BODY).collect().await;
        let body = body.map_err(|e| PollError::Body { url: url.into(), message: e.to_string() })?.to_bytes();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string();
            return Err(PollError::Status { url: url.into(), status: status.as_u16(), body: text });
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(PollError::Timeout { url: url.into(), timeout }))
}

/// The kubelet's `{"kind": "PodList", "items": [...]}`. A body with neither a `PodList` kind nor
/// an `items` list is an error, never an empty node (that would drop every target).
pub fn decode(body: &[u8]) -> Result<Vec<Pod>, String> {
    #[derive(serde::Deserialize)]
    struct PodList {
        kind: Option<String>,
        items: Option<Vec<Pod>>,
    }
    let list: PodList = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    match (list.kind.as_deref(), list.items) {
        (Some(kind), _) if kind != "PodList" => Err(format!("kind {kind:?}, expected PodList")),
        (None, None) => Err("no kind and no items".into()),
        (_, items) => Ok(items.unwrap_or_default()),
    }
}

/// Sends `targets` if they differ from what is published.
fn publish(tx: &watch::Sender<Vec<Labels>>, targets: Vec<Labels>, pods: usize) {
    let changed = tx.send_if_modified(|current| {
        let changed = *current != targets;
        if changed {
            *current = targets;
        }
        changed
    });
    if changed {
        debug!(pods, "pod targets changed");
    }
}

#[cfg(test)]
#[path = "kubelet_tests.rs"]
mod tests;
