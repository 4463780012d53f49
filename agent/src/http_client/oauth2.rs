//! `oauth2:` as prometheus/common's `oauth2RoundTripper`: a token from the client credentials
//! grant (golang.org/x/oauth2's `clientcredentials`) on every request, as
//! `Authorization: <type> <token>`.
//!
//! Entry point: [`TokenSource`]. The token is fetched with a form POST to `token_url`
//! (`grant_type=client_credentials`, `scope` joined by spaces, `endpoint_params`), the client id
//! and secret first as basic auth, then, if that fails, in the form (x/oauth2's
//! `AuthStyleAutoDetect`; the way that worked is kept). It is reused until 10 s before it expires.
//! The secret file is read on every request; a changed secret drops the token and the learned
//! way. The token request has a client of its own (`oauth2.tls_config` and the proxy keys
//! inside `oauth2`). Errors never quote the secret, the token or the token server's body.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::HeaderValue;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use tokio::time::Instant;

use super::auth::Source;
use super::url::{encode_query, redact};
use super::{HttpClient, HttpClientConfig, HttpError, Secret, TlsConfig};
use crate::http_client::proxy::ProxyConfig;

/// `oauth2:` (the client credentials grant).
#[derive(Clone, Debug, Default)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<String>,
    pub scopes: Vec<String>,
    pub token_url: String,
    /// Sorted by name (Go's `url.Values.Encode` sorts them).
    pub endpoint_params: BTreeMap<String, String>,
    /// For the token request.
    pub tls_config: TlsConfig,
    /// For the token request.
    pub proxy: ProxyConfig,
}

type Sending<'a> = Pin<Box<dyn Future<Output = Result<http::Response<Incoming>, HttpError>> + Send + 'a>>;

/// The token requests' client. A trait object: a token request is a `send` of its own, and
/// without one the future of `send` would hold itself (and its `Send` could not be proven).
trait Transport: Send + Sync {
    fn post(&self, req: http::Request<Full<Bytes>>) -> Sending<'_>;
}

impl Transport for HttpClient {
    fn post(&self, req: http::Request<Full<Bytes>>) -> Sending<'_> {
        Box::pin(self.send(req, TOKEN_TIMEOUT))
    }
}

/// x/oauth2's `expiryDelta`: a token this close to its expiry is fetched again.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// x/oauth2 reads at most 1 MiB of a token answer.
const MAX_TOKEN_BODY: usize = 1 << 20;

/// A token request is bounded by the request that needs it; this only stops a lone one hanging.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the client id and secret go in the token request (x/oauth2's `AuthStyle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthStyle {
    InHeader,
    InParams,
}

struct Token {
    value: HeaderValue,
    /// `None`: no `expires_in`, valid for ever (as in x/oauth2).
    refresh_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    /// The secret the token and the style were got with.
    secret: Option<String>,
    token: Option<Token>,
    style: Option<AuthStyle>,
}

/// The token of one `oauth2:` configuration, shared by every request of the client.
pub(super) struct TokenSource {
    cfg: OAuth2,
    secret: Option<Source>,
    client: Box<dyn Transport>,
    /// Held across a fetch, so that concurrent requests wait for one token.
    state: tokio::sync::Mutex<State>,
}

impl TokenSource {
    pub(super) fn new(cfg: &OAuth2, env: &dyn Fn(&str) -> Option<String>) -> Result<TokenSource, HttpError> {
        let secret = match (&cfg.client_secret, &cfg.client_secret_file) {
            (Some(s), _) => Some(Source::Inline(s.clone())),
            (None, Some(f)) => Some(Source::File(f.clone())),
            (None, None) => None,
        };
        let http = HttpClientConfig {
            tls_config: cfg.tls_config.clone(),
            proxy: cfg.proxy.clone(),
            enable_http2: false,
            ..HttpClientConfig::default()
        };
        let client = HttpClient::with_env(&http, env)?;
        Ok(TokenSource { cfg: cfg.clone(), secret, client: Box::new(client), state: Default::default() })
    }

    /// The `Authorization` value for a request (`user_agent`: the request's, also sent to the
    /// token server as prometheus/common does).
    pub(super) async fn header_value(&self, user_agent: Option<&HeaderValue>) -> Result<HeaderValue, HttpError> {
        let secret = match &self.secret {
            Some(s) => s.read().await.map_err(|e| self.error(format!("unable to read oauth2 client secret: {e}")))?,
            None => String::new(),
        };
        let mut state = self.state.lock().await;
        if state.secret.as_deref() != Some(secret.as_str()) {
            *state = State { secret: Some(secret.clone()), ..State::default() };
        }
        if let Some(token) = state.token.as_ref().filter(|t| t.refresh_at.is_none_or(|at| Instant::now() < at)) {
            return Ok(token.value.clone());
        }
        let token = self.retrieve(&secret, &mut state.style, user_agent).await?;
        let value = token.value.clone();
        state.token = Some(token);
        Ok(value)
    }

