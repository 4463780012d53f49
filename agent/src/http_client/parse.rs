//! Reading the `http_config` keys (auth, TLS, redirects, headers, `oauth2`, proxies) from an
//! enclosing mapping.
//!
//! Entry point: [`HttpClientConfig::parse`]. Checks and messages follow prometheus/common's
//! `HTTPClientConfig.Validate`, `ProxyConfig.Validate` and `TLSConfig.Validate`. Secret
//! references (`*_ref`) are refused: there is no secret manager (prometheus/common fails to build
//! the client: "cannot use secret ref without manager").

use super::{
    Authorization, BasicAuth, HttpClientConfig, HttpHeader, OAuth2, ProxyConfig, Secret, TlsConfig, TlsVersion,
};
use crate::config::yaml::{Errors, Kind, MapReader, Node};

/// Why a `*_ref` key is refused.
const NO_SECRET_MANAGER: &str = "cannot use secret ref without manager (scrapelet has no secret manager)";

/// The `oauth2` keys of the JWT bearer grant, which is not implemented.
const JWT_KEYS: [&str; 8] = [
    "client_certificate_key_id",
    "client_certificate_key",
    "client_certificate_key_file",
    "client_certificate_key_ref",
    "signature_algorithm",
    "iss",
    "audience",
    "claims",
];

/// Headers `http_headers` may not set (prometheus/common's `reservedHeaders`): they change the
/// connection, are set by the client, or have keys of their own.
const RESERVED_HEADERS: &[&str] = &[
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Www-Authenticate",
    "Accept-Encoding",
    "X-Prometheus-Remote-Write-Version",
    "X-Prometheus-Remote-Read-Version",
    "X-Prometheus-Scrape-Timeout-Seconds",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
];

impl HttpClientConfig {
    /// Reads `basic_auth`, `authorization`, `bearer_token`, `bearer_token_file`, `oauth2`,
    /// `tls_config`, `follow_redirects`, `enable_http2`, `http_headers`, `proxy_url`, `no_proxy`,
    /// `proxy_from_environment` and `proxy_connect_header` with Prometheus' defaults (both booleans
    /// true).
    pub fn parse(r: &mut MapReader<'_>) -> HttpClientConfig {
        HttpClientConfig::parse_with_defaults(r, HttpClientConfig::default())
    }

    /// As [`HttpClientConfig::parse`], with other defaults for `follow_redirects` and
    /// `enable_http2` (Prometheus' remote write defaults `enable_http2` to false).
    pub fn parse_with_defaults(r: &mut MapReader<'_>, defaults: HttpClientConfig) -> HttpClientConfig {
        let basic_auth = r.get("basic_auth").map(|n| basic_auth(n, &r.path_of("basic_auth"), r.errors));
        let authorization = r.get("authorization").map(|n| authorization(n, &r.path_of("authorization"), r.errors));
        let oauth2 = r.get("oauth2").map(|n| oauth2(n, &r.path_of("oauth2"), r.errors));
        let authorization = fold_bearer_token(r, basic_auth.is_some() || oauth2.is_some(), authorization);
        let one_of = "at most one of basic_auth, oauth2 & authorization must be configured";
        if authorization.is_some() && (basic_auth.is_some() || oauth2.is_some()) {
            let n = r.get("authorization").or(r.get("basic_auth")).expect("present");
            r.error(n, "authorization", one_of);
        } else if oauth2.is_some() && basic_auth.is_some() {
            let n = r.get("oauth2").expect("present");
            r.error(n, "oauth2", one_of);
        }
        let proxy = proxy_config(r);
        let tls_config = r.get("tls_config").map(|n| tls_config(n, &r.path_of("tls_config"), r.errors));
        let http_headers = r.get("http_headers").map(|n| http_headers(n, &r.path_of("http_headers"), r.errors));
        HttpClientConfig {
            basic_auth,
            authorization,
            tls_config: tls_config.unwrap_or_default(),
            follow_redirects: r.bool("follow_redirects").unwrap_or(defaults.follow_redirects),
            enable_http2: r.bool("enable_http2").unwrap_or(defaults.enable_http2),
            round_robin_dns: defaults.round_robin_dns,
            http_headers: http_headers.unwrap_or_default(),
            oauth2,
            proxy,
        }
    }
}

