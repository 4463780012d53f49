//! Following redirects the way Go's `http.Client` does (at most 10; 301/302/303 turn a request
//! with a body into a GET without one; 307/308 repeat it as it was).
//!
//! Entry point: [`send`]. Credentials are added on every hop, as Prometheus' round trippers do.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::Incoming;

use super::{HttpClient, HttpError};

const MAX_REDIRECTS: usize = 10;

pub(super) async fn send(client: &HttpClient, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, HttpError> {
    if !client.inner.follow_redirects {
        return client.send_once(req).await;
    }
    let (parts, mut body) = req.into_parts();
    let (mut method, mut uri, headers, version) = (parts.method, parts.uri, parts.headers, parts.version);
    for _ in 0..=MAX_REDIRECTS {
        let mut req = Request::new(body.clone());
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = headers.clone();
        *req.version_mut() = version;
        let resp = client.send_once(req).await?;
        let status = resp.status();
        let location = resp.headers().get(http::header::LOCATION).and_then(|l| l.to_str().ok());
        let Some(location) = location.filter(|_| is_redirect(status)) else { return Ok(resp) };
        uri = resolve(&uri, location)?;
        if matches!(status.as_u16(), 301..=303) && method != Method::GET && method != Method::HEAD {
            method = Method::GET;
            body = Full::default();
        }
    }
    Err(HttpError::Redirect(format!("stopped after {MAX_REDIRECTS} redirects")))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Resolves a `Location` header against the URI that answered with it.
fn resolve(base: &Uri, location: &str) -> Result<Uri, HttpError> {
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let absolute = if location.contains("://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let dir = base.path().rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
        format!("{scheme}://{authority}{dir}/{location}")
    };
    absolute.parse().map_err(|e| HttpError::Redirect(format!("bad Location {location:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_resolves_like_a_browser() {
        let base: Uri = "http://a:1/x/metrics?q=1".parse().unwrap();
        assert_eq!(resolve(&base, "https://b/m").unwrap(), "https://b/m");
        assert_eq!(resolve(&base, "//c:2/m").unwrap(), "http://c:2/m");
        assert_eq!(resolve(&base, "/other").unwrap(), "http://a:1/other");
        assert_eq!(resolve(&base, "sib?x=2").unwrap(), "http://a:1/x/sib?x=2");
    }
}
