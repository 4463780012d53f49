//! Fetching one target's body: Prometheus' Accept and timeout headers, gzip, and the body size
//! and time limits. Buffers live for one scrape (the caller presizes the body from the last one).
//!
//! Entry point: [`Fetcher::fetch`]. It never holds more than `body_size_limit` (decompressed)
//! bytes of a body, and the whole fetch is bounded by the scrape timeout.

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use super::error::ScrapeError;
use super::parse::Format;
use super::protocols::{self, DEFAULT_PROTOCOLS, NameEscaping, ScrapeProtocol};
use crate::http_client::HttpClient;

/// The cap on a body when the job sets no `body_size_limit`, so one hostile target cannot
/// exhaust the node's memory.
pub const DEFAULT_BODY_LIMIT: u64 = 256 << 20;

pub struct Fetcher {
    client: HttpClient,
    /// The URL, or why it is not one: such a target still runs (Prometheus 3 lists it, down),
    /// and every scrape fails with the reason.
    url: Result<http::Uri, String>,
    timeout: Duration,
    gzip: bool,
    limit: u64,
    /// The `Accept` header (the job's `scrape_protocols`, see [`protocols::accept_header`]).
    accept: String,
    /// The job's `fallback_scrape_protocol`.
    fallback: Option<ScrapeProtocol>,
}

impl Fetcher {
    pub fn new(
        client: HttpClient,
        url: &str,
        timeout: Duration,
        gzip: bool,
        body_size_limit: u64,
    ) -> Result<Self, ScrapeError> {
        let url = url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"));
        let limit = if body_size_limit == 0 { DEFAULT_BODY_LIMIT } else { body_size_limit };
        let accept = protocols::accept_header(&DEFAULT_PROTOCOLS, NameEscaping::AllowUtf8);
        Ok(Fetcher { client, url, timeout, gzip, limit, accept, fallback: None })
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
        let mut req = http::Request::get(self.url.clone().map_err(ScrapeError::Network)?)
            .header(http::header::ACCEPT, &self.accept)
            .header(http::header::USER_AGENT, concat!("scrapelet/", env!("CARGO_PKG_VERSION")))
            .header("X-Prometheus-Scrape-Timeout-Seconds", format!("{}", self.timeout.as_secs_f64()));
        if self.gzip {
            req = req.header(http::header::ACCEPT_ENCODING, "gzip");
        } else {
            req = req.header(http::header::ACCEPT_ENCODING, "identity");
        }
        let req = req.body(Full::new(Bytes::new())).map_err(|e| ScrapeError::Network(e.to_string()))?;
        let resp = self.client.send(req, self.timeout).await.map_err(|e| ScrapeError::Network(e.to_string()))?;
        if resp.status() != http::StatusCode::OK {
            return Err(ScrapeError::HttpStatus(resp.status().as_u16()));
        }
        let header =
            |name| resp.headers().get(name).and_then(|v: &http::HeaderValue| v.to_str().ok()).unwrap_or("").to_string();
        let content_type = header(http::header::CONTENT_TYPE);
        let gzipped = header(http::header::CONTENT_ENCODING).eq_ignore_ascii_case("gzip");
        let mut raw = Vec::new();
        let into = if gzipped { &mut raw } else { &mut *body };
        read_limited(resp.into_body(), into, self.limit).await?;
        if gzipped {
            gunzip_limited(&raw, body, self.limit)?;
        }
        if body.is_empty() {
            return Ok(Format::Text); // Prometheus does not look at the type of an empty body
        }
        protocols::body_format(&content_type, self.fallback).map_err(ScrapeError::ContentType)
    }
}

pub(crate) async fn read_limited(
    mut incoming: hyper::body::Incoming,
    into: &mut Vec<u8>,
    limit: u64,
) -> Result<(), ScrapeError> {
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| ScrapeError::Network(format!("reading body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if (into.len() + data.len()) as u64 > limit {
                return Err(ScrapeError::BodySizeLimit(limit));
            }
            into.extend_from_slice(data);
        }
    }
    Ok(())
}

fn gunzip_limited(compressed: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), ScrapeError> {
    let mut decoder = flate2::read::MultiGzDecoder::new(compressed).take(limit + 1);
    decoder.read_to_end(out).map_err(|e| ScrapeError::Gzip(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(ScrapeError::BodySizeLimit(limit));
    }
    Ok(())
}

/// Where a scrape's body comes from: the target over HTTP, or an exporter plugin.
pub enum Source {
    Http(Fetcher),
    Plugin(crate::plugin::PluginSource),
}

impl Source {
    pub async fn fetch(&mut self, body: &mut Vec<u8>) -> Result<Format, ScrapeError> {
        match self {
            Source::Http(f) => f.fetch(body).await,
            Source::Plugin(p) => p.fetch(body).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_stops_at_the_limit() {
        let bomb = gzip(&vec![b'a'; 1 << 20]);
        let mut out = Vec::new();
        assert!(matches!(gunzip_limited(&bomb, &mut out, 1000), Err(ScrapeError::BodySizeLimit(1000))));
        assert!(out.len() <= 1001);
        out.clear();
        gunzip_limited(&gzip(b"up 1\n"), &mut out, 1000).unwrap();
        assert_eq!(out, b"up 1\n");
    }

    #[test]
    fn corrupt_gzip_is_a_gzip_error() {
        let mut out = Vec::new();
        assert!(matches!(gunzip_limited(b"\x1f\x8bnot gzip", &mut out, 1000), Err(ScrapeError::Gzip(_))));
    }
}