/// The legacy `bearer_token` / `bearer_token_file` become an `authorization` of type Bearer.
fn fold_bearer_token(
    r: &mut MapReader<'_>,
    has_basic_auth: bool,
    authorization: Option<Authorization>,
) -> Option<Authorization> {
    let token = r.string("bearer_token").filter(|s| !s.is_empty());
    let file = r.string("bearer_token_file").filter(|s| !s.is_empty());
    if token.is_none() && file.is_none() {
        return authorization;
    }
    let key = if file.is_some() { "bearer_token_file" } else { "bearer_token" };
    let node = r.get(key).expect("present");
    if token.is_some() && file.is_some() {
        r.error(node, key, "at most one of bearer_token & bearer_token_file must be configured");
    }
    if has_basic_auth {
        r.error(node, key, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
    }
    if authorization.is_some() {
        r.error(node, key, "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if has_basic_auth || authorization.is_some() {
        return authorization;
    }
    Some(Authorization { kind: "Bearer".into(), credentials: token.map(Secret::from), credentials_file: file })
}

/// `http_headers:`, a mapping of header names to `values`, `secrets` and `files` lists.
fn http_headers(node: &Node, path: &str, errors: &mut Errors) -> Vec<HttpHeader> {
    let mut out = Vec::new();
    for (k, v, name, at) in header_entries(node, path, errors) {
        let mut r = MapReader::new(v, &at, errors);
        let (values, secrets, files) = (r.strings("values"), r.strings("secrets"), r.strings("files"));
        r.finish();
        if check_header(errors, k.line, &at, &name, values.iter().chain(&secrets))
            && let Some(reserved) = RESERVED_HEADERS.iter().find(|r| r.eq_ignore_ascii_case(&name))
        {
            errors.push(k.line, &at, format!("setting header {reserved:?} is not allowed"));
        }
        let secrets = secrets.into_iter().map(Secret::from).collect();
        out.push(HttpHeader { name, values, secrets, files });
    }
    out
}

fn basic_auth(node: &Node, path: &str, errors: &mut Errors) -> BasicAuth {
    let mut r = MapReader::new(node, path, errors);
    refuse_refs(&mut r, ["username_ref", "password_ref"]);
    let a = BasicAuth {
        username: r.string("username").unwrap_or_default(),
        username_file: non_empty(r.string("username_file")),
        password: non_empty(r.string("password")).map(Secret::from),
        password_file: non_empty(r.string("password_file")),
    };
    if !a.username.is_empty() && a.username_file.is_some() {
        r.error(
            node,
            "username_file",
            "at most one of basic_auth username, username_file & username_ref must be configured",
        );
    }
    if a.password.is_some() && a.password_file.is_some() {
        r.error(
            node,
            "password_file",
            "at most one of basic_auth password, password_file & password_ref must be configured",
        );
    }
    r.finish();
    a
}

fn authorization(node: &Node, path: &str, errors: &mut Errors) -> Authorization {
    let mut r = MapReader::new(node, path, errors);
    refuse_refs(&mut r, ["credentials_ref"]);
    let kind = r.string("type").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let a = Authorization {
        kind: kind.unwrap_or_else(|| "Bearer".into()),
        credentials: non_empty(r.string("credentials")).map(Secret::from),
        credentials_file: non_empty(r.string("credentials_file")),
    };
    if a.kind.eq_ignore_ascii_case("basic") {
        r.error(node, "type", r#"authorization type cannot be set to "basic", use "basic_auth" instead"#);
    }
    if a.credentials.is_some() && a.credentials_file.is_some() {
        r.error(
            node,
            "credentials_file",
            "at most one of authorization credentials & credentials_file must be configured",
        );
    }
    r.finish();
    a
}

fn tls_config(node: &Node, path: &str, errors: &mut Errors) -> TlsConfig {
    let mut r = MapReader::new(node, path, errors);
    let c = TlsConfig {
        ca: non_empty(r.string("ca")),
        ca_file: non_empty(r.string("ca_file")),
        cert: non_empty(r.string("cert")),
        cert_file: non_empty(r.string("cert_file")),
        key: non_empty(r.string("key")).map(Secret::from),
        key_file: non_empty(r.string("key_file")),
        server_name: non_empty(r.string("server_name")),
        insecure_skip_verify: r.bool("insecure_skip_verify").unwrap_or(false),
        min_version: tls_version(&mut r, "min_version"),
        max_version: tls_version(&mut r, "max_version"),
    };
    check_tls(&mut r, node, &c);
    r.finish();
    c
}

fn check_tls(r: &mut MapReader<'_>, node: &Node, c: &TlsConfig) {
    let pairs = [
        ("ca_file", c.ca.is_some(), &c.ca_file),
        ("cert_file", c.cert.is_some(), &c.cert_file),
        ("key_file", c.key.is_some(), &c.key_file),
    ];
    for (key, inline, file) in pairs {
        if inline && file.is_some() {
            let what = key.trim_end_matches("_file");
            r.error(node, key, format!("at most one of {what} and {key} must be configured"));
        }
    }
    let (has_cert, has_key) = (c.cert.is_some() || c.cert_file.is_some(), c.key.is_some() || c.key_file.is_some());
    if has_cert && !has_key {
        r.error(
            node,
            "cert_file",
            "exactly one of key or key_file must be configured when a client certificate is configured",
        );
    } else if has_key && !has_cert {
        r.error(
            node,
            "key_file",
            "exactly one of cert or cert_file must be configured when a client key is configured",
        );
    }
    if let (Some(min), Some(max)) = (c.min_version, c.max_version)
        && max < min
    {
        let msg =
            "tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified";
        r.error(node, "max_version", msg);
    }
}

fn tls_version(r: &mut MapReader<'_>, key: &'static str) -> Option<TlsVersion> {
    r.parsed(key, "one of TLS10, TLS11, TLS12, TLS13", |s| match s {
        "TLS10" => Some(TlsVersion::Tls10),
        "TLS11" => Some(TlsVersion::Tls11),
        "TLS12" => Some(TlsVersion::Tls12),
        "TLS13" => Some(TlsVersion::Tls13),
        _ => None,
    })
}

/// Go treats an empty string as unset.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// `*_ref` keys: a secret manager's secrets, which scrapelet does not have.
fn refuse_refs<const N: usize>(r: &mut MapReader<'_>, keys: [&'static str; N]) {
    for key in keys {
        if let Some(n) = r.get(key) {
            r.error(n, key, NO_SECRET_MANAGER);
        }
    }
}

/// `oauth2:` and its checks (`HTTPClientConfig.Validate`'s, and its proxy keys').
fn oauth2(node: &Node, path: &str, errors: &mut Errors) -> OAuth2 {
    let mut r = MapReader::new(node, path, errors);
    let grant_type = r.string("grant_type").unwrap_or_default();
    if grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        r.error(node, "grant_type", "the jwt-bearer grant type is not supported yet");
    }
    for key in JWT_KEYS {
        if let Some(n) = r.get(key) {
            r.error(n, key, format!("{key} is not supported yet (it is for the jwt-bearer grant type)"));
        }
    }
    let has_ref = r.get("client_secret_ref").is_some();
    refuse_refs(&mut r, ["client_secret_ref"]);
    let o = OAuth2 {
        client_id: r.string("client_id").unwrap_or_default(),
        client_secret: non_empty(r.string("client_secret")).map(Secret::from),
        client_secret_file: non_empty(r.string("client_secret_file")),
        scopes: r.strings("scopes"),
        token_url: r.string("token_url").unwrap_or_default(),
        endpoint_params: r.string_map("endpoint_params").into_iter().collect(),
        tls_config: r.get("tls_config").map(|n| tls_config(n, &r.path_of("tls_config"), r.errors)).unwrap_or_default(),
        proxy: proxy_config(&mut r),
    };
    if o.client_id.is_empty() {
        r.error(node, "client_id", "oauth2 client_id must be configured");
    }
    if o.token_url.is_empty() {
        r.error(node, "token_url", "oauth2 token_url must be configured");
    }
    if [o.client_secret.is_some(), o.client_secret_file.is_some(), has_ref].iter().filter(|s| **s).count() > 1 {
        let msg = "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured \
                   using grant-type=client_credentials";
        r.error(node, "client_secret_file", msg);
    }
    r.finish();
    o
}

/// The inline proxy keys of an `http_config` or an `oauth2`, with `ProxyConfig.Validate`'s checks.
fn proxy_config(r: &mut MapReader<'_>) -> ProxyConfig {
    let url = non_empty(r.string("proxy_url"));
    if let (Some(u), Some(n)) = (&url, r.get("proxy_url"))
        && let Err(e) = super::proxy::ProxyUrl::parse(u)
    {
        r.error(n, "proxy_url", e);
    }
    let c = ProxyConfig {
        url: url.map(Secret::from),
        no_proxy: r.string("no_proxy").unwrap_or_default(),
        from_environment: r.bool("proxy_from_environment").unwrap_or(false),
        connect_header: r
            .get("proxy_connect_header")
            .map(|n| connect_header(n, &r.path_of("proxy_connect_header"), r.errors))
            .unwrap_or_default(),
    };
    let line = r.line();
    let fail = |r: &mut MapReader<'_>, key: &str, msg: &str| {
        let (line, path) = (r.key_line(key).unwrap_or(line), r.path_of(key));
        r.errors.push(line, &path, msg);
    };
    if !c.connect_header.is_empty() && !c.is_set() {
        let msg = "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured";
        fail(r, "proxy_connect_header", msg);
    }
    if c.from_environment && c.url.is_some() {
        fail(r, "proxy_from_environment", "if proxy_from_environment is configured, proxy_url must not be configured");
    }
    if c.from_environment && !c.no_proxy.is_empty() {
        fail(r, "proxy_from_environment", "if proxy_from_environment is configured, no_proxy must not be configured");
    }
    if !c.from_environment && c.url.is_none() && !c.no_proxy.is_empty() {
        fail(r, "no_proxy", "if no_proxy is configured, proxy_url must also be configured");
    }
    c
}

