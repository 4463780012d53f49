//! A test Kubernetes API server for pods: plain HTTP on 127.0.0.1, the real JSON wire format
//! kube-rs expects (`PodList`, chunked `?watch=1` streams with ADDED / MODIFIED / DELETED /
//! BOOKMARK / ERROR 410), field and label selectors, and controls a test uses while the agent
//! runs: add, change, move and delete pods, drop watches, compact history, inject failures,
//! and read back every request made.
//!
//! Entry type: [`ApiServer`]. Synchronous (std threads); never needs a tokio runtime.

mod list;
mod pod;
mod routes;
mod selectors;
mod store;
mod watch;
mod wire;

pub use pod::{Container, annotated_pod, pod};

use std::collections::VecDeque;
use std::net::{Shutdown, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use store::Store;

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    List,
    Watch,
    Get,
    Other,
}

/// One request the server received, for tests to assert on.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: RequestKind,
    pub path: String,
    /// From the path (`/api/v1/namespaces/{ns}/pods`); None for cluster-wide paths.
    pub namespace: Option<String>,
    pub field_selector: Option<String>,
    pub label_selector: Option<String>,
    pub resource_version: Option<String>,
    /// All query parameters, decoded.
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
}

impl Request {
    /// The node this request was restricted to by a `spec.nodeName=` field selector term.
    pub fn node(&self) -> Option<&str> {
        self.field_selector.as_deref()?.split(',').find_map(|t| {
            let t = t.trim().strip_prefix("spec.nodeName")?;
            t.strip_prefix("==").or_else(|| t.strip_prefix('=')).map(str::trim)
        })
    }
}

/// State shared by the controls and the connection threads.
pub(crate) struct Shared {
    store: Mutex<Store>,
    /// Signalled on every store change and on `drop_watches`.
    changed: Condvar,
    bookmark_every: Mutex<Duration>,
    requests: Mutex<Vec<Request>>,
    /// Status codes the next requests answer with, one each.
    failures: Mutex<VecDeque<u16>>,
    stopped: AtomicBool,
}

/// The running server; its threads answer until the process exits, and it drops all watches
/// and refuses new connections when dropped.
pub struct ApiServer {
    addr: String,
    shared: Arc<Shared>,
}

impl ApiServer {
    /// Listens on 127.0.0.1 on a free port.
    pub fn start() -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test API server");
        let addr = listener.local_addr().unwrap().to_string();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            changed: Condvar::new(),
            bookmark_every: Mutex::new(Duration::from_secs(1)),
            requests: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            stopped: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if s.stopped.load(Ordering::Relaxed) {
                    let _ = stream.shutdown(Shutdown::Both);
                    continue;
                }
                let s = s.clone();
                std::thread::spawn(move || routes::handle(&s, stream));
            }
        });
        ApiServer { addr, shared }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig whose current context points at this server, with a dummy bearer token.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        let url = self.url();
        std::fs::write(
            path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {url}\n\
                 users:\n- name: test\n  user:\n    token: test-token\n\
                 contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default\n\
                 current-context: test\npreferences: {{}}\n"
            ),
        )
    }

    /// Creates a pod (panics if it exists); returns its resourceVersion. `kind`, `apiVersion`
    /// and `metadata.resourceVersion` are filled in.
    pub fn add_pod(&self, mut pod: Value) -> u64 {
        pod["kind"] = "Pod".into();
        pod["apiVersion"] = "v1".into();
        self.change(|s| s.add(pod))
    }

    /// Changes a pod in place (panics if it does not exist); returns the new resourceVersion.
    pub fn update_pod(&self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) -> u64 {
        self.change(|s| s.update(ns, name, f))
    }

    /// Deletes a pod (panics if it does not exist); returns the deletion's resourceVersion.
    pub fn delete_pod(&self, ns: &str, name: &str) -> u64 {
        self.change(|s| s.delete(ns, name))
    }

    /// Moves a pod to another node (`spec.nodeName`).
    pub fn move_pod(&self, ns: &str, name: &str, node: &str) -> u64 {
        self.update_pod(ns, name, |p| p["spec"]["nodeName"] = node.into())
    }

    /// Closes every open watch stream abruptly (no final chunk), as an API server restart would.
    pub fn drop_watches(&self) {
        self.change(|s| s.generation += 1);
    }

    /// Drops the change history: a watch resuming from any version handed out before is
    /// answered with an ERROR 410 Expired event.
    pub fn compact(&self) {
        self.change(Store::compact);
    }

    /// Keeps at most `n` changes for watches to resume from (default 10,000).
    pub fn set_history_limit(&self, n: usize) {
        self.change(|s| s.set_history_limit(n));
    }

    /// How often watches that allow bookmarks get one (default 1 s); applies to new watches.
    pub fn set_bookmark_interval(&self, every: Duration) {
        *lock(&self.shared.bookmark_every) = every;
    }

    /// The next `n` requests, of any kind, answer `status` (e.g. 500, or 429 with `Retry-After: 1`).
    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.shared.failures).extend(std::iter::repeat_n(status, n));
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests of `kind` arrived so far.
    pub fn count(&self, kind: RequestKind) -> usize {
        lock(&self.shared.requests).iter().filter(|r| r.kind == kind).count()
    }

    /// Lists and watches not restricted to one node by `spec.nodeName=`: a node-local agent makes none.
    pub fn unscoped_requests(&self) -> Vec<Request> {
        let reqs = lock(&self.shared.requests);
        reqs.iter()
            .filter(|r| matches!(r.kind, RequestKind::List | RequestKind::Watch) && r.node().is_none())
            .cloned()
            .collect()
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.store).resource_version()
    }

    /// The current pods, in (namespace, name) order.
    pub fn pods(&self) -> Vec<Value> {
        lock(&self.shared.store).pods().cloned().collect()
    }

    fn change<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let out = f(&mut lock(&self.shared.store));
        self.shared.changed.notify_all();
        out
    }
}

/// Locks `m`, ignoring poison: a control that panicked (a test bug) must not take the server down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Relaxed);
        self.drop_watches();
    }
}
