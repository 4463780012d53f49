//! The HTTP client shared by scraping and remote write: TLS (rustls), basic auth, bearer
//! tokens and credential files, as Prometheus' `http_config` describes them.
//!
//! Entry points: [`HttpClientConfig::parse`] reads the keys from an enclosing config mapping;
//! [`HttpClient::new`] builds a pooled hyper client; [`HttpClient::send`] adds credentials.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;

use crate::config::yaml::MapReader;

/// The `http_config` keys of a scrape config or remote-write entry.
#[derive(Clone, Debug, Default)]
pub struct HttpClientConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub tls_config: TlsConfig,
    /// Default true.
    pub follow_redirects: bool,
    /// Default true.
    pub enable_http2: bool,
}

#[derive(Clone, Debug, Default)]
pub struct BasicAuth {
    pub username: String,
    pub password: Option<String>,
    pub password_file: Option<String>,
}

/// `authorization:` (and the older `bearer_token` / `bearer_token_file`, folded in here).
#[derive(Clone, Debug, Default)]
pub struct Authorization {
    /// Default `Bearer`.
    pub kind: String,
    pub credentials: Option<String>,
    pub credentials_file: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct TlsConfig {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("building TLS config: {0}")]
    Tls(String),
    #[error("reading credentials file {path}: {source}")]
    Credentials { path: String, source: std::io::Error },
    #[error("request failed: {0}")]
    Request(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

impl HttpClientConfig {
    /// Reads `basic_auth`, `authorization`, `bearer_token`, `bearer_token_file`, `tls_config`,
    /// `follow_redirects`, `enable_http2` (and accepts `proxy_url`, `no_proxy`,
    /// `proxy_from_environment`, `oauth2` as errors saying they are not supported yet).
    pub fn parse(_r: &mut MapReader<'_>) -> HttpClientConfig {
        todo!("config helper")
    }
}

/// A pooled HTTP/1.1 + HTTP/2 client with TLS and credentials.
#[derive(Clone, Debug)]
pub struct HttpClient {}

impl HttpClient {
    pub fn new(_cfg: &HttpClientConfig) -> Result<HttpClient, HttpError> {
        todo!("config helper")
    }

    /// Sends `req` with the configured credentials added (credential files are re-read so
    /// rotated tokens are picked up), failing after `timeout` (until the response head arrives).
    pub async fn send(
        &self,
        _req: http::Request<Full<Bytes>>,
        _timeout: Duration,
    ) -> Result<http::Response<Incoming>, HttpError> {
        todo!("config helper")
    }
}
