//! `oauth2:` against a real in-process token server: the form and the basic auth it gets, how
//! often it is asked, and what the targets receive.

use std::sync::Mutex;

use super::*;

/// One token request as the server saw it.
#[derive(Clone, Debug, Default)]
struct Seen {
    authorization: String,
    content_type: String,
    user_agent: String,
    form: String,
}

type Answer = fn(&Seen) -> (u16, &'static str, String);

/// A token server answering with `answer`; returns its token URL and what it saw.
async fn token_server(answer: Answer) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let log = log.clone();
                async move {
                    let header = |n| req.headers().get(n).map(|v: &http::HeaderValue| v.to_str().unwrap().to_string());
                    let mut s = Seen {
                        authorization: header(AUTHORIZATION).unwrap_or_default(),
                        content_type: header(http::header::CONTENT_TYPE).unwrap_or_default(),
                        user_agent: header(http::header::USER_AGENT).unwrap_or_default(),
                        form: String::new(),
                    };
                    s.form = String::from_utf8(req.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
                    let (status, content_type, body) = answer(&s);
                    log.lock().unwrap().push(s);
                    let resp = Response::builder().status(status).header("content-type", content_type);
                    Ok::<_, Infallible>(resp.body(Full::new(Bytes::from(body))).unwrap())
                }
            });
            tokio::spawn(async move {
                let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = server.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (format!("http://{addr}/token"), seen)
}

fn token(expires_in: u32) -> (u16, &'static str, String) {
    let body = format!(r#"{{"access_token":"12345","token_type":"bearer","expires_in":{expires_in}}}"#);
    (200, "application/json", body)
}

fn oauth2_config(yaml: &str) -> HttpClientConfig {
    let (cfg, errs) = parse(yaml);
    assert!(errs.is_empty(), "{errs:?}");
    cfg
}

/// prometheus/common `TestOAuth2`: the form, basic auth `1:2`, the token on the target, and one
/// token request for two target requests.
#[tokio::test]
async fn oauth2_fetches_a_token_with_basic_auth_and_reuses_it() {
    let target = start_server(None).await;
    let (token_url, seen) = token_server(|_| token(3600)).await;
    let cfg = oauth2_config(&format!(
        "oauth2:\n  client_id: 1\n  client_secret: 2\n  scopes: [A, B]\n  token_url: {token_url}\n  endpoint_params: {{hi: hello}}\n"
    ));
    assert!(!format!("{cfg:?}").contains("client_secret: Some(\"2\""), "the secret never prints");
    let client = HttpClient::new(&cfg).unwrap();
    let req = || Request::get(format!("http://{target}/echo")).header("user-agent", "myuseragent");
    for _ in 0..2 {
        let resp = client.send(req().body(Full::default()).unwrap(), Duration::from_secs(5)).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"/echo Bearer 12345");
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "the token is reused: {seen:?}");
    assert_eq!(seen[0].authorization, "Basic MToy");
    assert_eq!(seen[0].content_type, "application/x-www-form-urlencoded");
    assert_eq!(seen[0].form, "grant_type=client_credentials&hi=hello&scope=A+B");
    assert_eq!(seen[0].user_agent, "myuseragent", "TestOAuth2UserAgent: the request's User-Agent");
}

/// prometheus/common `TestOAuth2WithFile`: the secret file is read per request; a change fetches
/// a new token with the new secret, an unchanged file does not.
#[tokio::test]
async fn oauth2_fetches_again_when_the_secret_file_changes() {
    let target = start_server(None).await;
    let (token_url, seen) = token_server(|_| token(3600)).await;
    let file = temp_file("oauth2-secret", "");
    let cfg =
        oauth2_config(&format!("oauth2:\n  client_id: 1\n  client_secret_file: {file}\n  token_url: {token_url}\n"));
    let client = HttpClient::new(&cfg).unwrap();
    let url = format!("http://{target}/echo");
    let auths =
        |seen: &Arc<Mutex<Vec<Seen>>>| seen.lock().unwrap().iter().map(|s| s.authorization.clone()).collect::<Vec<_>>();
    for _ in 0..2 {
        assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer 12345");
    }
    assert_eq!(auths(&seen), ["Basic MTo="], "empty file: empty secret, one fetch");
    std::fs::write(&file, "123456\n").unwrap();
    get(&client, &url).await.unwrap();
    get(&client, &url).await.unwrap();
    assert_eq!(auths(&seen), ["Basic MTo=", "Basic MToxMjM0NTY="]);
    std::fs::remove_file(&file).unwrap();
    let err = get(&client, &url).await.unwrap_err().to_string();
    assert!(err.contains("unable to read oauth2 client secret") && err.contains(&token_url), "{err}");
}

/// x/oauth2's `expiryDelta`: a token is fetched again 10 s before it expires, so one valid for
/// 10 s is fetched for every request and one valid for 11 s is reused for a second.
#[tokio::test]
async fn oauth2_fetches_again_ten_seconds_before_expiry() {
    let target = start_server(None).await;
    let url = format!("http://{target}/echo");
    let (token_url, seen) = token_server(|_| token(10)).await;
    let client =
        HttpClient::new(&oauth2_config(&format!("oauth2: {{client_id: c, token_url: {token_url}}}\n"))).unwrap();
    for _ in 0..3 {
        get(&client, &url).await.unwrap();
    }
    assert_eq!(seen.lock().unwrap().len(), 3);

    let (token_url, seen) = token_server(|_| token(11)).await;
    let client =
        HttpClient::new(&oauth2_config(&format!("oauth2: {{client_id: c, token_url: {token_url}}}\n"))).unwrap();
    get(&client, &url).await.unwrap();
    get(&client, &url).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    get(&client, &url).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2, "expired: fetched again");
}

