//! Tests of the HTTP client against a real in-process hyper server (HTTP and HTTPS), and of
//! parsing the `http_config` keys.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header::AUTHORIZATION};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use super::*;
use crate::config::yaml::{self, Errors, MapReader};

#[path = "oauth2_tests.rs"]
mod oauth2;
#[path = "proxy_live_tests.rs"]
mod proxy;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http_client/testdata");

/// `/hang` never answers, `/redirect` sends to `/echo`, `/go/<host:port/path>` to
/// `http://<host:port/path>` (`/gos/`: https), anything else echoes path and credentials (and a
/// cookie and the values of `X-Scope`, if any).
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let redirect =
        |to: String| Ok(Response::builder().status(302).header("location", to).body(Full::default()).unwrap());
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/go/") {
        return redirect(format!("http://{rest}"));
    }
    if let Some(rest) = path.strip_prefix("/gos/") {
        return redirect(format!("https://{rest}"));
    }
    match path {
        "/hang" => std::future::pending().await,
        "/redirect" => redirect("/echo".into()),
        path => {
            let header = |name| req.headers().get(name).map(|v: &http::HeaderValue| v.to_str().unwrap().to_string());
            let auth = header(AUTHORIZATION).unwrap_or_default();
            let cookie = header(http::header::COOKIE).map(|c| format!(" cookie={c}")).unwrap_or_default();
            let scope: Vec<_> = req.headers().get_all("x-scope").iter().map(|v| v.to_str().unwrap()).collect();
            let scope = if scope.is_empty() { String::new() } else { format!(" x-scope={}", scope.join(",")) };
            Ok(Response::new(Full::new(Bytes::from(format!("{path} {auth}{cookie}{scope}")))))
        }
    }
}

/// Starts a server on 127.0.0.1:0 (TLS when `tls` is set) and returns its address.
async fn start_server(tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
    start_server_on("127.0.0.1", tls).await
}

/// As [`start_server`], on another loopback address (`127.0.0.2`: a second host).
async fn start_server_on(ip: &str, tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(s) => server.serve_connection(TokioIo::new(s), service_fn(handle)).await,
                        Err(_) => return,
                    },
                    None => server.serve_connection(TokioIo::new(stream), service_fn(handle)).await,
                };
            });
        }
    });
    addr
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(format!("{TESTDATA}/server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{TESTDATA}/server-key.pem")).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

async fn get(client: &HttpClient, url: &str) -> Result<(StatusCode, String), HttpError> {
    let req = Request::get(url).body(Full::default()).unwrap();
    let resp = client.send(req, Duration::from_secs(5)).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Ok((status, String::from_utf8(body.to_vec()).unwrap()))
}

fn temp_file(name: &str, content: &str) -> String {
    let path = std::env::temp_dir().join(format!("scrapelet-{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn client_is_cheap_to_share() {
    fn assert_share<T: Clone + Send + Sync + 'static>() {}
    assert_share::<HttpClient>();
}

#[tokio::test]
async fn sends_basic_auth_header() {
    let addr = start_server(None).await;
    let basic_auth =
        Some(BasicAuth { username: "user".into(), password: Some(Secret::new("pass")), ..Default::default() });
    let client = HttpClient::new(&HttpClientConfig { basic_auth, ..Default::default() }).unwrap();
    let (_, body) = get(&client, &format!("http://{addr}/echo")).await.unwrap();
    assert_eq!(body, "/echo Basic dXNlcjpwYXNz");
}

#[tokio::test]
async fn rereads_bearer_token_file_on_every_request() {
    let addr = start_server(None).await;
    let file = temp_file("token", "first-token\n");
    let authorization =
        Some(Authorization { kind: "Bearer".into(), credentials_file: Some(file.clone()), ..Default::default() });
    let client = HttpClient::new(&HttpClientConfig { authorization, ..Default::default() }).unwrap();
    let url = format!("http://{addr}/echo");
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer first-token");
    std::fs::write(&file, "rotated-token").unwrap();
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer rotated-token");
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(get(&client, &url).await, Err(HttpError::Credentials { .. })));
}

#[tokio::test]
async fn keeps_an_authorization_header_the_caller_set() {
    let addr = start_server(None).await;
    let authorization =
        Some(Authorization { kind: "Bearer".into(), credentials: Some(Secret::new("cfg")), ..Default::default() });
    let client = HttpClient::new(&HttpClientConfig { authorization, ..Default::default() }).unwrap();
    let req =
        Request::get(format!("http://{addr}/echo")).header(AUTHORIZATION, "Custom x").body(Full::default()).unwrap();
    let resp = client.send(req, Duration::from_secs(5)).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"/echo Custom x");
}

