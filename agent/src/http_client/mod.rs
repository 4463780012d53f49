//! The HTTP client shared by scraping and remote write: TLS (rustls), basic auth, bearer
//! tokens and credential files, OAuth 2.0 client credentials ([`oauth2`]) and proxies
//! ([`proxy`]), as Prometheus' `http_config` describes them.
//!
//! Entry points: [`HttpClientConfig::parse`] reads the keys from an enclosing config mapping;
//! [`HttpClient::new`] builds a pooled hyper client; [`HttpClient::send`] adds credentials.

mod auth;
pub mod body;
mod no_proxy;
mod oauth2;
mod parse;
mod proxy;
mod redirect;
mod resolve;
#[cfg(test)]
mod tests;
mod tls;
pub mod url;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use auth::{Credentials, Source};
use oauth2::TokenSource;
use proxy::{Connector, Proxies};
use resolve::Resolver;

pub use crate::config::Secret;
pub use oauth2::OAuth2;
pub use proxy::ProxyConfig;

/// The `http_config` keys of a scrape config or remote-write entry.
#[derive(Clone, Debug)]
pub struct HttpClientConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub tls_config: TlsConfig,
    /// Default true.
    pub follow_redirects: bool,
    /// Default true.
    pub enable_http2: bool,
    /// Prometheus' remote-write `round_robin_dns` (see [`resolve`]); default false.
    pub round_robin_dns: bool,
    /// `http_headers`, in file order.
    pub http_headers: Vec<HttpHeader>,
    pub oauth2: Option<OAuth2>,
    /// `proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`.
    pub proxy: ProxyConfig,
}

/// One `http_headers` entry (prometheus/common's `Header`): every value, then every secret, then
/// every file's trimmed content (read per request) is added to the header `name`.
#[derive(Clone, Debug, Default)]
pub struct HttpHeader {
    pub name: String,
    pub values: Vec<String>,
    pub secrets: Vec<Secret>,
    pub files: Vec<String>,
}

impl Default for HttpClientConfig {
    /// Prometheus' `DefaultHTTPClientConfig`: follow redirects, allow HTTP/2.
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            tls_config: TlsConfig::default(),
            follow_redirects: true,
            enable_http2: true,
            round_robin_dns: false,
            http_headers: Vec::new(),
            oauth2: None,
            proxy: ProxyConfig::default(),
        }
    }
}