/// x/oauth2's `AuthStyleAutoDetect`: basic auth first; refused, the credentials go in the form,
/// and that way is kept for the next token.
#[tokio::test]
async fn oauth2_falls_back_to_credentials_in_the_form_and_keeps_that_way() {
    let target = start_server(None).await;
    let (token_url, seen) = token_server(|s| {
        if s.authorization.is_empty() {
            token(10)
        } else {
            (401, "application/json", r#"{"error":"invalid_client"}"#.into())
        }
    })
    .await;
    let cfg = oauth2_config(&format!("oauth2: {{client_id: 'a b', client_secret: 's/c', token_url: {token_url}}}\n"));
    let client = HttpClient::new(&cfg).unwrap();
    let url = format!("http://{target}/echo");
    assert_eq!(get(&client, &url).await.unwrap().1, "/echo Bearer 12345");
    get(&client, &url).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let got: Vec<_> = seen.iter().map(|s| (s.authorization.as_str(), s.form.as_str())).collect();
    let form = "client_id=a+b&client_secret=s%2Fc&grant_type=client_credentials";
    assert_eq!(got, [("Basic YStiOnMlMkZj", "grant_type=client_credentials"), ("", form), ("", form)]);
}

/// An answer that is no token fails the request, naming the token URL, without the server's
/// body or the client secret.
#[tokio::test]
async fn oauth2_errors_name_the_token_url_and_never_the_secret_or_the_body() {
    let target = start_server(None).await;
    let (token_url, _) = token_server(|_| (500, "text/html", "<p>internal s3cret page</p>".into())).await;
    let cfg = oauth2_config(&format!("oauth2: {{client_id: c, client_secret: hunter2, token_url: {token_url}}}\n"));
    let client = HttpClient::new(&cfg).unwrap();
    let err = get(&client, &format!("http://{target}/echo")).await.unwrap_err().to_string();
    assert!(err.contains(&token_url) && err.contains("cannot fetch token: 500"), "{err}");
    assert!(!err.contains("s3cret") && !err.contains("hunter2"), "{err}");

    let (token_url, _) = token_server(|_| (200, "application/json", r#"{"token_type":"bearer"}"#.into())).await;
    let client =
        HttpClient::new(&oauth2_config(&format!("oauth2: {{client_id: c, token_url: {token_url}}}\n"))).unwrap();
    let err = get(&client, &format!("http://{target}/echo")).await.unwrap_err().to_string();
    assert!(err.contains("server response missing access_token"), "{err}");
}

/// prometheus/common `TestOAuth2CrossHostRedirectDropsCredentials`: the token reaches the
/// first host only.
#[tokio::test]
async fn oauth2_token_never_follows_a_redirect_to_another_host() {
    let (a, b) = (start_server_on("127.0.0.1", None).await, start_server_on("127.0.0.2", None).await);
    let (token_url, _) = token_server(|_| token(3600)).await;
    let client =
        HttpClient::new(&oauth2_config(&format!("oauth2: {{client_id: c, token_url: {token_url}}}\n"))).unwrap();
    assert_eq!(get(&client, &format!("http://{a}/go/{b}/echo")).await.unwrap().1, "/echo ");
    assert_eq!(get(&client, &format!("http://{a}/redirect")).await.unwrap().1, "/echo Bearer 12345");
}

/// prometheus/common's `HTTPClientConfig.Validate` messages for `oauth2`.
#[test]
fn oauth2_is_checked_as_prometheus_checks_it() {
    let cases = [
        ("oauth2: {token_url: http://t}\n", "oauth2 client_id must be configured"),
        ("oauth2: {client_id: c}\n", "oauth2 token_url must be configured"),
        (
            "oauth2: {client_id: c, token_url: http://t, client_secret: s, client_secret_file: f}\n",
            "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured",
        ),
        (
            "oauth2: {client_id: c, token_url: http://t}\nbasic_auth: {username: u}\n",
            "at most one of basic_auth, oauth2 & authorization",
        ),
        (
            "oauth2: {client_id: c, token_url: http://t}\nauthorization: {credentials: x}\n",
            "at most one of basic_auth, oauth2 & authorization",
        ),
        (
            "oauth2: {client_id: c, token_url: http://t}\nbearer_token: x\n",
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file",
        ),
        (
            "oauth2: {client_id: c, token_url: http://t, client_secret_ref: vault}\n",
            "cannot use secret ref without manager",
        ),
        ("basic_auth: {username: u, password_ref: vault}\n", "cannot use secret ref without manager"),
        (
            "oauth2: {client_id: c, token_url: http://t, grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer'}\n",
            "jwt-bearer grant type is not supported yet",
        ),
        (
            "oauth2: {client_id: c, token_url: http://t, no_proxy: x}\n",
            "if no_proxy is configured, proxy_url must also be configured",
        ),
        ("oauth2: {client_id: c, token_url: http://t, tls_config: {cert_file: c}}\n", "exactly one of key or key_file"),
    ];
    for (yaml, want) in cases {
        let (_, errs) = parse(yaml);
        assert!(errs.len() == 1 && errs[0].contains(want), "{yaml}: {errs:?}");
    }
    let (cfg, errs) =
        parse("oauth2: {client_id: c, token_url: http://t, client_secret_file: s, tls_config: {ca_file: ca}}\n");
    assert!(errs.is_empty(), "{errs:?}");
    let mut cfg = cfg;
    cfg.set_directory(std::path::Path::new("/etc/scrapelet"));
    let o = cfg.oauth2.unwrap();
    assert_eq!(
        (o.client_secret_file.as_deref(), o.tls_config.ca_file.as_deref()),
        (Some("/etc/scrapelet/s"), Some("/etc/scrapelet/ca"))
    );
}
