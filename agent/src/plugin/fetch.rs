//! `host.fetch`: HTTP to the scraped target's own `host:port` and nowhere else, within the
//! scrape's deadline and body limit; or answers replayed from a captured payload
//! (`scrapelet plugin run`).
//!
//! Entry point: [`Fetch::request`], awaited on the plugin pool within the call's deadline (the
//! call is dropped at the deadline, the request with it).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;

use crate::http_client::HttpClient;

/// A request as the plugin made it.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A response to hand back.
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Where a plugin's fetches go.
#[derive(Clone)]
pub enum Fetch {
    /// Transforms (and exporters with nothing to fetch from) may not fetch.
    Denied,
    /// The live target: `base` is `scheme://host:port`; `limit` is the body size limit.
    Target { client: HttpClient, base: String, deadline: Instant, limit: u64 },
    /// Every fetch is answered with this captured body.
    Replay { body: Arc<Vec<u8>>, content_type: String },
}

impl Fetch {
    /// Performs one request for the plugin. `Err` is a reason the plugin reads (and the host
    /// counts when it is a refusal).
    pub async fn request(&self, req: Request) -> Result<Response, String> {
        check(&req)?;
        match self {
            Fetch::Denied => Err("fetch is not available to this plugin".into()),
            Fetch::Replay { body, content_type } => {
                Ok(Response { status: 200, content_type: content_type.clone(), body: body.as_ref().clone() })
            }
            Fetch::Target { client, base, deadline, limit } => {
                let remaining = deadline.saturating_duration_since(Instant::now());
                if remaining.is_zero() {
                    return Err("scrape timeout reached".into());
                }
                let url = format!("{base}{}", req.path);
                tokio::time::timeout(remaining, send(client, url, req, *limit, remaining))
                    .await
                    .unwrap_or_else(|_| Err(format!("timed out after {remaining:?}")))
            }
        }
    }
}

/// A refusal (the path names another host, a forbidden method or header) is a sandbox event.
pub fn is_refusal(reason: &str) -> bool {
    reason.starts_with("refused:")
}

fn check(req: &Request) -> Result<(), String> {
    if req.method != "GET" && req.method != "POST" {
        return Err(format!("refused: method {:?} (only GET and POST)", req.method));
    }
    let p = &req.path;
    if !p.starts_with('/') || p.starts_with("//") || p.contains(['\\', ' ', '\r', '\n', '#']) {
        return Err(format!("refused: {p:?} is not a path on the target (it must start with a single /)"));
    }
    if let Some((name, _)) = req.headers.iter().find(|(n, _)| forbidden_header(n)) {
        return Err(format!("refused: header {name:?} is set by the host"));
    }
    Ok(())
}

fn forbidden_header(name: &str) -> bool {
    ["host", "authorization", "content-length", "transfer-encoding", "connection"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

async fn send(
    client: &HttpClient,
    url: String,
    req: Request,
    limit: u64,
    timeout: std::time::Duration,
) -> Result<Response, String> {
    let mut builder = http::Request::builder().method(req.method.as_str()).uri(&url);
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder = builder.header(http::header::ACCEPT_ENCODING, "identity");
    let request = builder.body(Full::new(Bytes::from(req.body))).map_err(|e| format!("bad request: {e}"))?;
    let resp = client.send(request, timeout).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let content_type =
        resp.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut body = Vec::new();
    crate::http_client::body::read(resp.into_body(), false, &mut body, limit).await.map_err(|e| e.to_string())?;
    Ok(Response { status, content_type, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> Request {
        Request { method: method.into(), path: path.into(), headers: vec![], body: vec![] }
    }

    #[test]
    fn only_paths_on_the_target_are_allowed() {
        assert!(check(&req("GET", "/metrics?x=1")).is_ok());
        for bad in ["http://evil/", "//evil/x", "evil:80/", "", "/a b"] {
            assert!(is_refusal(&check(&req("GET", bad)).unwrap_err()), "{bad}");
        }
        assert!(check(&req("DELETE", "/x")).is_err());
        let mut r = req("GET", "/x");
        r.headers.push(("Host".into(), "evil".into()));
        assert!(check(&r).is_err());
    }
}
