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
    async fn read(&self) -> Result<String, HttpError> {
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