    /// x/oauth2's `RetrieveToken`: the learned style, or the header then the form.
    async fn retrieve(
        &self,
        secret: &str,
        style: &mut Option<AuthStyle>,
        user_agent: Option<&HeaderValue>,
    ) -> Result<Token, HttpError> {
        if let Some(known) = *style {
            return self.fetch(secret, known, user_agent).await;
        }
        let token = match self.fetch(secret, AuthStyle::InHeader, user_agent).await {
            Ok(token) => (token, AuthStyle::InHeader),
            Err(_) => (self.fetch(secret, AuthStyle::InParams, user_agent).await?, AuthStyle::InParams),
        };
        *style = Some(token.1);
        Ok(token.0)
    }

    async fn fetch(
        &self,
        secret: &str,
        style: AuthStyle,
        user_agent: Option<&HeaderValue>,
    ) -> Result<Token, HttpError> {
        let form = self.form(secret, style)?;
        let mut req = http::Request::post(&self.cfg.token_url)
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| self.error(format!("invalid token_url: {e}")))?;
        if style == AuthStyle::InHeader {
            let pair = format!("{}:{}", query_escape(&self.cfg.client_id), query_escape(secret));
            let text = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
            let mut value =
                HeaderValue::from_str(&text).map_err(|_| self.error("invalid client credentials".into()))?;
            value.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        if let Some(ua) = user_agent {
            req.headers_mut().insert(http::header::USER_AGENT, ua.clone());
        }
        let resp = self.client.post(req).await.map_err(|e| self.error(e.to_string()))?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, MAX_TOKEN_BODY).collect().await;
        let body = body.map_err(|e| self.error(format!("oauth2: cannot fetch token: {e}")))?.to_bytes();
        let content_type = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let answer = parse_answer(content_type.unwrap_or_default(), &body, parts.status.is_success());
        answer.map_err(|e| self.error(e.message(parts.status)))?.into_token().map_err(|e| self.error(e.into()))
    }

    /// The form of a token request (`clientcredentials.tokenSource.Token`, `newTokenRequest`).
    fn form(&self, secret: &str, style: AuthStyle) -> Result<String, HttpError> {
        let mut v = BTreeMap::from([("grant_type".to_string(), "client_credentials".to_string())]);
        if !self.cfg.scopes.is_empty() {
            v.insert("scope".into(), self.cfg.scopes.join(" "));
        }
        for (k, p) in &self.cfg.endpoint_params {
            if v.contains_key(k) && k != "grant_type" {
                return Err(self.error(format!("oauth2: cannot overwrite parameter {k:?}")));
            }
            v.insert(k.clone(), p.clone());
        }
        if style == AuthStyle::InParams {
            if !self.cfg.client_id.is_empty() {
                v.insert("client_id".into(), self.cfg.client_id.clone());
            }
            if !secret.is_empty() {
                v.insert("client_secret".into(), secret.to_string());
            }
        }
        Ok(encode_query(&v.into_iter().collect::<Vec<_>>()))
    }

    fn error(&self, message: String) -> HttpError {
        HttpError::OAuth2 { token_url: redact(&self.cfg.token_url).into_owned(), message }
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    encode_query(&[(s.to_string(), String::new())]).trim_end_matches('=').to_string()
}

/// The fields of a token answer that matter.
#[derive(Debug, Default, PartialEq)]
struct Answer {
    access_token: String,
    token_type: String,
    expires_in: i64,
}

/// Why an answer is no token (x/oauth2's `RetrieveError`, without the body).
#[derive(Debug, PartialEq)]
struct Refused {
    code: String,
    description: String,
    uri: String,
}

impl Refused {
    fn message(&self, status: http::StatusCode) -> String {
        if self.code.is_empty() {
            return format!("oauth2: cannot fetch token: {status}");
        }
        let mut s = format!("oauth2: {:?}", self.code);
        for extra in [&self.description, &self.uri].into_iter().filter(|e| !e.is_empty()) {
            s.push_str(&format!(" {extra:?}"));
        }
        s
    }
}

