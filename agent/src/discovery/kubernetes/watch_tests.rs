//! Tests of the watch parameters and of the API-server source against an in-process fake.

use super::*;
use crate::config::yaml::{Errors, parse};

fn cfg(text: &str) -> KubernetesSdConfig {
    let mut errors = Errors::default();
    KubernetesSdConfig::parse(&parse(text).unwrap(), "sd", &mut errors).expect("valid config")
}

#[test]
fn refuses_cluster_wide_watch_without_a_node() {
    assert!(matches!(NodeScope::resolve(None, None, false), Err(DiscoveryError::NoNode)));
    assert!(matches!(NodeScope::resolve(None, Some(String::new()), false), Err(DiscoveryError::NoNode)));
    assert_eq!(NodeScope::resolve(None, None, true).unwrap(), NodeScope::Cluster);
    let n = NodeScope::resolve(Some("flag".into()), Some("env".into()), false).unwrap();
    assert_eq!(n, NodeScope::Node("flag".into()));
    assert_eq!(NodeScope::resolve(None, Some("env".into()), false).unwrap(), NodeScope::Node("env".into()));
}

#[test]
fn node_field_selector_is_joined_with_configured_selectors() {
    let c = cfg("role: pod\nselectors:\n  - role: pod\n    label: app=web\n    field: status.phase=Running\n");
    let wc = watcher_config(&c, &NodeScope::Node("n1".into()));
    assert_eq!(wc.field_selector.as_deref(), Some("spec.nodeName=n1,status.phase=Running"));
    assert_eq!(wc.label_selector.as_deref(), Some("app=web"));
    assert!(wc.bookmarks);
    let wc = watcher_config(&cfg("role: pod\n"), &NodeScope::Cluster);
    assert_eq!(wc.field_selector, None);
}

#[test]
fn namespaces_default_to_all_and_include_own_once() {
    assert_eq!(namespaces(&cfg("role: pod\n"), "me"), vec![None]);
    let c = cfg("role: pod\nnamespaces:\n  own_namespace: true\n  names: [me, b]\n");
    assert_eq!(namespaces(&c, "me"), vec![Some("b".to_string()), Some("me".to_string())]);
}

mod fake_api {
    //! A minimal API server: one `PodList`, then a watch stream with one ADDED event that stays open.

    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use futures::StreamExt;
    use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
    use hyper::body::Frame;
    use hyper::{Request, Response};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    pub type Seen = Arc<Mutex<Vec<String>>>;

    fn pod(name: &str, ip: &str) -> serde_json::Value {
        serde_json::json!({"metadata": {"name": name, "namespace": "default", "uid": name, "resourceVersion": "2"},
            "spec": {"nodeName": "node-a", "containers": [{"name": "c", "ports": [{"containerPort": 8090}]}]},
            "status": {"podIP": ip, "phase": "Running"}})
    }

    fn reply(req: &Request<hyper::body::Incoming>) -> Response<BoxBody<Bytes, Infallible>> {
        let query = req.uri().query().unwrap_or("");
        let body = if query.contains("watch=true") {
            let event = serde_json::json!({"type": "ADDED", "object": pod("b", "10.0.0.2")}).to_string() + "\n";
            let first = futures::stream::once(async move { Ok(Frame::data(Bytes::from(event))) });
            BoxBody::new(StreamBody::new(first.chain(futures::stream::pending())))
        } else {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1"},
                "items": [pod("a", "10.0.0.1")]});
            Full::new(Bytes::from(list.to_string())).boxed()
        };
        Response::builder().header("content-type", "application/json").body(body).unwrap()
    }

    /// Serves on 127.0.0.1:0; returns its URL and the query strings it saw.
    pub async fn start() -> (String, Seen) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Seen::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let log = log.clone();
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    log.lock().unwrap().push(req.uri().query().unwrap_or("").to_string());
                    let resp = reply(&req);
                    async move { Ok::<_, Infallible>(resp) }
                });
                tokio::spawn(async move {
                    let conn = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = conn.serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        (url, seen)
    }
}

#[tokio::test]
async fn publishes_listed_then_watched_pods_of_this_node_only() {
    let (url, seen) = fake_api::start().await;
    let c = cfg(&format!("role: pod\napi_server: {url}\n"));
    let client = crate::discovery::kubernetes::client(&c).await.unwrap();
    let (tx, mut rx) = watch::channel(Vec::new());
    let task = tokio::spawn(run(c, NodeScope::Node("node-a".into()), client, tx));
    let addresses = |v: &Vec<Labels>| v.iter().map(|l| l.get("__address__").unwrap().to_string()).collect::<Vec<_>>();
    let wait = async {
        loop {
            rx.changed().await.unwrap();
            if addresses(&rx.borrow()).len() == 2 {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait).await.expect("targets published");
    assert_eq!(addresses(&rx.borrow()), vec!["10.0.0.1:8090", "10.0.0.2:8090"]);
    let queries = seen.lock().unwrap().clone();
    assert!(queries.iter().all(|q| q.contains("fieldSelector=spec.nodeName%3Dnode-a")), "{queries:?}");
    assert!(queries.iter().any(|q| q.contains("allowWatchBookmarks=true")), "{queries:?}");
    task.abort();
}
