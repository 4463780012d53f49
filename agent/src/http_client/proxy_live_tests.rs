//! Proxies against real in-process ones: a forward proxy that answers requests itself, and a
//! `CONNECT` proxy that tunnels to the test's TLS server.

use std::sync::Mutex;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

type Log = Arc<Mutex<Vec<String>>>;

/// A forward proxy: answers every request itself with `proxied <request-target> <Proxy-Authorization>`
/// (or, for `/token`, an oauth2 token); logs the request targets.
async fn forward_proxy() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let target = req.uri().to_string();
                    seen.lock().unwrap().push(target.clone());
                    let auth = req.headers().get("proxy-authorization").map(|v| v.to_str().unwrap().to_string());
                    let body = if req.uri().path() == "/token" {
                        r#"{"access_token":"via-proxy","expires_in":3600}"#.to_string()
                    } else {
                        format!("proxied {target} {}", auth.unwrap_or_default())
                    };
                    async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (addr, log)
}

/// A `CONNECT` proxy: logs each request head, answers `status`, and with 200 tunnels to the
/// address asked for.
async fn connect_proxy(status: &'static str) -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    head.push(client.read_u8().await.unwrap());
                }
                let head = String::from_utf8(head).unwrap();
                seen.lock().unwrap().push(head.clone());
                client.write_all(format!("HTTP/1.1 {status}\r\n\r\n").as_bytes()).await.unwrap();
                if !status.starts_with("200") {
                    return;
                }
                let target = head.split(' ').nth(1).unwrap();
                let mut upstream = tokio::net::TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, log)
}

fn with_proxy(yaml: &str) -> HttpClient {
    let (cfg, errs) = parse(yaml);
    assert!(errs.is_empty(), "{errs:?}");
    HttpClient::new(&cfg).unwrap()
}

/// An `http` target through a forward proxy: the request in absolute form, `user:pass@` of the
/// proxy URL as `Proxy-Authorization`; even `localhost` (Go's `http.ProxyURL`).
#[tokio::test]
async fn http_targets_go_to_the_proxy_in_absolute_form_with_its_credentials() {
    let (proxy, log) = forward_proxy().await;
    let client = with_proxy(&format!("proxy_url: http://u%40x:p%3Aw@{proxy}\n"));
    let (_, body) = get(&client, "http://scrape.example:9100/metrics?x=1").await.unwrap();
    assert_eq!(body, "proxied http://scrape.example:9100/metrics?x=1 Basic dUB4OnA6dw==", "base64 of u@x:p:w");
    let (_, body) = get(&client, "http://localhost:9/m").await.unwrap();
    assert_eq!(body, "proxied http://localhost:9/m Basic dUB4OnA6dw==");
    assert_eq!(log.lock().unwrap().len(), 2);
}

/// `no_proxy` as golang.org/x/net reads it: a listed domain (and any loopback target, once
/// `no_proxy` is set) is dialled directly; the rest goes to the proxy.
#[tokio::test]
async fn no_proxy_targets_are_dialled_directly() {
    let (proxy, log) = forward_proxy().await;
    let target = start_server(None).await;
    let client = with_proxy(&format!("proxy_url: http://{proxy}\nno_proxy: skip.example,10.0.0.0/8\n"));
    assert_eq!(get(&client, &format!("http://{target}/echo")).await.unwrap().1, "/echo ");
    assert_eq!(get(&client, "http://scrape.example/m").await.unwrap().1, "proxied http://scrape.example/m ");
    assert!(get(&client, "http://skip.example.org/m").await.is_ok(), "not listed: proxied");
    let direct = get(&client, "http://a.skip.example/m").await;
    assert!(direct.is_err(), "dialled directly, and the name does not resolve");
    assert_eq!(log.lock().unwrap().len(), 2, "{:?}", log.lock().unwrap());
}

/// `proxy_from_environment`: `HTTP_PROXY` (read when the client is built) for an `http` target.
#[tokio::test]
async fn proxy_from_environment_uses_http_proxy() {
    let (proxy, _) = forward_proxy().await;
    let (cfg, errs) = parse("proxy_from_environment: true\n");
    assert!(errs.is_empty(), "{errs:?}");
    let proxy_url = format!("http://{proxy}");
    let env = |name: &str| (name == "http_proxy").then(|| proxy_url.clone());
    let client = HttpClient::with_env(&cfg, &env).unwrap();
    assert_eq!(get(&client, "http://scrape.example/m").await.unwrap().1, "proxied http://scrape.example/m ");
    let direct = HttpClient::with_env(&cfg, &|_| None).unwrap();
    assert!(get(&direct, "http://scrape.example/m").await.is_err(), "no variable: no proxy");
}