/// `proxy_connect_header:`, a mapping of header names to lists of (secret) values.
fn connect_header(node: &Node, path: &str, errors: &mut Errors) -> Vec<(String, Vec<Secret>)> {
    let mut out = Vec::new();
    for (k, v, name, at) in header_entries(node, path, errors) {
        let values: Vec<String> = match &v.kind {
            Kind::Seq(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
            _ if v.is_null() => Vec::new(),
            _ => {
                errors.push(v.line, &at, format!("expected a list, found {}", v.describe()));
                continue;
            }
        };
        check_header(errors, k.line, &at, &name, &values);
        out.push((name, values.into_iter().map(Secret::from).collect()));
    }
    out
}

/// The entries of a mapping of header names (`http_headers`, `proxy_connect_header`): the name's
/// node, the value's, the name, and the entry's path.
fn header_entries<'a>(node: &'a Node, path: &str, errors: &mut Errors) -> Vec<(&'a Node, &'a Node, String, String)> {
    let Kind::Map(pairs) = &node.kind else {
        errors.push(node.line, path, format!("expected a mapping, found {}", node.describe()));
        return Vec::new();
    };
    let entry = |(k, v): &'a (Node, Node)| {
        let name = k.as_str().unwrap_or_default().to_string();
        let at = format!("{path}.{name}");
        (k, v, name, at)
    };
    pairs.iter().map(entry).collect()
}

/// Refuses an invalid header name, and each invalid value (once); whether the name is valid.
fn check_header<'v>(
    errors: &mut Errors,
    line: usize,
    at: &str,
    name: &str,
    values: impl IntoIterator<Item = &'v String>,
) -> bool {
    let valid = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
    if !valid {
        errors.push(line, at, format!("{name:?} is not a valid header name"));
    }
    for value in values {
        if http::HeaderValue::from_str(value).is_err() {
            errors.push(line, at, "a value is not a valid header value (control characters?)");
        }
    }
    valid
}
