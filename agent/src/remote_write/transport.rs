//! The seam between the queue and the network: a [`Transport`] takes one compressed
//! `WriteRequest` and says what the backend answered.
//!
//! [`HttpTransport`] is the real one, a thin layer over the shared [`HttpClient`] that adds the
//! remote-write headers; tests put an in-process fake behind the same trait.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use http_body_util::{BodyExt, Full, Limited};

use super::config::{Protocol, RemoteWriteConfig};
use super::retry::parse_retry_after;
use crate::http_client::{HttpClient, HttpClientConfig, HttpError};

/// What the backend answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `Retry-After`, if present and readable.
    pub retry_after: Option<Duration>,
    /// The start of the response body, for logs.
    pub message: String,
    /// `X-Prometheus-Remote-Write-Samples-Written`: every 2.x receiver sends it, a 1.x one never.
    pub samples_written: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid remote write config: {0}")]
    Config(String),
    #[error("building the HTTP client: {0}")]
    Client(String),
    #[error("building the request: {0}")]
    Request(#[from] http::Error),
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// Sends one snappy-compressed request of the given protocol. An `Err` is a network-level
/// failure (retried).
pub trait Transport: Send + Sync + 'static {
    fn send(&self, body: Bytes, protocol: Protocol) -> impl Future<Output = Result<Response, TransportError>> + Send;
}

const SAMPLES_WRITTEN: &str = "x-prometheus-remote-write-samples-written";
const VERSION: &str = "x-prometheus-remote-write-version";

/// The body bytes kept for a log line.
const MESSAGE_LIMIT: usize = 512;
/// Larger error bodies are not read at all.
const BODY_LIMIT: usize = 64 * 1024;

/// POSTs to the remote's URL through the shared HTTP client.
pub struct HttpTransport {
    /// URL and headers; an error (impossible for a config that passed `parse`) fails every send.
    target: Result<(http::Uri, HeaderMap), String>,
    timeout: Duration,
    http: HttpClientConfig,
    /// Built on first use and rebuilt after a failure, so a TLS or credentials file that appears
    /// later (a mounted secret) is picked up without a restart.
    client: Mutex<Option<HttpClient>>,
}

impl HttpTransport {
    pub fn new(cfg: &RemoteWriteConfig) -> HttpTransport {
        let target = cfg.url.parse::<http::Uri>().map_err(http::Error::from).and_then(|url| {
            let headers = request_headers(&cfg.headers)?;
            Ok((url, headers))
        });
        HttpTransport {
            target: target.map_err(|e| e.to_string()),
            timeout: cfg.remote_timeout,
            http: cfg.http.clone(),
            client: Mutex::new(None),
        }
    }

    fn client(&self) -> Result<HttpClient, TransportError> {
        let mut slot = self.client.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = HttpClient::new(&self.http).map_err(|e| TransportError::Client(e.to_string()))?;
        *slot = Some(c.clone());
        Ok(c)
    }

    async fn post(&self, body: Bytes, protocol: Protocol) -> Result<Response, TransportError> {
        let (url, headers) = self.target.as_ref().map_err(|e| TransportError::Config(e.clone()))?;
        let client = self.client()?;
        let mut req = http::Request::post(url.clone()).body(Full::new(body))?;
        *req.headers_mut() = headers.clone();
        if protocol == Protocol::V2 {
            set_v2_headers(req.headers_mut());
        }
        let resp = client.send(req, self.timeout).await?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let samples_written =
            resp.headers().get(SAMPLES_WRITTEN).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
        let message = read_message(resp.into_body(), self.timeout).await;
        Ok(Response { status, retry_after, message, samples_written })
    }
}

impl Transport for HttpTransport {
    fn send(&self, body: Bytes, protocol: Protocol) -> impl Future<Output = Result<Response, TransportError>> + Send {
        self.post(body, protocol)
    }
}

/// Reads the body (so the connection can be reused) and keeps its start for logs.
async fn read_message(body: hyper::body::Incoming, timeout: Duration) -> String {
    let read = tokio::time::timeout(timeout, Limited::new(body, BODY_LIMIT).collect()).await;
    let Ok(Ok(collected)) = read else { return String::new() };
    let bytes = collected.to_bytes();
    let end = bytes.len().min(MESSAGE_LIMIT);
    String::from_utf8_lossy(&bytes[..end]).trim().to_string()
}

/// The remote-write 1.0 headers plus the configured ones (reserved names were refused at load).
pub fn request_headers(extra: &[(String, String)]) -> Result<HeaderMap, http::Error> {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_ENCODING, HeaderValue::from_static("snappy"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
    h.insert(USER_AGENT, HeaderValue::from_static(concat!("scrapelet/", env!("CARGO_PKG_VERSION"))));
    h.insert(HeaderName::from_static(VERSION), HeaderValue::from_static("0.1.0"));
    for (name, value) in extra {
        h.insert(HeaderName::from_bytes(name.as_bytes())?, HeaderValue::from_str(value)?);
    }
    Ok(h)
}

/// Remote write 2.0's content type and version instead of 1.0's.
pub fn set_v2_headers(h: &mut HeaderMap) {
    let content_type = HeaderValue::from_static("application/x-protobuf;proto=io.prometheus.write.v2.Request");
    h.insert(CONTENT_TYPE, content_type);
    h.insert(HeaderName::from_static(VERSION), HeaderValue::from_static("2.0.0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_remote_write_headers_and_configured_ones() {
        let h = request_headers(&[("X-Scope-OrgID".into(), "tenant-1".into())]).unwrap();
        assert_eq!(h["content-encoding"], "snappy");
        assert_eq!(h["content-type"], "application/x-protobuf");
        assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
        assert!(h["user-agent"].to_str().unwrap().starts_with("scrapelet/"));
        assert_eq!(h["x-scope-orgid"], "tenant-1");
        let mut h = h;
        set_v2_headers(&mut h);
        assert_eq!(h["content-type"], "application/x-protobuf;proto=io.prometheus.write.v2.Request");
        assert_eq!(h["x-prometheus-remote-write-version"], "2.0.0");
        assert_eq!(h["content-encoding"], "snappy");
    }
}