/// An `https` target through a `CONNECT` tunnel: `proxy_connect_header` and the proxy's
/// credentials on the `CONNECT`, TLS to the target (verified against its CA) inside the tunnel,
/// the target's own credentials inside TLS only.
#[tokio::test]
async fn https_targets_go_through_a_connect_tunnel() {
    let target = start_server(Some(tls_acceptor())).await;
    let (proxy, log) = connect_proxy("200 Connection established").await;
    let ca = format!("{TESTDATA}/ca.pem");
    let client = with_proxy(&format!(
        "proxy_url: http://u:p@{proxy}\nproxy_connect_header: {{X-Tenant: [t1, t2]}}\ntls_config: {{ca_file: {ca}}}\nbearer_token: s3cret\n"
    ));
    let url = format!("https://localhost:{}/echo", target.port());
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer s3cret");
    let head = log.lock().unwrap()[0].clone();
    let want = format!(
        "CONNECT localhost:{p} HTTP/1.1\r\nHost: localhost:{p}\r\nX-Tenant: t1\r\nX-Tenant: t2\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
        p = target.port()
    );
    assert_eq!(head, want);
}

#[tokio::test]
async fn a_refused_connect_fails_the_request_with_the_proxys_status() {
    let (proxy, _) = connect_proxy("407 Proxy Authentication Required").await;
    let client = with_proxy(&format!("proxy_url: http://{proxy}\n"));
    let err = get(&client, "https://scrape.example/m").await.unwrap_err().to_string();
    assert!(err.contains("CONNECT scrape.example:443") && err.contains("407 Proxy Authentication Required"), "{err}");
}

/// The token request goes through `oauth2`'s own proxy keys (prometheus/common
/// `TestOAuth2Proxy`'s config), not the target's.
#[tokio::test]
async fn oauth2_token_requests_use_the_oauth2_proxy() {
    let (proxy, log) = forward_proxy().await;
    let target = start_server(None).await;
    let client = with_proxy(&format!(
        "oauth2: {{client_id: c, client_secret: s, token_url: 'http://auth.example/token', proxy_url: 'http://{proxy}'}}\n"
    ));
    assert_eq!(get(&client, &format!("http://{target}/echo")).await.unwrap().1, "/echo Bearer via-proxy");
    assert_eq!(*log.lock().unwrap(), ["http://auth.example/token"]);
}

/// prometheus/common's `ProxyConfig.Validate` messages (`TestNewClientFromConfig`'s bad files,
/// `TestProxyConfiguration`'s `proxy-headers.bad.yml`).
#[test]
fn proxy_keys_are_checked_as_prometheus_checks_them() {
    let cases = [
        (
            "proxy_from_environment: true\nproxy_url: http://p\n",
            "if proxy_from_environment is configured, proxy_url must not be configured",
        ),
        (
            "proxy_from_environment: true\nno_proxy: a\n",
            "if proxy_from_environment is configured, no_proxy must not be configured",
        ),
        ("no_proxy: a\n", "if no_proxy is configured, proxy_url must also be configured"),
        (
            "proxy_connect_header: {single: [value_0], multi: [value_1, value_2]}\n",
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
        ),
        ("proxy_url: socks5://p:1080\n", "proxy scheme \"socks5\" is not supported"),
        ("proxy_url: http://p\nproxy_connect_header: {\"a b\": [x]}\n", "not a valid header name"),
    ];
    for (yaml, want) in cases {
        let (_, errs) = parse(yaml);
        assert!(errs.len() == 1 && errs[0].contains(want), "{yaml}: {errs:?}");
    }
    let (cfg, errs) =
        parse("proxy_url: http://remote.host\nproxy_connect_header: {single: [value_0], multi: [value_1, value_2]}\n");
    assert!(errs.is_empty(), "proxy-headers.good.yml: {errs:?}");
    let printed = format!("{cfg:?}");
    assert!(!printed.contains("value_1") && !printed.contains("remote.host"), "secrets print as hashes: {printed}");
}
