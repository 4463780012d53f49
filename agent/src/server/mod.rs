//! The agent's own HTTP endpoints: `/metrics` (self-metrics), `/-/healthy`, `/-/ready`, `/targets` (HTML)
//! and `/api/v1/targets` (Prometheus-shaped JSON of the active targets).
//!
//! Entry point: [`serve`]. It never touches the scrape hot path: state is read through
//! [`ServerState`], which the agent fills.

pub mod conn;
mod guard;
mod targets;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;

pub use conn::Limits;

use crate::metrics;
use crate::scrape::manager::{DroppedView, TargetView};

/// What the endpoints show; shared with the running agent.
#[derive(Default)]
pub struct ServerState {
    pub ready: AtomicBool,
    /// A function returning the current targets (set once the scrape manager runs).
    #[allow(clippy::type_complexity)]
    pub targets: Mutex<Option<Box<dyn Fn() -> Vec<TargetView> + Send + Sync>>>,
    /// A function returning the targets relabelling dropped (set with `targets`).
    #[allow(clippy::type_complexity)]
    pub dropped: Mutex<Option<Box<dyn Fn() -> DroppedView + Send + Sync>>>,
}

impl ServerState {
    fn targets(&self) -> Vec<TargetView> {
        self.targets.lock().unwrap().as_ref().map(|f| f()).unwrap_or_default()
    }

    fn dropped(&self) -> DroppedView {
        self.dropped.lock().unwrap().as_ref().map(|f| f()).unwrap_or_default()
    }
}

/// Binds `addr` and serves until the task is dropped, within `limits` ([`conn`]). Returns the
/// bound address (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    state: Arc<ServerState>,
    limits: Limits,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handler: conn::Handler = Arc::new(move |req| route(req, &state));
    let task = tokio::spawn(conn::serve(listener, limits.within_file_limit(), handler));
    Ok((local, task))
}

fn route(req: &Request<Incoming>, state: &ServerState) -> Response<Full<Bytes>> {
    match req.uri().path() {
        "/metrics" => reply(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", metrics::get().render()),
        "/-/healthy" => reply(StatusCode::OK, "text/plain", "scrapelet is Healthy.\n".into()),
        "/-/ready" if state.ready.load(Ordering::Relaxed) => {
            reply(StatusCode::OK, "text/plain", format!("scrapelet is Ready.\n{}", targets::sources_text()))
        }
        "/-/ready" => reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "scrapelet is not ready.\n".into()),
        "/targets" => {
            reply(StatusCode::OK, "text/html; charset=utf-8", targets::html(&state.targets(), &state.dropped()))
        }
        "/api/v1/targets" => {
            let body = targets::json(&state.targets(), &state.dropped(), req.uri().query().unwrap_or(""));
            reply(StatusCode::OK, "application/json", body)
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, content_type.parse().expect("static content type"));
    r
}
