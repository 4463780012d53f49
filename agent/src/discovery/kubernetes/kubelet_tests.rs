//! Tests of the kubelet source against an in-process fake kubelet (plain HTTP; the end-to-end test
//! in `tests/` uses HTTPS), including the same pods through both sources.

use std::sync::atomic::Ordering;

use super::*;
use crate::config::yaml::{Errors, parse};
use fake::{Mode, serve};

fn cfg(text: &str) -> KubernetesSdConfig {
    let mut errors = Errors::default();
    KubernetesSdConfig::parse(&parse(text).unwrap(), "sd", &mut errors).expect("valid config")
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/discovery/");

fn fixture_pods() -> String {
    std::fs::read_to_string(format!("{FIXTURES}pods.json")).unwrap()
}

fn show(v: &[Labels]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

mod fake {
    //! A scriptable kubelet: answers `GET /pods` per [`Mode`], checking the bearer token.

    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
    use hyper::body::Frame;
    use hyper::{Request, Response};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    #[derive(Clone)]
    pub enum Mode {
        Body(String),
        Status(u16),
        Slow(Duration, String),
        /// Drop the connection without an answer.
        Close,
        /// An API server: the body as the list, then a watch that never sends.
        Api(String),
    }

    pub type Reply = Response<BoxBody<Bytes, Infallible>>;

    fn full(status: u16, body: String) -> Reply {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(body.into()).boxed())
            .unwrap()
    }

    async fn reply(mode: Mode, token: &str, req: &Request<hyper::body::Incoming>) -> Result<Reply, &'static str> {
        let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        if !token.is_empty() && auth != format!("Bearer {token}") {
            return Ok(full(401, "Unauthorized".into()));
        }
        Ok(match mode {
            Mode::Body(b) => full(200, b),
            Mode::Status(s) => full(
                s,
                "Forbidden (user=system:serviceaccount:x:y, verb=get, resource=nodes, subresource(s)=[pods])".into(),
            ),
            Mode::Slow(d, b) => {
                tokio::time::sleep(d).await;
                full(200, b)
            }
            Mode::Close => return Err("closed"),
            Mode::Api(_) if req.uri().query().unwrap_or("").contains("watch=true") => {
                let never = futures::stream::pending::<Result<Frame<Bytes>, Infallible>>();
                Response::builder()
                    .header("content-type", "application/json")
                    .body(BoxBody::new(StreamBody::new(never)))
                    .unwrap()
            }
            Mode::Api(b) => full(200, b),
        })
    }

    pub struct Fake {
        pub url: String,
        pub mode: Arc<Mutex<Mode>>,
        pub token: Arc<Mutex<String>>,
        pub hits: Arc<AtomicUsize>,
    }

    impl Fake {
        pub fn set(&self, mode: Mode) {
            *self.mode.lock().unwrap() = mode;
        }
    }

    /// Serves on 127.0.0.1:0.
    pub async fn serve(mode: Mode) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = Fake { url, mode: Arc::new(Mutex::new(mode)), token: Default::default(), hits: Default::default() };
        let (mode, token, hits) = (fake.mode.clone(), fake.token.clone(), fake.hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (mode, token, hits) = (mode.clone(), token.clone(), hits.clone());
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    hits.fetch_add(1, Ordering::Relaxed);
                    let (mode, token) = (mode.lock().unwrap().clone(), token.lock().unwrap().clone());
                    async move { reply(mode, &token, &req).await }
                });
                tokio::spawn(async move {
                    let conn = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = conn.serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        fake
    }
}

fn kubelet_cfg(url: &str, extra: &str) -> KubernetesSdConfig {
    cfg(&format!(
        "role: pod\npod_source: kubelet\n{extra}kubelet:\n  url: {url}\n  poll_interval: 50ms\n  timeout: 300ms\n  tls_config: {{insecure_skip_verify: true}}\n  bearer_token: t0\n"
    ))
}