impl HttpClientConfig {
    /// Makes relative credential and certificate file paths relative to `dir` (the config file's
    /// directory), as Prometheus does.
    pub fn set_directory(&mut self, dir: &std::path::Path) {
        let t = &mut self.tls_config;
        let mut files = vec![&mut t.ca_file, &mut t.cert_file, &mut t.key_file];
        if let Some(o) = &mut self.oauth2 {
            let t = &mut o.tls_config;
            files.extend([&mut o.client_secret_file, &mut t.ca_file, &mut t.cert_file, &mut t.key_file]);
        }
        if let Some(b) = &mut self.basic_auth {
            files.extend([&mut b.username_file, &mut b.password_file]);
        }
        if let Some(a) = &mut self.authorization {
            files.push(&mut a.credentials_file);
        }
        let headers = self.http_headers.iter_mut().flat_map(|h| h.files.iter_mut());
        for file in files.into_iter().flatten().chain(headers) {
            if std::path::Path::new(file).is_relative() {
                *file = dir.join(&*file).to_string_lossy().into_owned();
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct BasicAuth {
    pub username: String,
    pub username_file: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
}

/// `authorization:` (and the older `bearer_token` / `bearer_token_file`, folded in here).
#[derive(Clone, Debug, Default)]
pub struct Authorization {
    /// Default `Bearer`.
    pub kind: String,
    pub credentials: Option<Secret>,
    pub credentials_file: Option<String>,
}

/// `tls_config:`. `ca`, `cert` and `key` hold PEM text inline, as an alternative to the files.
#[derive(Clone, Debug, Default)]
pub struct TlsConfig {
    pub ca: Option<String>,
    pub ca_file: Option<String>,
    pub cert: Option<String>,
    pub cert_file: Option<String>,
    pub key: Option<Secret>,
    pub key_file: Option<String>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
    pub min_version: Option<TlsVersion>,
    pub max_version: Option<TlsVersion>,
}

/// `min_version` / `max_version` as Prometheus spells them (`TLS10` ... `TLS13`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("building TLS config: {0}")]
    Tls(String),
    #[error("reading credentials file {path}: {source}")]
    Credentials { path: String, source: std::io::Error },
    #[error("reading headers file {path}: {source}")]
    HeaderFile { path: String, source: std::io::Error },
    #[error("request failed: {0}")]
    Request(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("following redirect: {0}")]
    Redirect(String),
    #[error("oauth2 token from {token_url}: {message}")]
    OAuth2 { token_url: String, message: String },
    #[error("proxy: {0}")]
    Proxy(String),
}

type HyperClient = Client<HttpsConnector<Connector>, Full<Bytes>>;

/// A pooled HTTP/1.1 + HTTP/2 client with TLS and credentials. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: HyperClient,
    credentials: Option<Credentials>,
    oauth2: Option<TokenSource>,
    proxies: Arc<Proxies>,
    /// `http_headers`: each value of each header, in the order they are added.
    headers: Vec<(http::HeaderName, HeaderPart)>,
    follow_redirects: bool,
}

impl std::fmt::Debug for HttpClient {
    /// Never prints credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("credentials", &self.inner.credentials.as_ref().map(Credentials::kind))
            .field("oauth2", &self.inner.oauth2.is_some())
            .field("proxies", &self.inner.proxies)
            .field("follow_redirects", &self.inner.follow_redirects)
            .finish_non_exhaustive()
    }
}

/// Idle pooled connections live as long as Prometheus keeps them (5 minutes).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A connection's read buffer. hyper's default adapts up to ~400 kB while a large body streams
/// in and keeps it for the connection's life, so a kept-alive connection per target holds that
/// much each for bodies that are copied out as they arrive anyway. 16 kB costs a few more reads
/// a body (a few ns a sample); a larger buffer only holds more memory per target.
const READ_BUF_BYTES: usize = 16 * 1024;

impl HttpClient {
    /// Builds the client; reads the CA and client certificate files now, and with
    /// `proxy_from_environment` the proxy variables (credential files are read per request).
    pub fn new(cfg: &HttpClientConfig) -> Result<HttpClient, HttpError> {
        HttpClient::with_env(cfg, &|name| std::env::var(name).ok())
    }

