//! The `Authorization` header of every request: basic auth or `<type> <credentials>`.
//!
//! Entry point: [`Credentials`]. Secrets in files are read on every request, so a rotated token
//! (a projected service-account token, a renewed password) is used without a reload.

use base64::Engine as _;
use http::HeaderValue;

use super::{HttpClientConfig, HttpError, Secret};

/// A secret given inline or as a file.
#[derive(Clone)]
pub(super) enum Source {
    Inline(Secret),
    File(String),
}

impl Source {
    fn new(inline: &Option<Secret>, file: &Option<String>) -> Option<Source> {
        match (inline, file) {
            (Some(s), _) => Some(Source::Inline(s.clone())),
            (None, Some(f)) => Some(Source::File(f.clone())),
            (None, None) => None,
        }
    }

    /// The secret's text; a file's content is trimmed, as prometheus/common does.
    pub(super) async fn read(&self) -> Result<String, HttpError> {
        match self {
            Source::Inline(s) => Ok(s.expose().to_string()),
            Source::File(path) => match tokio::fs::read_to_string(path).await {
                Ok(s) => Ok(s.trim().to_string()),
                Err(source) => Err(HttpError::Credentials { path: path.clone(), source }),
            },
        }
    }

    async fn read_opt(secret: &Option<Source>) -> Result<String, HttpError> {
        match secret {
            Some(s) => s.read().await,
            None => Ok(String::new()),
        }
    }
}

/// What to put in the `Authorization` header.
#[derive(Clone)]
pub(super) enum Credentials {
    Basic { username: Option<Source>, password: Option<Source> },
    Typed { kind: String, credentials: Option<Source> },
}

impl Credentials {
    /// `None` when the config asks for no authentication.
    pub(super) fn from_config(cfg: &HttpClientConfig) -> Option<Credentials> {
        if let Some(b) = &cfg.basic_auth {
            let username = Some(Secret::new(b.username.clone())).filter(|u| !u.expose().is_empty());
            return Some(Credentials::Basic {
                username: Source::new(&username, &b.username_file),
                password: Source::new(&b.password, &b.password_file),
            });
        }
        let a = cfg.authorization.as_ref()?;
        Some(Credentials::Typed { kind: a.kind.clone(), credentials: Source::new(&a.credentials, &a.credentials_file) })
    }

    /// For `Debug`: the scheme, never the secret.
    pub(super) fn kind(&self) -> &str {
        match self {
            Credentials::Basic { .. } => "Basic",
            Credentials::Typed { kind, .. } => kind,
        }
    }

    pub(super) async fn header_value(&self) -> Result<HeaderValue, HttpError> {
        let text = match self {
            Credentials::Basic { username, password } => {
                let pair = format!("{}:{}", Source::read_opt(username).await?, Source::read_opt(password).await?);
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
            }
            Credentials::Typed { kind, credentials } => {
                format!("{kind} {}", Source::read_opt(credentials).await?.trim())
            }
        };
        let mut value = HeaderValue::from_str(&text)
            .map_err(|_| HttpError::Request("credentials contain characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// Go's `http.Client` rule for `user:pass@` in a request URL: it is taken out of the URL (so it
/// never reaches a connection pool's key or a log line) and, unless the request already carries
/// an `Authorization` header, sent as basic auth. Before Prometheus' own credentials, as in Go,
/// where the client sets it before the round trippers that add the configured ones look.
pub(super) fn take_userinfo<B>(req: &mut http::Request<B>) -> Result<(), HttpError> {
    let Some(authority) = req.uri().authority() else { return Ok(()) };
    let Some((userinfo, host)) = authority.as_str().rsplit_once('@') else { return Ok(()) };
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let pair = format!("{}:{}", percent_decode(user), percent_decode(pass));
    let mut parts = req.uri().clone().into_parts();
    parts.authority = Some(host.parse().map_err(|_| HttpError::Request("invalid host in URL".into()))?);
    *req.uri_mut() = http::Uri::from_parts(parts).map_err(|_| HttpError::Request("invalid URL".into()))?;
    if !req.headers().contains_key(http::header::AUTHORIZATION) {
        let text = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        let mut value = HeaderValue::from_str(&text)
            .map_err(|_| HttpError::Request("credentials contain characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        req.headers_mut().insert(http::header::AUTHORIZATION, value);
    }
    Ok(())
}

pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