async fn wait_until(rx: &mut watch::Receiver<Vec<Labels>>, f: impl Fn(&[Labels]) -> bool) {
    let wait = async {
        while !f(&rx.borrow_and_update()) {
            rx.changed().await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait).await.expect("targets published");
}

#[tokio::test]
async fn both_sources_give_byte_identical_labels_for_the_same_pods() {
    let (kubelet, api) = (serve(Mode::Body(fixture_pods())).await, serve(Mode::Api(fixture_pods())).await);
    let node = || NodeScope::Node("node-a".into());
    let (ktx, mut krx) = watch::channel(Vec::new());
    let (atx, mut arx) = watch::channel(Vec::new());
    let k = tokio::spawn(run(kubelet_cfg(&kubelet.url, ""), node(), "j".into(), ktx));
    let api_cfg = cfg(&format!("role: pod\napi_server: {}\n", api.url));
    let client = crate::discovery::kubernetes::client(&api_cfg).await.unwrap();
    let a = tokio::spawn(crate::discovery::kubernetes::run(api_cfg, node(), client, atx));
    wait_until(&mut krx, |t| !t.is_empty()).await;
    wait_until(&mut arx, |t| !t.is_empty()).await;
    let (from_kubelet, from_api) = (show(&krx.borrow()), show(&arx.borrow()));
    assert_eq!(from_kubelet, from_api);
    assert_eq!(from_kubelet, std::fs::read_to_string(format!("{FIXTURES}pods.expected.txt")).unwrap());
    k.abort();
    a.abort();
}

fn poller(cfg: &KubernetesSdConfig, url: &str) -> Poller {
    let PodSource::Kubelet(source) = &cfg.pod_source else { panic!() };
    Poller::new(cfg, source, NodeScope::Node("node-a".into()), Ok(format!("{url}/pods")))
}

fn reporter() -> Reporter {
    health::register(SourceHealth { job: "t".into(), source: "kubelet", ..Default::default() })
}

fn errors(reason: &str) -> u64 {
    metrics::get().discovery_errors.with(&["kubelet", reason]).get()
}

/// Without the first pod of the fixture (`shop/web-0`).
fn fewer_pods() -> String {
    let mut list: serde_json::Value = serde_json::from_str(&fixture_pods()).unwrap();
    list["items"].as_array_mut().unwrap().retain(|p| p["metadata"]["name"] != "web-0");
    list.to_string()
}

#[tokio::test]
async fn faults_keep_the_last_good_targets_and_report_their_reason() {
    let kubelet = serve(Mode::Body(fixture_pods())).await;
    let cfg = kubelet_cfg(&kubelet.url, "");
    let (mut p, r, (tx, rx)) = (poller(&cfg, &kubelet.url), reporter(), watch::channel(Vec::new()));
    p.poll(&tx, &r).await;
    let good = rx.borrow().clone();
    assert!(!good.is_empty());
    assert_eq!(r.get().unwrap().state(), "up");
    let faults = [
        (Mode::Status(403), "forbidden"),
        (Mode::Status(500), "http_status"),
        (Mode::Body("{\"kind\":\"PodList\",\"items\":[{\"metadata\":".into()), "decode"),
        (Mode::Body("<html>oops</html>".into()), "decode"),
        (Mode::Body("{\"kind\":\"Status\",\"code\":500}".into()), "decode"),
        (Mode::Slow(Duration::from_secs(2), fixture_pods()), "timeout"),
        (Mode::Close, "unreachable"),
    ];
    for (mode, reason) in faults {
        kubelet.set(mode);
        let before = errors(reason);
        p.poll(&tx, &r).await;
        assert_eq!(show(&rx.borrow()), show(&good), "{reason}: targets must stay");
        let h = r.get().unwrap();
        assert_eq!((h.state(), h.last_error_reason), ("down", Some(reason)), "{h:?}");
        assert!(h.last_success.is_some() && h.last_error.is_some());
        assert_eq!(errors(reason), before + 1, "{reason}");
    }
    kubelet.set(Mode::Body(fewer_pods()));
    p.poll(&tx, &r).await;
    assert!(rx.borrow().len() < good.len(), "a pod gone from a good answer is removed");
    assert!(rx.borrow().iter().all(|l| l.get("__meta_kubernetes_pod_name") != Some("web-0")));
    assert_eq!(r.get().unwrap().last_error, None);
}

#[tokio::test]
async fn an_unchanged_body_does_not_republish_and_a_rotated_token_is_used() {
    let kubelet = serve(Mode::Body(fixture_pods())).await;
    *kubelet.token.lock().unwrap() = "first".into();
    let dir = std::env::temp_dir().join(format!("scrapelet-kubelet-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, "first\n").unwrap();
    let text = format!(
        "role: pod\npod_source: kubelet\nkubelet:\n  url: {}\n  bearer_token_file: {}\n  tls_config: {{insecure_skip_verify: true}}\n",
        kubelet.url,
        token.display()
    );
    let cfg = cfg(&text);
    let (mut p, r, (tx, mut rx)) = (poller(&cfg, &kubelet.url), reporter(), watch::channel(Vec::new()));
    p.poll(&tx, &r).await;
    assert!(rx.has_changed().unwrap());
    rx.borrow_and_update();
    p.poll(&tx, &r).await;
    assert!(!rx.has_changed().unwrap(), "same body: nothing to hand on");
    *kubelet.token.lock().unwrap() = "second".into();
    p.poll(&tx, &r).await;
    assert_eq!(r.get().unwrap().last_error_reason, Some("unauthorized"));
    std::fs::write(&token, "second\n").unwrap();
    p.poll(&tx, &r).await;
    assert_eq!(r.get().unwrap().state(), "up", "the rotated token is read on the next request");
    assert_eq!(kubelet.hits.load(Ordering::Relaxed), 4);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn missing_node_ip_is_reported_and_retried() {
    let cfg = cfg("role: pod\npod_source: kubelet\n");
    let PodSource::Kubelet(source) = &cfg.pod_source else { panic!() };
    let mut p = Poller::new(&cfg, source, NodeScope::Cluster, pods_url(None, None));
    let (r, (tx, _rx)) = (reporter(), watch::channel(Vec::new()));
    p.poll(&tx, &r).await;
    let h = r.get().unwrap();
    assert_eq!(h.last_error_reason, Some("setup"));
    assert!(h.last_error.unwrap().contains("NODE_IP"));
}

#[test]
fn url_defaults_to_the_node_ip_on_the_kubelet_port() {
    assert_eq!(pods_url(None, Some("10.0.0.7")).unwrap(), "https://10.0.0.7:10250/pods");
    assert_eq!(pods_url(None, Some("fd00::7")).unwrap(), "https://[fd00::7]:10250/pods");
    assert_eq!(pods_url(Some("https://k:1/"), Some("10.0.0.7")).unwrap(), "https://k:1/pods");
    assert!(pods_url(None, Some("")).is_err());
}

#[test]
fn decode_accepts_only_pod_lists() {
    assert_eq!(decode(br#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":null}"#).unwrap().len(), 0);
    assert_eq!(decode(br#"{"items":[]}"#).unwrap().len(), 0);
    assert_eq!(decode(fixture_pods().as_bytes()).unwrap().len(), 4);
    assert!(decode(b"{}").is_err());
    assert!(decode(br#"{"kind":"Status","status":"Failure"}"#).is_err());
    assert!(decode(&fixture_pods().as_bytes()[..100]).is_err());
}

#[test]
fn filter_keeps_this_node_and_the_configured_namespaces() {
    let pods = decode(fixture_pods().as_bytes()).unwrap();
    let keep = |f: PodFilter| pods.iter().filter(|p| f.keeps(p)).count();
    assert_eq!(keep(PodFilter::default()), 4);
    assert_eq!(keep(PodFilter { node: Some("node-a".into()), namespaces: vec![] }), 4);
    assert_eq!(keep(PodFilter { node: Some("node-b".into()), namespaces: vec![] }), 0);
    assert_eq!(keep(PodFilter { node: None, namespaces: vec!["default".into()] }), 2);
}
