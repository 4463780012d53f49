//! Proxies as prometheus/common's `ProxyConfig` chooses them: `proxy_url` for every request
//! (Go's `http.ProxyURL`), or with `no_proxy` except the hosts it names, or
//! `proxy_from_environment` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and their lower-case forms,
//! read when the client is built); `no_proxy` and `NO_PROXY` have golang.org/x/net's `httpproxy`
//! meaning, which never proxies `localhost` or a loopback address.
//!
//! Entry points: [`Proxies`] (which proxy a URL goes through) and [`Connector`], the client's
//! connector: an `http` target through a proxy is requested in absolute form on a connection to
//! the proxy, an `https` one through a `CONNECT` tunnel (with `proxy_connect_header` and the
//! proxy URL's `user:pass@` as `Proxy-Authorization`), TLS then running inside the tunnel. Only
//! `http://` proxies are spoken. The proxy's address comes from the configuration or the
//! environment, never from a target; the proxy resolves and dials the targets.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::no_proxy::NoProxy;
use super::resolve::Resolver;
use super::{HttpError, Secret};

/// The proxy keys of an `http_config` (and of its `oauth2`), as prometheus/common's
/// `ProxyConfig`.
#[derive(Clone, Debug, Default)]
pub struct ProxyConfig {
    /// `proxy_url`; may hold a password, so it prints as a secret.
    pub url: Option<Secret>,
    /// `no_proxy`: comma-separated hosts, domains, IPs, CIDRs, each with an optional port.
    pub no_proxy: String,
    /// `proxy_from_environment`.
    pub from_environment: bool,
    /// `proxy_connect_header`: each name's values (secrets), sent on `CONNECT`.
    pub connect_header: Vec<(String, Vec<Secret>)>,
}

impl ProxyConfig {
    pub fn is_set(&self) -> bool {
        self.url.is_some() || self.from_environment
    }
}

/// An `http://` proxy: where to connect, and its `Proxy-Authorization` if the URL had userinfo.
#[derive(Clone, Debug)]
pub(super) struct ProxyUrl {
    /// `http://host:port`, without userinfo.
    uri: Uri,
    authorization: Option<HeaderValue>,
}

impl ProxyUrl {
    /// Go's `url.Parse` of a proxy address as the transport uses it: `http` only, the port 80 if
    /// none. Errors never quote the password.
    pub(super) fn parse(text: &str) -> Result<ProxyUrl, String> {
        let shown = super::url::redact(text);
        let uri: Uri = text.parse().map_err(|e| format!("invalid proxy URL {shown:?}: {e}"))?;
        match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => {}
            Some(other) => return Err(format!("proxy scheme {other:?} is not supported (only http:// proxies)")),
            None => return Err(format!("invalid proxy URL {shown:?}: no scheme")),
        }
        let authority = uri.authority().ok_or_else(|| format!("invalid proxy URL {shown:?}: no host"))?.as_str();
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let target: Uri = format!("http://{host}").parse().map_err(|e| format!("invalid proxy URL {shown:?}: {e}"))?;
        let target = if target.port().is_some() { target } else { format!("http://{host}:80").parse().expect("valid") };
        let authorization = userinfo.map(basic_auth).transpose()?;
        Ok(ProxyUrl { uri: target, authorization })
    }
}

/// `user:pass` (percent-encoded, as in a URL) as a `Basic` header value.
fn basic_auth(userinfo: &str) -> Result<HeaderValue, String> {
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let pair = format!("{}:{}", super::auth::percent_decode(user), super::auth::percent_decode(pass));
    let text = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
    let mut value = HeaderValue::from_str(&text).map_err(|_| "proxy credentials: not a valid header value")?;
    value.set_sensitive(true);
    Ok(value)
}

/// Which proxy, if any, each request goes through.
#[derive(Debug, Default)]
pub(super) enum Proxies {
    #[default]
    Direct,
    /// `proxy_url` without `no_proxy`: every request, `localhost` too.
    Always(ProxyUrl),
    /// `proxy_url` with `no_proxy`, or the environment: golang.org/x/net's `httpproxy.Config`.
    Rules { http: Option<ProxyUrl>, https: Option<ProxyUrl>, no_proxy: NoProxy, cgi: bool },
}

