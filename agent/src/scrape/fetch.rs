//! Fetching one target's body: Prometheus' Accept and timeout headers, gzip, and the body size
//! and time limits. Buffers live for one scrape (the caller presizes the body from the last one).
//!
//! Entry point: [`Fetcher::fetch`]. It never holds more than `body_size_limit` decompressed
//! bytes of a body (gunzipped as it arrives, see [`crate::http_client::body`]), and the whole fetch is bounded
//! by the scrape timeout. The request goes where Prometheus' would: the URI is Go's parse of the
//! target's URL, and a URL Go would refuse fails every scrape with Go's reason.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;

use super::error::ScrapeError;
use super::parse::Format;
use super::protocols::{self, DEFAULT_PROTOCOLS, NameEscaping, ScrapeProtocol};
use crate::http_client::HttpClient;

pub struct Fetcher {
    client: HttpClient,
    /// The request's URI, or why Go's `http.NewRequest` / `Client.Do` would refuse the URL.
    uri: Result<http::Uri, String>,
    timeout: Duration,
    gzip: bool,
    limit: u64,
    /// The `Accept` header (the job's `scrape_protocols`, see [`protocols::accept_header`]).
    accept: String,
    /// The job's `fallback_scrape_protocol`.
    fallback: Option<ScrapeProtocol>,
}

impl Fetcher {
    /// `body_size_limit` 0 is [`crate::http_client::body::default_limit`]. `url` is the target's (redacted)
    /// URL string.
    pub fn new(client: HttpClient, url: &str, timeout: Duration, gzip: bool, body_size_limit: u64) -> Self {
        let uri = crate::http_client::url::request_uri(url);
        let limit = if body_size_limit == 0 { crate::http_client::body::default_limit() } else { body_size_limit };
        let accept = protocols::accept_header(&DEFAULT_PROTOCOLS, NameEscaping::AllowUtf8);
        Fetcher { client, uri, timeout, gzip, limit, accept, fallback: None }
    }

    /// Negotiates as the job says: its `scrape_protocols` and escaping in `Accept`, its
    /// `fallback_scrape_protocol` for a body without a usable `Content-Type`.
    pub fn with_protocols(mut self, job: &crate::config::ScrapeConfig) -> Self {
        self.accept = protocols::accept_header(&job.scrape_protocols, job.escaping);
        self.fallback = job.fallback_protocol;
        self
    }

    /// Fetches the body into `body` (cleared first) and says which format it is in.
    pub async fn fetch(&mut self, body: &mut Vec<u8>) -> Result<Format, ScrapeError> {
        body.clear();
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.fetch_inner(body)).await {
            Ok(r) => r,
            Err(_) => Err(ScrapeError::Timeout(timeout)),
        }
    }

    async fn fetch_inner(&mut self, body: &mut Vec<u8>) -> Result<Format, ScrapeError> {
        let uri = self.uri.clone().map_err(ScrapeError::Network)?;
        let req = http::Request::get(uri)
            .header(http::header::ACCEPT, &self.accept)
            .header(http::header::USER_AGENT, concat!("scrapelet/", env!("CARGO_PKG_VERSION")))
            .header("X-Prometheus-Scrape-Timeout-Seconds", format!("{}", self.timeout.as_secs_f64()))
            .header(http::header::ACCEPT_ENCODING, if self.gzip { "gzip" } else { "identity" });
        let req = req.body(Full::new(Bytes::new())).map_err(|e| ScrapeError::Network(e.to_string()))?;
        let resp = self.client.send(req, self.timeout).await.map_err(|e| ScrapeError::Network(e.to_string()))?;
        if resp.status() != http::StatusCode::OK {
            return Err(ScrapeError::HttpStatus(resp.status().as_u16()));
        }
        let header =
            |name| resp.headers().get(name).and_then(|v: &http::HeaderValue| v.to_str().ok()).unwrap_or("").to_string();
        let content_type = header(http::header::CONTENT_TYPE);
        // As Prometheus: only `gzip` is decoded, and only the exact token.
        let gzipped = header(http::header::CONTENT_ENCODING) == "gzip";
        crate::http_client::body::read(resp.into_body(), gzipped, body, self.limit).await?;
        if body.is_empty() {
            return Ok(Format::Text); // Prometheus does not look at the type of an empty body
        }
        protocols::body_format(&content_type, self.fallback).map_err(ScrapeError::ContentType)
    }
}

/// Where a scrape's body comes from: the target over HTTP, or an exporter plugin.
pub enum Source {
    Http(Fetcher),
    Plugin(super::plugin_source::PluginSource),
}

impl Source {
    pub async fn fetch(&mut self, body: &mut Vec<u8>) -> Result<Format, ScrapeError> {
        match self {
            Source::Http(f) => f.fetch(body).await,
            Source::Plugin(p) => p.fetch(body).await,
        }
    }
}
