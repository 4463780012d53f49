//! A test kubelet: `GET /pods` over HTTPS (the agent's test CA and localhost certificate), a bearer
//! token check, a `PodList` the test edits between polls, and the faults a real kubelet shows; and
//! its metrics endpoints `/metrics/cadvisor`, `/metrics/resource` and `/metrics`, serving bodies
//! captured from real kubelets (`tests/fixtures/kubelet/`, see the header of each file).
//!
//! Entry: [`TestKubelet::start`]. Threads and std I/O like the other fixtures; rustls for TLS.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

/// How the kubelet misbehaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    None,
    /// Not listening: connections are refused.
    Down,
    /// 403, as a kubelet answers a token without `nodes/pods` (or `nodes/proxy`) for `/pods`,
    /// without `nodes/metrics` for `/metrics*`.
    Forbidden,
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 whose body stops half-way (the connection closes before Content-Length bytes).
    Truncated,
    /// Answers after this long.
    Slow(Duration),
}

struct State {
    pods: Vec<Value>,
    fault: Fault,
    token: String,
}

pub struct TestKubelet {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
    requests: Arc<AtomicUsize>,
}

/// The agent's test TLS material: `ca.pem`, `server.pem` (localhost, 127.0.0.1), `server-key.pem`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/src/http_client/testdata").join(name)
}

/// A file of `tests/fixtures/kubelet/`: the captured bodies, and `other-ca.pem` (a CA that did
/// not sign the test kubelet's certificate).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kubelet").join(name)
}

/// The exposition a metrics path serves: its captured fixture without the header comment that
/// names the source.
pub fn metrics_body(path: &str) -> Option<String> {
    let file = match path {
        "/metrics/cadvisor" => "cadvisor.txt",
        "/metrics/resource" => "resource.txt",
        "/metrics" => "metrics.txt",
        _ => return None,
    };
    let text = std::fs::read_to_string(fixture(file)).expect("kubelet fixture");
    let is_header = |l: &&str| l.starts_with('#') && !l.starts_with("# HELP ") && !l.starts_with("# TYPE ");
    Some(text.lines().skip_while(is_header).flat_map(|l| [l, "\n"]).collect())
}

impl TestKubelet {
    /// Serves on 127.0.0.1, accepting `Bearer <token>` only.
    pub fn start(token: &str) -> TestKubelet {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test kubelet");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { pods: Vec::new(), fault: Fault::None, token: token.into() }));
        let requests = Arc::new(AtomicUsize::new(0));
        let (s, r, tls) = (state.clone(), requests.clone(), Arc::new(tls_config()));
        std::thread::spawn(move || accept_loop(listener, addr, s, r, tls));
        TestKubelet { url: format!("https://{addr}"), state, requests }
    }

    pub fn set_pods(&self, pods: Vec<Value>) {
        self.state.lock().unwrap().pods = pods;
    }

    pub fn add_pod(&self, pod: Value) {
        self.state.lock().unwrap().pods.push(pod);
    }

    pub fn remove_pod(&self, ns: &str, name: &str) {
        let is = |p: &Value| p["metadata"]["namespace"] == ns && p["metadata"]["name"] == name;
        self.state.lock().unwrap().pods.retain(|p| !is(p));
    }

    pub fn update_pod(&self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
        let mut s = self.state.lock().unwrap();
        let pod = s.pods.iter_mut().find(|p| p["metadata"]["namespace"] == ns && p["metadata"]["name"] == name);
        f(pod.expect("pod to update"));
    }

    pub fn set_fault(&self, fault: Fault) {
        self.state.lock().unwrap().fault = fault;
    }

    pub fn set_token(&self, token: &str) {
        self.state.lock().unwrap().token = token.into();
    }

    /// Requests answered so far (refused connections are not requests).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

fn tls_config() -> ServerConfig {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(testdata("server.pem")).unwrap().collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(testdata("server-key.pem")).expect("a private key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

/// Accepts while up; while [`Fault::Down`], closes the socket so connections are refused, and
/// binds the same port again afterwards.
fn accept_loop(
    listener: TcpListener,
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    requests: Arc<AtomicUsize>,
    tls: Arc<ServerConfig>,
) {
    let mut listener = Some(listener);
    loop {
        let down = state.lock().unwrap().fault == Fault::Down;
        match (&listener, down) {
            // Down: connections are refused, and the port stays this kubelet's to come back on.
            (Some(_), true) => {
                crate::ports::close_reserved(listener.take().unwrap());
            }
            (None, false) => listener = TcpListener::bind(addr).ok(),
            _ => {}
        }
        let Some(l) = &listener else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        l.set_nonblocking(true).unwrap();
        match l.accept() {
            Ok((stream, _)) => {
                let (state, requests, tls) = (state.clone(), requests.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &state, &requests, tls);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn serve(tcp: TcpStream, state: &Mutex<State>, requests: &AtomicUsize, tls: Arc<ServerConfig>) -> std::io::Result<()> {
    tcp.set_nonblocking(false)?;
    let conn = rustls::ServerConnection::new(tls).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let (path, auth) = read_head(&mut stream)?;
    requests.fetch_add(1, Ordering::Relaxed);
    let (fault, token, pods) = {
        let s = state.lock().unwrap();
        (s.fault.clone(), s.token.clone(), s.pods.clone())
    };
    if let Fault::Slow(d) = fault {
        std::thread::sleep(d);
    }
    let (code, content_type, body) = if auth != format!("Bearer {token}") {
        (401, "text/plain", "Unauthorized".to_string())
    } else {
        answer(&path, &fault, pods)
    };
    let sent = if fault == Fault::Truncated { &body[..body.len() / 2] } else { &body[..] };
    write!(
        stream,
        "HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{sent}",
        body.len()
    )?;
    stream.flush()?;
    stream.conn.send_close_notify();
    stream.flush()
}

/// Status, content type and body for an authenticated request.
fn answer(path: &str, fault: &Fault, pods: Vec<Value>) -> (u16, &'static str, String) {
    let metrics = metrics_body(path);
    let subresource = if metrics.is_some() { "metrics" } else { "pods" };
    if path != "/pods" && metrics.is_none() {
        (404, "text/plain", "404 page not found".to_string())
    } else if *fault == Fault::Forbidden {
        (403, "text/plain", forbidden(subresource))
    } else if *fault == Fault::Garbage {
        (200, "text/html", "<html><body>502 Bad Gateway</body></html>".to_string())
    } else if let Some(body) = metrics {
        (200, "text/plain; version=0.0.4; charset=utf-8", body)
    } else {
        (
            200,
            "application/json",
            json!({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": pods}).to_string(),
        )
    }
}

/// The path and `Authorization` header of one request.
fn read_head(stream: &mut impl std::io::Read) -> std::io::Result<(String, String)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut auth = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            auth = value.trim().to_string();
        }
    }
    Ok((path, auth))
}

/// The kubelet's own 403 text for a caller without the `nodes/<subresource>` grant.
fn forbidden(subresource: &str) -> String {
    format!(
        "Forbidden (user=system:serviceaccount:scrapelet:scrapelet, verb=get, resource=nodes, subresource(s)=[{subresource}])"
    )
}
