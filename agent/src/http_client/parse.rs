//! Reading the `http_config` keys (auth, TLS, redirects, headers) from an enclosing mapping.
//!
//! Entry point: [`HttpClientConfig::parse`]. Checks and messages follow prometheus/common's
//! `HTTPClientConfig.Validate` and `TLSConfig.Validate`.

use super::{Authorization, BasicAuth, HttpClientConfig, HttpHeader, Secret, TlsConfig, TlsVersion};
use crate::config::yaml::{Errors, Kind, MapReader, Node};

/// `http_config` keys we know but do not implement yet.
const UNSUPPORTED: &[&str] = &["oauth2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"];

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
    /// Reads `basic_auth`, `authorization`, `bearer_token`, `bearer_token_file`, `tls_config`,
    /// `follow_redirects`, `enable_http2`, `http_headers` with Prometheus' defaults (both booleans
    /// true); rejects `oauth2`, `proxy_url`, `no_proxy`, `proxy_from_environment` and
    /// `proxy_connect_header` as not supported yet.
    pub fn parse(r: &mut MapReader<'_>) -> HttpClientConfig {
        HttpClientConfig::parse_with_defaults(r, HttpClientConfig::default())
    }

    /// As [`HttpClientConfig::parse`], with other defaults for `follow_redirects` and
    /// `enable_http2` (Prometheus' remote write defaults `enable_http2` to false).
    pub fn parse_with_defaults(r: &mut MapReader<'_>, defaults: HttpClientConfig) -> HttpClientConfig {
        for key in UNSUPPORTED {
            if let Some(n) = r.get(key) {
                r.error(n, key, format!("{key} is not supported yet"));
            }
        }
        let basic_auth = r.get("basic_auth").map(|n| basic_auth(n, &r.path_of("basic_auth"), r.errors));
        let authorization = r.get("authorization").map(|n| authorization(n, &r.path_of("authorization"), r.errors));
        let authorization = fold_bearer_token(r, basic_auth.is_some(), authorization);
        if authorization.is_some() && basic_auth.is_some() {
            let n = r.get("authorization").or(r.get("basic_auth")).expect("present");
            r.error(n, "authorization", "at most one of basic_auth, oauth2 & authorization must be configured");
        }
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
    let Kind::Map(pairs) = &node.kind else {
        errors.push(node.line, path, format!("expected a mapping, found {}", node.describe()));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in pairs {
        let name = k.as_str().unwrap_or_default().to_string();
        let at = format!("{path}.{name}");
        let mut r = MapReader::new(v, &at, errors);
        let (values, secrets, files) = (r.strings("values"), r.strings("secrets"), r.strings("files"));
        r.finish();
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            errors.push(k.line, &at, format!("{name:?} is not a valid header name"));
        } else if let Some(reserved) = RESERVED_HEADERS.iter().find(|r| r.eq_ignore_ascii_case(&name)) {
            errors.push(k.line, &at, format!("setting header {reserved:?} is not allowed"));
        }
        for value in values.iter().chain(&secrets) {
            if http::HeaderValue::from_str(value).is_err() {
                errors.push(k.line, &at, "a value is not a valid header value (control characters?)");
            }
        }
        let secrets = secrets.into_iter().map(Secret::from).collect();
        out.push(HttpHeader { name, values, secrets, files });
    }
    out
}

fn basic_auth(node: &Node, path: &str, errors: &mut Errors) -> BasicAuth {
    let mut r = MapReader::new(node, path, errors);
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