impl Proxies {
    /// The proxies of `cfg`; `env` reads an environment variable (the process's, or a test's).
    pub(super) fn new(cfg: &ProxyConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<Proxies, HttpError> {
        if cfg.from_environment {
            let any = |names: [&str; 2]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
            // Go's `parseProxy`: an unusable value is ignored.
            let parse = |v: Option<String>| v.and_then(|v| parse_env_proxy(&v));
            return Ok(Proxies::Rules {
                http: parse(any(["HTTP_PROXY", "http_proxy"])),
                https: parse(any(["HTTPS_PROXY", "https_proxy"])),
                no_proxy: NoProxy::parse(&any(["NO_PROXY", "no_proxy"]).unwrap_or_default()),
                cgi: env("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
            });
        }
        let Some(url) = &cfg.url else { return Ok(Proxies::Direct) };
        let proxy = ProxyUrl::parse(url.expose()).map_err(HttpError::Proxy)?;
        if cfg.no_proxy.is_empty() {
            return Ok(Proxies::Always(proxy));
        }
        let no_proxy = NoProxy::parse(&cfg.no_proxy);
        Ok(Proxies::Rules { http: Some(proxy.clone()), https: Some(proxy), no_proxy, cgi: false })
    }

    /// The proxy for a request to `uri` (Go's `proxyForURL`).
    pub(super) fn for_uri(&self, uri: &Uri) -> Result<Option<&ProxyUrl>, HttpError> {
        match self {
            Proxies::Direct => Ok(None),
            Proxies::Always(p) => Ok(Some(p)),
            Proxies::Rules { http, https, no_proxy, cgi } => {
                let proxy = match uri.scheme_str() {
                    Some("https") => https.as_ref(),
                    Some("http") if http.is_some() && *cgi => {
                        let why = "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy";
                        return Err(HttpError::Proxy(why.into()));
                    }
                    Some("http") => http.as_ref(),
                    _ => None,
                };
                let default_port = if uri.scheme_str() == Some("https") { 443 } else { 80 };
                let host = uri.host().unwrap_or_default();
                Ok(proxy.filter(|_| no_proxy.use_proxy(host, uri.port_u16().unwrap_or(default_port))))
            }
        }
    }
}

/// Go's `parseProxy`: a value that is not an `http`, `https` or `socks5` URL is tried as
/// `http://<value>`. `None` for a value Go would ignore or that is not an `http://` proxy.
fn parse_env_proxy(value: &str) -> Option<ProxyUrl> {
    let scheme = value.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let value = match scheme.as_deref() {
        Some("http" | "https" | "socks5") => value.to_string(),
        _ => format!("http://{value}"),
    };
    match ProxyUrl::parse(&value) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "proxy from the environment not used");
            None
        }
    }
}

/// The client's connector: direct, to a forward proxy, or through a `CONNECT` tunnel.
#[derive(Clone)]
pub(super) struct Connector {
    pub(super) http: HttpConnector<Resolver>,
    pub(super) proxies: Arc<Proxies>,
    /// `proxy_connect_header`, each value of each name, in file order.
    pub(super) connect_header: Arc<Vec<(String, HeaderValue)>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower_service::Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower_service::Service::<Uri>::poll_ready(&mut self.http, cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let mut http = this.http.clone();
            let Some(proxy) = this.proxies.for_uri(&uri)? else {
                return Ok(Stream { io: http.call(uri).await?, proxied: false });
            };
            let mut io =
                http.call(proxy.uri.clone()).await.map_err(|e| HttpError::Proxy(format!("proxyconnect: {e}")))?;
            if uri.scheme_str() != Some("https") {
                return Ok(Stream { io, proxied: true });
            }
            tunnel(io.inner_mut(), &uri, proxy, &this.connect_header).await?;
            Ok(Stream { io, proxied: false })
        })
    }
}

/// The largest `CONNECT` answer head read.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Asks the proxy on `tcp` for a tunnel to `uri`'s host and port (Go's `Transport.dialConn`):
/// only a 200 answer opens it.
async fn tunnel(
    tcp: &mut TcpStream,
    uri: &Uri,
    proxy: &ProxyUrl,
    headers: &[(String, HeaderValue)],
) -> Result<(), HttpError> {
    let target = format!("{}:{}", uri.host().unwrap_or_default(), uri.port_u16().unwrap_or(443));
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
    let auth = proxy.authorization.iter().map(|v| ("Proxy-Authorization", v));
    for (name, value) in headers.iter().map(|(n, v)| (n.as_str(), v)).chain(auth) {
        head.extend_from_slice(format!("{name}: ").as_bytes());
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let failed = |why: String| HttpError::Proxy(format!("CONNECT {target}: {why}"));
    tcp.write_all(&head).await.map_err(|e| failed(e.to_string()))?;
    // Byte by byte, so that nothing after the head (the tunnel's first bytes) is read here.
    let mut answer = Vec::with_capacity(256);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_CONNECT_HEAD {
            return Err(failed("the proxy's answer head is too long".into()));
        }
        let byte = tcp.read_u8().await.map_err(|e| failed(format!("reading the proxy's answer: {e}")))?;
        answer.push(byte);
    }
    let line = String::from_utf8_lossy(&answer[..answer.iter().position(|b| *b == b'\r').unwrap_or(0)]).into_owned();
    let status = line.split_once(' ').map(|(_, s)| s.trim()).unwrap_or_default();
    if !line.starts_with("HTTP/1.") || !status.starts_with("200") || status.get(3..4).is_some_and(|c| c != " ") {
        return Err(failed(format!("the proxy answered {:?}", status.chars().take(100).collect::<String>())));
    }
    Ok(())
}

/// A connection made by [`Connector`]; `proxied` (a forward proxy's) makes hyper send requests
/// in absolute form.
pub(super) struct Stream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Stream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// `Proxy-Authorization` for a request to `uri` sent to a forward proxy (an `http` target), as
/// Go's transport adds it.
pub(super) fn forward_authorization(proxies: &Proxies, uri: &Uri) -> Result<Option<HeaderValue>, HttpError> {
    if uri.scheme_str() != Some("http") {
        return Ok(None);
    }
    Ok(proxies.for_uri(uri)?.and_then(|p| p.authorization.clone()))
}

/// `proxy_connect_header` as header values (secrets marked sensitive), each name's values in
/// order.
pub(super) fn connect_header(cfg: &ProxyConfig) -> Result<Vec<(String, HeaderValue)>, HttpError> {
    let mut out = Vec::new();
    for (name, values) in &cfg.connect_header {
        http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::Proxy(format!("{name:?} is not a valid header name")))?;
        for v in values {
            let mut value = HeaderValue::from_str(v.expose())
                .map_err(|_| HttpError::Proxy(format!("proxy_connect_header {name}: not a valid header value")))?;
            value.set_sensitive(true);
            out.push((name.clone(), value));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