#[tokio::test(start_paused = true)]
async fn times_out_when_the_server_does_not_answer() {
    let addr = start_server(None).await;
    let client = HttpClient::new(&HttpClientConfig::default()).unwrap();
    let req = Request::get(format!("http://{addr}/hang")).body(Full::default()).unwrap();
    let err = client.send(req, Duration::from_secs(3)).await.unwrap_err();
    assert!(matches!(err, HttpError::Timeout(d) if d == Duration::from_secs(3)), "{err}");
}

#[tokio::test]
async fn follows_redirects_with_credentials_unless_disabled() {
    let addr = start_server(None).await;
    let authorization =
        Some(Authorization { kind: "Bearer".into(), credentials: Some(Secret::new("t")), ..Default::default() });
    let cfg = HttpClientConfig { authorization, ..Default::default() };
    let url = format!("http://{addr}/redirect");
    let (status, body) = get(&HttpClient::new(&cfg).unwrap(), &url).await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "/echo Bearer t"));
    let no_follow = HttpClient::new(&HttpClientConfig { follow_redirects: false, ..cfg }).unwrap();
    assert_eq!(get(&no_follow, &url).await.unwrap().0, StatusCode::FOUND);
}

fn bearer(token: &str) -> HttpClientConfig {
    let authorization =
        Some(Authorization { kind: "Bearer".into(), credentials: Some(Secret::new(token)), ..Default::default() });
    HttpClientConfig { authorization, ..Default::default() }
}

/// Two hosts: credentials (configured ones, and the caller's `Authorization` and `Cookie`)
/// reach the first, never the second, nor the first again once the chain has left it.
#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_host() {
    let (a, b) = (start_server_on("127.0.0.1", None).await, start_server_on("127.0.0.2", None).await);
    let client = HttpClient::new(&bearer("s3cret")).unwrap();
    let (_, body) = get(&client, &format!("http://{a}/go/{b}/echo")).await.unwrap();
    assert_eq!(body, "/echo ", "the second host got credentials");
    let (_, body) = get(&client, &format!("http://{a}/go/{b}/go/{a}/echo")).await.unwrap();
    assert_eq!(body, "/echo ", "credentials came back after the chain left the host");
    let (_, body) = get(&client, &format!("http://{a}/go/{a}/echo")).await.unwrap();
    assert_eq!(body, "/echo Bearer s3cret", "the same host keeps them");

    let plain = HttpClient::new(&HttpClientConfig::default()).unwrap();
    let req = Request::get(format!("http://{a}/go/{b}/echo"))
        .header(AUTHORIZATION, "Bearer caller")
        .header(http::header::COOKIE, "session=1")
        .body(Full::default())
        .unwrap();
    let resp = plain.send(req, Duration::from_secs(5)).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"/echo ");
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_port_or_scheme() {
    let (a, other) = (start_server(None).await, start_server(None).await);
    let client = HttpClient::new(&bearer("s3cret")).unwrap();
    assert_eq!(get(&client, &format!("http://{a}/go/{other}/echo")).await.unwrap().1, "/echo ");
    // https on localhost to http on the same host.
    let tls = start_server(Some(tls_acceptor())).await;
    let tls_config = TlsConfig { ca_file: Some(format!("{TESTDATA}/ca.pem")), ..Default::default() };
    let client = HttpClient::new(&HttpClientConfig { tls_config, ..bearer("s3cret") }).unwrap();
    let url = format!("https://localhost:{}/echo", tls.port());
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer s3cret");
    let url = format!("https://localhost:{}/go/localhost:{}/echo", tls.port(), a.port());
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo ");
}

#[tokio::test]
async fn ten_redirects_are_an_error_as_in_go() {
    let a = start_server(None).await;
    let client = HttpClient::new(&HttpClientConfig::default()).unwrap();
    let chain = |n: usize| format!("http://{a}{}/echo", format!("/go/{a}").repeat(n));
    assert_eq!(get(&client, &chain(9)).await.unwrap().1, "/echo ");
    let err = get(&client, &chain(10)).await.unwrap_err();
    assert!(err.to_string().contains("stopped after 10 redirects"), "{err}");
}

