//! Following redirects the way Go's `http.Client` does: at most 10 requests; 301/302/303 turn a
//! request into a GET without a body (unless it was a GET or HEAD); 307/308 repeat it as it was; a
//! 3xx without `Location` is the answer.
//!
//! Entry point: [`send`]. Credentials never leave the origin they were configured for: once a
//! redirect changes the scheme, host or port, the configured credentials are no longer added and
//! the caller's `Authorization`, `Cookie`, `Cookie2`, `WWW-Authenticate`,
//! `Proxy-Authorization` and `Proxy-Authenticate` headers are dropped, for every later hop too
//! (even one that comes back). That is Go's rule (and Prometheus relies on it), made stricter:
//! Go keeps them for a subdomain and when only the port or the scheme changes.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::Incoming;

use super::{HttpClient, HttpError};

/// Go's `defaultCheckRedirect`: the 10th redirect answer is an error.
const MAX_REDIRECTS: usize = 10;

/// Headers that carry credentials (Go's `makeHeadersCopier` list).
const SENSITIVE: [http::HeaderName; 6] = [
    http::header::AUTHORIZATION,
    http::header::WWW_AUTHENTICATE,
    http::header::COOKIE,
    http::HeaderName::from_static("cookie2"),
    http::header::PROXY_AUTHORIZATION,
    http::header::PROXY_AUTHENTICATE,
];

/// Headers describing a body, dropped with it on a 301/302/303.
const BODY_HEADERS: [http::HeaderName; 4] = [
    http::header::CONTENT_ENCODING,
    http::header::CONTENT_LANGUAGE,
    http::header::CONTENT_LOCATION,
    http::header::CONTENT_TYPE,
];

pub(super) async fn send(client: &HttpClient, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, HttpError> {
    if !client.inner.follow_redirects {
        return client.send_once(req, true).await;
    }
    let (parts, mut body) = req.into_parts();
    let (mut method, mut uri, mut headers, version) = (parts.method, parts.uri, parts.headers, parts.version);
    let origin = Origin::of(&uri);
    let mut credentials = true;
    for hop in 1.. {
        let mut req = Request::new(body.clone());
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = headers.clone();
        *req.version_mut() = version;
        let resp = client.send_once(req, credentials).await?;
        let status = resp.status();
        let location = resp.headers().get(http::header::LOCATION).and_then(|l| l.to_str().ok());
        let Some(location) = location.filter(|l| is_redirect(status) && !l.is_empty()) else { return Ok(resp) };
        if hop >= MAX_REDIRECTS {
            return Err(HttpError::Redirect(format!("stopped after {MAX_REDIRECTS} redirects")));
        }
        let next = resolve(&uri, location)?;
        if credentials && Origin::of(&next) != origin {
            credentials = false;
            strip(&mut headers, &SENSITIVE);
        }
        if matches!(status.as_u16(), 301..=303) {
            if method != Method::GET && method != Method::HEAD {
                method = Method::GET;
            }
            body = Full::default();
            strip(&mut headers, &BODY_HEADERS);
        }
        uri = next;
    }
    unreachable!("the loop returns")
}

fn strip(headers: &mut HeaderMap, names: &[http::HeaderName]) {
    for name in names {
        headers.remove(name);
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Scheme, host and port (the scheme's default when absent), compared without case.
#[derive(PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(uri: &Uri) -> Origin {
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        Origin { port: uri.port_u16().or(default), scheme, host }
    }
}

/// Resolves a `Location` header against the URI that answered with it (RFC 3986 §5.2, as Go's
/// `URL.ResolveReference`). Only http and https may follow; userinfo in it is dropped.
fn resolve(base: &Uri, location: &str) -> Result<Uri, HttpError> {
    let bad = |why: &str| HttpError::Redirect(format!("unusable Location header: {why}"));
    if location.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(bad("control character"));
    }
    let location = escape_unsafe(location.split('#').next().unwrap_or_default());
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let absolute = if let Some((s, rest)) = split_scheme(&location) {
        let s = s.to_ascii_lowercase();
        if s != "http" && s != "https" {
            return Err(HttpError::Redirect(format!("unsupported protocol scheme {s:?}")));
        }
        format!("{s}:{rest}")
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else {
        let (path, query) = match location.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (location.as_str(), None),
        };
        let path = match path {
            "" => base.path().to_string(),
            p if p.starts_with('/') => remove_dot_segments(p),
            p => remove_dot_segments(&format!("{}/{p}", base.path().rsplit_once('/').map_or("", |(d, _)| d))),
        };
        let query = match query {
            Some(q) => format!("?{q}"),
            None if location.is_empty() => base.query().map(|q| format!("?{q}")).unwrap_or_default(),
            None => String::new(),
        };
        format!("{scheme}://{authority}{path}{query}")
    };
    let uri: Uri = absolute.parse().map_err(|e| bad(&format!("{e}")))?;
    without_userinfo(uri).ok_or_else(|| bad("no host"))
}

/// `scheme:rest` when `s` starts with an RFC 3986 scheme.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut bytes = scheme.bytes();
    let first_alpha = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    (first_alpha && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))).then_some((scheme, rest))
}

/// Percent-encodes the bytes a URI may not hold as they are (spaces, quotes, non-ASCII, ...), as
/// Go's parser accepts and re-escapes them.
fn escape_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') { joined } else { format!("/{joined}") }
}

/// The URI with any `user:pass@` removed from its authority; `None` without a host.
fn without_userinfo(uri: Uri) -> Option<Uri> {
    let authority = uri.authority()?.as_str();
    let Some((_, host)) = authority.rsplit_once('@') else { return Some(uri) };
    let mut parts = uri.clone().into_parts();
    parts.authority = Some(host.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(base: &str, location: &str) -> String {
        resolve(&base.parse().unwrap(), location).map(|u| u.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    /// RFC 3986 §5.4.1 normal examples (those an HTTP Location can use), base
    /// `http://a/b/c/d;p?q`.
    #[test]
    fn location_resolves_as_rfc_3986_says() {
        let base = "http://a/b/c/d;p?q";
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("https://b:8443/m", "https://b:8443/m"),
        ];
        for (location, want) in cases {
            assert_eq!(r(base, location), want, "{location}");
        }
    }

    #[test]
    fn only_http_locations_are_followed_and_userinfo_is_dropped() {
        assert!(r("http://a/", "file:///etc/passwd").contains("unsupported protocol scheme \"file\""));
        assert!(r("http://a/", "javascript:alert(1)").contains("unsupported protocol scheme"));
        assert!(r("http://a/", "/x\ny").contains("control character"));
        assert_eq!(r("http://a/", "http://user:pw@b/x"), "http://b/x");
        assert_eq!(r("http://a:1/m", "/a b"), "http://a:1/a%20b");
    }

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        let o = |s: &str| Origin::of(&s.parse().unwrap());
        assert!(o("http://A:80/x") == o("http://a/y"));
        assert!(o("https://a/") == o("https://a:443/"));
        assert!(o("http://a/") != o("https://a/"));
        assert!(o("http://a:1/") != o("http://a:2/"));
        assert!(o("http://a/") != o("http://sub.a/"));
    }
}