/// x/oauth2's `doTokenRoundTrip`: a form (`application/x-www-form-urlencoded`, `text/plain`)
/// or JSON answer; a non-2xx status or an `error` field refuses.
fn parse_answer(content_type: &str, body: &[u8], success: bool) -> Result<Answer, Refused> {
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let mut refused = Refused { code: String::new(), description: String::new(), uri: String::new() };
    let answer = if media == "application/x-www-form-urlencoded" || media == "text/plain" {
        let vals = parse_query(&String::from_utf8_lossy(body));
        let get = |k: &str| vals.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        (refused.code, refused.description, refused.uri) = (get("error"), get("error_description"), get("error_uri"));
        let expires_in = get("expires_in").parse().unwrap_or(0);
        Answer { access_token: get("access_token"), token_type: get("token_type"), expires_in }
    } else {
        let Ok(serde_json::Value::Object(json)) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Err(refused);
        };
        let get = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        (refused.code, refused.description, refused.uri) = (get("error"), get("error_description"), get("error_uri"));
        let expires_in = match json.get("expires_in") {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => Some(0),
        };
        let Some(expires_in) = expires_in else { return Err(refused) };
        Answer { access_token: get("access_token"), token_type: get("token_type"), expires_in }
    };
    if !success || !refused.code.is_empty() {
        return Err(refused);
    }
    Ok(answer)
}

impl Answer {
    fn into_token(self) -> Result<Token, &'static str> {
        if self.access_token.is_empty() {
            return Err("oauth2: server response missing access_token");
        }
        let mut value = HeaderValue::from_str(&format!("{} {}", token_type(&self.token_type), self.access_token))
            .map_err(|_| "oauth2: the token is not a valid header value")?;
        value.set_sensitive(true);
        // x/oauth2 clamps `expires_in` to an int32; a token within EXPIRY_DELTA is stale at once.
        let secs = self.expires_in.min(i64::from(i32::MAX));
        let refresh_at = (secs != 0).then(|| {
            let ahead = Duration::from_secs(secs.max(0) as u64).saturating_sub(EXPIRY_DELTA);
            Instant::now() + ahead
        });
        Ok(Token { value, refresh_at })
    }
}

/// x/oauth2's `Token.Type`.
fn token_type(t: &str) -> &str {
    for known in ["Bearer", "MAC", "Basic"] {
        if t.eq_ignore_ascii_case(known) {
            return known;
        }
    }
    if t.is_empty() { "Bearer" } else { t }
}

/// Go's `url.ParseQuery`, leniently: pairs split on `&`, `+` as space, `%XX` decoded.
fn parse_query(s: &str) -> Vec<(String, String)> {
    let decode = |s: &str| super::auth::percent_decode(&s.replace('+', " "));
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_as_x_oauth2_reads_them() {
        let json = br#"{"access_token":"t","token_type":"bearer","expires_in":"3600"}"#;
        let a = parse_answer("application/json", json, true).unwrap();
        assert_eq!((a.access_token.as_str(), a.expires_in), ("t", 3600));
        let form = b"access_token=a%2Bb&token_type=mac&expires_in=60";
        let a = parse_answer("text/plain; charset=utf-8", form, true).unwrap();
        assert_eq!((a.access_token.as_str(), a.token_type.as_str(), a.expires_in), ("a+b", "mac", 60));
        let err = parse_answer("application/json", br#"{"error":"invalid_client","error_description":"no"}"#, false);
        assert_eq!(err.unwrap_err().message(http::StatusCode::UNAUTHORIZED), r#"oauth2: "invalid_client" "no""#);
        let err = parse_answer("application/json", b"<html>secret page</html>", false).unwrap_err();
        assert_eq!(err.message(http::StatusCode::BAD_GATEWAY), "oauth2: cannot fetch token: 502 Bad Gateway");
        let err = parse_answer("application/json", br#"{"error":"slow_down"}"#, true).unwrap_err();
        assert_eq!(err.code, "slow_down", "an error field refuses even with a 200");
    }

    #[test]
    fn token_type_and_missing_token_as_x_oauth2() {
        assert_eq!((token_type("BEARER"), token_type(""), token_type("DPoP")), ("Bearer", "Bearer", "DPoP"));
        let no_token = Answer { access_token: String::new(), ..Answer::default() };
        assert_eq!(no_token.into_token().err(), Some("oauth2: server response missing access_token"));
        let forever = Answer { access_token: "t".into(), ..Answer::default() }.into_token().unwrap();
        assert!(forever.refresh_at.is_none(), "no expires_in: never refreshed");
    }

    #[test]
    fn client_credentials_are_query_escaped_as_go_does() {
        assert_eq!(query_escape("a b/c:d"), "a+b%2Fc%3Ad");
    }
}