#[tokio::test]
async fn https_trusts_the_configured_ca_only() {
    let addr = start_server(Some(tls_acceptor())).await;
    let url = format!("https://localhost:{}/echo", addr.port());
    let tls_config = TlsConfig { ca_file: Some(format!("{TESTDATA}/ca.pem")), ..Default::default() };
    let client = HttpClient::new(&HttpClientConfig { tls_config, ..Default::default() }).unwrap();
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo ");

    let public_roots = HttpClient::new(&HttpClientConfig::default()).unwrap();
    let err = get(&public_roots, &url).await.unwrap_err();
    assert!(matches!(err, HttpError::Request(ref m) if m.contains("certificate")), "{err}");
}

#[tokio::test]
async fn insecure_skip_verify_accepts_an_unknown_certificate() {
    let addr = start_server(Some(tls_acceptor())).await;
    let tls_config = TlsConfig { insecure_skip_verify: true, ..Default::default() };
    let client = HttpClient::new(&HttpClientConfig { tls_config, enable_http2: false, ..Default::default() }).unwrap();
    assert_eq!(get(&client, &format!("https://127.0.0.1:{}/echo", addr.port())).await.unwrap().1, "/echo ");
}

#[tokio::test]
async fn server_name_overrides_the_name_checked_in_the_certificate() {
    let addr = start_server(Some(tls_acceptor())).await;
    let ca_file = Some(format!("{TESTDATA}/ca.pem"));
    let tls_config = TlsConfig { ca_file, server_name: Some("wrong.example".into()), ..Default::default() };
    let client = HttpClient::new(&HttpClientConfig { tls_config, ..Default::default() }).unwrap();
    let err = get(&client, &format!("https://localhost:{}/echo", addr.port())).await.unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[test]
fn unreadable_ca_file_fails_at_build_time() {
    let tls_config = TlsConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
    let err = HttpClient::new(&HttpClientConfig { tls_config, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

fn parse(text: &str) -> (HttpClientConfig, Vec<String>) {
    let node = yaml::parse(text).unwrap();
    let mut errors = Errors::default();
    let mut r = MapReader::new(&node, "job", &mut errors);
    let cfg = HttpClientConfig::parse(&mut r);
    r.finish();
    (cfg, errors.into_sorted().iter().map(|e| e.to_string()).collect())
}

#[test]
fn defaults_follow_redirects_and_allow_http2() {
    let (cfg, errs) = parse("");
    assert!(errs.is_empty() && cfg.follow_redirects && cfg.enable_http2 && cfg.authorization.is_none());
}

#[test]
fn legacy_bearer_token_file_becomes_authorization() {
    let (cfg, errs) = parse("bearer_token_file: /var/run/token\n");
    assert!(errs.is_empty(), "{errs:?}");
    let a = cfg.authorization.unwrap();
    assert_eq!((a.kind.as_str(), a.credentials_file.as_deref()), ("Bearer", Some("/var/run/token")));
}

#[test]
fn conflicting_credentials_are_rejected_like_prometheus() {
    let cases = [
        (
            "basic_auth: {username: u, password: p, password_file: f}\n",
            "at most one of basic_auth password, password_file",
        ),
        ("authorization: {type: Basic, credentials: c}\n", r#"authorization type cannot be set to "basic""#),
        (
            "authorization: {credentials: c, credentials_file: f}\n",
            "at most one of authorization credentials & credentials_file",
        ),
        ("authorization: {credentials: c}\nbearer_token: t\n", "authorization is not compatible with bearer_token"),
        (
            "basic_auth: {username: u}\nauthorization: {credentials: c}\n",
            "at most one of basic_auth, oauth2 & authorization",
        ),
        ("bearer_token: t\nbearer_token_file: f\n", "at most one of bearer_token & bearer_token_file"),
        ("tls_config: {cert_file: c.pem}\n", "exactly one of key or key_file must be configured"),
        ("tls_config: {min_version: TLS13, max_version: TLS12}\n", "max_version must be greater than or equal"),
        ("tls_config: {min_version: SSL3}\n", "expected one of TLS10"),
        ("http_headers: {authorization: {values: [x]}}\n", r#"setting header "Authorization" is not allowed"#),
        ("http_headers: {x-amz-date: {values: [x]}}\n", r#"setting header "X-Amz-Date" is not allowed"#),
        ("http_headers: {X-A: {value: [x]}}\n", r#"unknown field "value""#),
        ("http_headers: {\"X A\": {values: [x]}}\n", "not a valid header name"),
    ];
    for (yaml, want) in cases {
        let (_, errs) = parse(yaml);
        assert!(errs.len() == 1 && errs[0].contains(want), "{yaml}: {errs:?}");
    }
}

#[test]
fn parsed_errors_name_line_and_path() {
    let (_, errs) = parse("follow_redirects: true\ntls_config:\n  ca_file: a\n  bogus: 1\n");
    assert_eq!(errs, vec![r#"line 4: job.tls_config.bogus: unknown field "bogus""#]);
}

#[test]
fn a_bad_inline_key_is_reported_without_its_text() {
    let cert = std::fs::read_to_string(format!("{TESTDATA}/server.pem")).unwrap();
    let key = "-----BEGIN PRIVATE KEY-----\nS3cr3t+K3y*Material!\n-----END PRIVATE KEY-----\n";
    let tls_config = TlsConfig { cert: Some(cert), key: Some(Secret::new(key)), ..Default::default() };
    let cfg = HttpClientConfig { tls_config, ..Default::default() };
    let err = HttpClient::new(&cfg).unwrap_err().to_string();
    assert!(err.contains("client key") && !err.contains("S3cr3t") && !err.contains("Material"), "{err}");
    let printed = format!("{cfg:?}");
    assert!(!printed.contains("S3cr3t"), "{printed}");
}

/// Go's client: `user:pass@` in the URL is basic auth (percent-decoded), and leaves the URL.
#[tokio::test]
async fn userinfo_in_the_url_is_basic_auth() {
    let addr = start_server(None).await;
    let client = HttpClient::new(&HttpClientConfig::default()).unwrap();
    let (_, body) = get(&client, &format!("http://us%3Aer:p%40ss@{addr}/echo")).await.unwrap();
    assert_eq!(body, "/echo Basic dXM6ZXI6cEBzcw==", "base64 of us:er:p@ss");
    let configured = HttpClient::new(&bearer("cfg")).unwrap();
    let (_, body) = get(&configured, &format!("http://u:p@{addr}/echo")).await.unwrap();
    assert_eq!(body, "/echo Basic dTpw", "the URL's credentials come first, as in Go");
}

/// prometheus/common's `http_headers`: each value, then each secret, then each file's trimmed
/// content (read on every request) added to the header; like credentials, none of them follows a
/// redirect to another host.
#[tokio::test]
async fn http_headers_are_added_in_order_read_per_request_and_stay_on_the_host() {
    let (a, b) = (start_server_on("127.0.0.1", None).await, start_server_on("127.0.0.2", None).await);
    let file = temp_file("http-header", " from-file \n");
    let yaml =
        format!("http_headers:\n  X-Scope:\n    values: [one, two]\n    secrets: [s3cret]\n    files: [{file}]\n");
    let (cfg, errs) = parse(&yaml);
    assert!(errs.is_empty(), "{errs:?}");
    assert!(!format!("{cfg:?}").contains("s3cret"), "a secret header value never prints");
    let client = HttpClient::new(&cfg).unwrap();
    let (_, body) = get(&client, &format!("http://{a}/echo")).await.unwrap();
    assert_eq!(body, "/echo  x-scope=one,two,s3cret,from-file");
    std::fs::write(&file, "rotated").unwrap();
    assert_eq!(get(&client, &format!("http://{a}/echo")).await.unwrap().1, "/echo  x-scope=one,two,s3cret,rotated");
    assert_eq!(get(&client, &format!("http://{a}/go/{b}/echo")).await.unwrap().1, "/echo ", "another host: none");
    std::fs::remove_file(&file).unwrap();
    let err = get(&client, &format!("http://{a}/echo")).await.unwrap_err();
    assert!(err.to_string().contains("reading headers file"), "{err}");
}

#[test]
fn http_header_files_are_relative_to_the_config_file() {
    let (mut cfg, errs) = parse("http_headers:\n  X-Token:\n    files: [token, /abs/token]\n");
    assert!(errs.is_empty(), "{errs:?}");
    cfg.set_directory(std::path::Path::new("/etc/scrapelet"));
    assert_eq!(cfg.http_headers[0].files, ["/etc/scrapelet/token", "/abs/token"]);
}