    /// [`HttpClient::new`] with the environment read through `env`.
    fn with_env(cfg: &HttpClientConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<HttpClient, HttpError> {
        let tls = tls::client_config(&cfg.tls_config)?;
        let mut http = HttpConnector::new_with_resolver(Resolver { round_robin: cfg.round_robin_dns });
        http.enforce_http(false);
        let proxies = Arc::new(Proxies::new(&cfg.proxy, env)?);
        let connect_header = Arc::new(proxy::connect_header(&cfg.proxy)?);
        let http = Connector { http, proxies: proxies.clone(), connect_header };
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
        let builder = match &cfg.tls_config.server_name {
            Some(name) => {
                let name = rustls::pki_types::ServerName::try_from(name.clone())
                    .map_err(|e| HttpError::Tls(format!("invalid server_name {name:?}: {e}")))?;
                builder.with_server_name_resolver(FixedServerNameResolver::new(name))
            }
            None => builder,
        };
        let connector = if cfg.enable_http2 {
            builder.enable_http1().enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .http1_read_buf_exact_size(READ_BUF_BYTES)
            .build(connector);
        let credentials = Credentials::from_config(cfg);
        let oauth2 = cfg.oauth2.as_ref().map(|o| TokenSource::new(o, env)).transpose()?;
        let headers = header_sources(&cfg.http_headers)?;
        let follow_redirects = cfg.follow_redirects;
        let inner = Inner { client, credentials, oauth2, proxies, headers, follow_redirects };
        Ok(HttpClient { inner: Arc::new(inner) })
    }

    /// Sends `req` with the configured credentials added (credential files are re-read so
    /// rotated tokens are picked up; an `Authorization` header already on `req` is kept, and a
    /// `user:pass@` in its URL becomes one, as in Go),
    /// following redirects when `follow_redirects` is set (credentials only as far as the
    /// original scheme, host and port: see [`redirect`]), failing after `timeout` (until the
    /// response head arrives).
    pub async fn send(
        &self,
        mut req: http::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<http::Response<Incoming>, HttpError> {
        auth::take_userinfo(&mut req)?;
        tokio::time::timeout(timeout, redirect::send(self, req)).await.map_err(|_| HttpError::Timeout(timeout))?
    }

    /// One request, no redirects; the configured credentials and `http_headers` added if
    /// `credentials` (the headers may carry secrets: they go only where credentials go).
    async fn send_once(
        &self,
        mut req: http::Request<Full<Bytes>>,
        credentials: bool,
    ) -> Result<http::Response<Incoming>, HttpError> {
        if let Some(creds) = self.inner.credentials.as_ref().filter(|_| credentials)
            && !req.headers().contains_key(http::header::AUTHORIZATION)
        {
            let value = creds.header_value().await?;
            req.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        // As x/oauth2's `Transport`, the token replaces an `Authorization` already set.
        if let Some(oauth2) = self.inner.oauth2.as_ref().filter(|_| credentials) {
            let value = oauth2.header_value(req.headers().get(http::header::USER_AGENT)).await?;
            req.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        if let Some(value) = proxy::forward_authorization(&self.inner.proxies, req.uri())? {
            req.headers_mut().insert(http::header::PROXY_AUTHORIZATION, value);
        }
        for (name, part) in self.inner.headers.iter().filter(|_| credentials) {
            let value = match part {
                HeaderPart::Fixed(value) => value.clone(),
                HeaderPart::File(file) => {
                    let text = file.read().await.map_err(|e| match e {
                        HttpError::Credentials { path, source } => HttpError::HeaderFile { path, source },
                        e => e,
                    })?;
                    let mut value = http::HeaderValue::from_str(&text)
                        .map_err(|_| HttpError::Request(format!("header {name}: not a valid header value")))?;
                    value.set_sensitive(true);
                    value
                }
            };
            req.headers_mut().append(name.clone(), value);
        }
        self.inner.client.request(req).await.map_err(|e| HttpError::Request(error_chain(&e)))
    }
}

/// One value of an `http_headers` entry: built once, or a file's content read per request.
enum HeaderPart {
    Fixed(http::HeaderValue),
    File(Source),
}

/// Each value of each `http_headers` entry, in the order Prometheus adds them (secrets marked
/// sensitive).
fn header_sources(headers: &[HttpHeader]) -> Result<Vec<(http::HeaderName, HeaderPart)>, HttpError> {
    let mut out = Vec::new();
    for h in headers {
        let name = http::HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| HttpError::Request(format!("{:?} is not a valid header name", h.name)))?;
        let fixed = |text: &str, sensitive: bool| {
            let mut value = http::HeaderValue::from_str(text)
                .map_err(|_| HttpError::Request(format!("header {name}: not a valid header value")))?;
            value.set_sensitive(sensitive);
            Ok(HeaderPart::Fixed(value))
        };
        let values = h.values.iter().map(|v| fixed(v, false));
        let secrets = h.secrets.iter().map(|s| fixed(s.expose(), true));
        let files = h.files.iter().map(|f| Ok(HeaderPart::File(Source::File(f.clone()))));
        for part in values.chain(secrets).chain(files) {
            out.push((name.clone(), part?));
        }
    }
    Ok(out)
}

/// `e` and its sources, joined by ": " (hyper's own message is terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
