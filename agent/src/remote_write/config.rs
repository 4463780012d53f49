//! One `remote_write:` entry, read with Prometheus' keys, defaults and header rules.
//!
//! Entry point: [`RemoteWriteConfig::parse`]. Every problem goes to the shared [`Errors`] with its
//! line; nothing here does I/O.

use std::fmt::Write;
use std::time::Duration;

use md5::{Digest, Md5};

use crate::config::yaml::{Errors, Kind, MapReader, Node};
use crate::http_client::HttpClientConfig;
use crate::relabel::RelabelConfig;

/// One `remote_write:` entry with Prometheus' defaults applied.
#[derive(Clone, Debug)]
pub struct RemoteWriteConfig {
    pub url: String,
    /// `name`, or [`default_name`] of the URL; used as the `remote` label of self-metrics.
    pub name: String,
    /// Default 30s.
    pub remote_timeout: Duration,
    pub headers: Vec<(String, String)>,
    pub http: HttpClientConfig,
    pub write_relabel_configs: Vec<RelabelConfig>,
    pub queue_config: QueueConfig,
    /// `protocol: 1.0` (default) or `2.0` (falls back to 1.0 when the backend answers 415).
    pub protocol: Protocol,
}

/// The remote-write wire protocol of one remote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// `prometheus.WriteRequest`.
    #[default]
    V1,
    /// `io.prometheus.write.v2.Request`.
    V2,
}

impl Protocol {
    fn parse(s: &str) -> Option<Protocol> {
        match s {
            "1.0" | "1" | "prometheus.WriteRequest" => Some(Protocol::V1),
            "2.0" | "2" | "io.prometheus.write.v2.Request" => Some(Protocol::V2),
            _ => None,
        }
    }
}

/// `queue_config:` with Prometheus' (2.42) defaults.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// Samples buffered per shard before `append` waits. Default 10000.
    pub capacity: usize,
    /// Default 50.
    pub max_shards: usize,
    /// Default 1.
    pub min_shards: usize,
    /// Default 2000.
    pub max_samples_per_send: usize,
    /// Default 5s.
    pub batch_send_deadline: Duration,
    /// Default 30ms.
    pub min_backoff: Duration,
    /// Default 5s.
    pub max_backoff: Duration,
    /// Accepted for compatibility; 429 is always retried (see the module docs of `retry`).
    pub retry_on_http_429: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 10_000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2_000,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_on_http_429: false,
        }
    }
}

/// Default `remote_timeout`.
pub const DEFAULT_REMOTE_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers Prometheus sets itself or that change the connection (its `reservedHeaders`),
/// lower-cased. `authorization` is refused separately with its own message, as Prometheus does.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// The name of an unnamed remote: the first 6 hex digits of the MD5 of its URL. Stable across
/// restarts and reloads as long as the URL stays (Prometheus hashes the whole entry instead,
/// so its name also changes when e.g. the queue config does).
pub fn default_name(url: &str) -> String {
    let digest = Md5::digest(url.as_bytes());
    let mut s = String::with_capacity(6);
    for b in &digest[..3] {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl RemoteWriteConfig {
    /// Parses one entry at `node` (path like `remote_write[0]`).
    pub fn parse(node: &Node, path: &str, errors: &mut Errors) -> Option<RemoteWriteConfig> {
        parse_with(node, path, errors, HttpClientConfig::parse)
    }
}

/// [`RemoteWriteConfig::parse`] with the `http_config` reader passed in, so the rest can be tested
/// on its own.
pub(crate) fn parse_with(
    node: &Node,
    path: &str,
    errors: &mut Errors,
    http: impl FnOnce(&mut MapReader<'_>) -> HttpClientConfig,
) -> Option<RemoteWriteConfig> {
    let before = errors.0.len();
    let mut r = MapReader::new(node, path, errors);
    let url = read_url(&mut r);
    let name = r.string("name");
    let remote_timeout = r.duration("remote_timeout").unwrap_or(DEFAULT_REMOTE_TIMEOUT);
    let headers = read_headers(&mut r);
    let write_relabel_configs = read_relabel(&mut r);
    let queue_config = match r.get("queue_config") {
        Some(n) => read_queue(n, &r.path_of("queue_config"), r.errors),
        None => QueueConfig::default(),
    };
    if let Some(n) = r.get("metadata_config") {
        read_metadata(n, &r.path_of("metadata_config"), r.errors);
    }
    let protocol = r.parsed("protocol", "1.0 or 2.0", Protocol::parse).unwrap_or_default();
    r.bool("send_exemplars");
    r.bool("send_native_histograms");
    refuse_unsupported(&mut r, &["sigv4", "azuread"]);
    let http = http(&mut r);
    r.finish();
    let url = url.filter(|_| errors.0.len() == before)?;
    let name = name.filter(|n| !n.is_empty()).unwrap_or_else(|| default_name(&url));
    Some(RemoteWriteConfig { url, name, remote_timeout, headers, http, write_relabel_configs, queue_config, protocol })
}

fn read_url(r: &mut MapReader<'_>) -> Option<String> {
    let url = r.required_string("url")?;
    match url.parse::<http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some() => Some(url),
        _ => {
            let node = r.get("url")?;
            let shown = crate::scrape::url::redact(&url);
            r.error(node, "url", format!("{shown:?} is not an http or https URL"));
            None
        }
    }
}

/// The `headers` mapping; each bad header is reported at its own line.
fn read_headers(r: &mut MapReader<'_>) -> Vec<(String, String)> {
    let headers = r.string_map("headers");
    let Some(Node { kind: Kind::Map(pairs), .. }) = r.get("headers") else { return headers };
    for (k, v) in pairs {
        let (Some(name), Some(value)) = (k.as_str(), v.as_str()) else { continue };
        if let Some(msg) = header_problem(name, value) {
            let path = r.path_of(&format!("headers.{name}"));
            r.errors.push(k.line, &path, msg);
        }
    }
    headers
}

fn header_problem(name: &str, value: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" {
        return Some("the authorization header must be set with basic_auth or authorization".into());
    }
    if RESERVED_HEADERS.contains(&lower.as_str()) {
        return Some(format!("{name} is a reserved header. It must not be changed"));
    }
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() || http::HeaderValue::from_str(value).is_err() {
        return Some("is not a valid HTTP header".into());
    }
    None
}

fn read_relabel(r: &mut MapReader<'_>) -> Vec<RelabelConfig> {
    match r.get("write_relabel_configs") {
        Some(n) => crate::relabel::parse_configs(n, &r.path_of("write_relabel_configs"), r.errors),
        None => Vec::new(),
    }
}

fn read_queue(node: &Node, path: &str, errors: &mut Errors) -> QueueConfig {
    let d = QueueConfig::default();
    let mut r = MapReader::new(node, path, errors);
    let q = QueueConfig {
        capacity: positive(&mut r, "capacity").unwrap_or(d.capacity),
        max_shards: positive(&mut r, "max_shards").unwrap_or(d.max_shards),
        min_shards: positive(&mut r, "min_shards").unwrap_or(d.min_shards),
        max_samples_per_send: positive(&mut r, "max_samples_per_send").unwrap_or(d.max_samples_per_send),
        batch_send_deadline: r.duration("batch_send_deadline").unwrap_or(d.batch_send_deadline),
        min_backoff: r.duration("min_backoff").unwrap_or(d.min_backoff),
        max_backoff: r.duration("max_backoff").unwrap_or(d.max_backoff),
        retry_on_http_429: r.bool("retry_on_http_429").unwrap_or(d.retry_on_http_429),
    };
    if q.min_shards > q.max_shards {
        pair_error(&mut r, ["min_shards", "max_shards"], "min_shards must not be greater than max_shards");
    }
    if q.min_backoff > q.max_backoff {
        pair_error(&mut r, ["min_backoff", "max_backoff"], "min_backoff must not be greater than max_backoff");
    }
    r.finish();
    q
}

/// Reports a conflict between two keys at the first of them that is set.
fn pair_error(r: &mut MapReader<'_>, keys: [&'static str; 2], message: &str) {
    let Some((key, node)) = keys.into_iter().find_map(|k| r.get(k).map(|n| (k, n))) else { return };
    r.error(node, key, message);
}

fn positive(r: &mut MapReader<'_>, key: &'static str) -> Option<usize> {
    r.parsed(key, "a positive integer", |s| s.parse::<usize>().ok().filter(|n| *n > 0))
}

/// Metadata is not sent yet (remote write 1.0 metadata is optional); the keys are only checked.
fn read_metadata(node: &Node, path: &str, errors: &mut Errors) {
    let mut r = MapReader::new(node, path, errors);
    r.bool("send");
    r.duration("send_interval");
    r.u64("max_samples_per_send");
    r.finish();
}

fn refuse_unsupported(r: &mut MapReader<'_>, keys: &[&'static str]) {
    for key in keys {
        if let Some(n) = r.get(key) {
            r.error(n, key, "is not supported yet");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn parse(text: &str) -> (Option<RemoteWriteConfig>, Vec<String>) {
        let node = yaml::parse(text).unwrap();
        let mut errors = Errors::default();
        let cfg = parse_with(&node, "remote_write[0]", &mut errors, |_| HttpClientConfig::default());
        (cfg, errors.into_sorted().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn applies_prometheus_defaults() {
        let (cfg, errs) = parse("url: http://vm:8428/api/v1/write\n");
        assert!(errs.is_empty(), "{errs:?}");
        let cfg = cfg.unwrap();
        assert_eq!(cfg.remote_timeout, Duration::from_secs(30));
        assert_eq!(cfg.name, default_name("http://vm:8428/api/v1/write"));
        assert_eq!(cfg.name.len(), 6);
        let q = cfg.queue_config;
        assert_eq!((q.capacity, q.max_shards, q.min_shards, q.max_samples_per_send), (10_000, 50, 1, 2_000));
        assert_eq!((q.min_backoff, q.max_backoff), (Duration::from_millis(30), Duration::from_secs(5)));
        assert_eq!(q.batch_send_deadline, Duration::from_secs(5));
    }

    #[test]
    fn reads_every_supported_key() {
        let text = "url: https://mimir/api/v1/push\nname: mimir\nremote_timeout: 10s\nheaders:\n  X-Scope-OrgID: t1\n\
                    queue_config:\n  capacity: 500\n  max_shards: 4\n  min_shards: 2\n  max_samples_per_send: 100\n  \
                    batch_send_deadline: 1s\n  min_backoff: 10ms\n  max_backoff: 1s\n  retry_on_http_429: true\n\
                    metadata_config:\n  send: false\n  send_interval: 1m\n  max_samples_per_send: 10\n\
                    send_exemplars: true\nsend_native_histograms: false\nprotocol: 2.0\n";
        let (cfg, errs) = parse(text);
        assert!(errs.is_empty(), "{errs:?}");
        let cfg = cfg.unwrap();
        assert_eq!((cfg.name.as_str(), cfg.remote_timeout), ("mimir", Duration::from_secs(10)));
        assert_eq!(cfg.headers, vec![("X-Scope-OrgID".to_string(), "t1".to_string())]);
        let q = cfg.queue_config;
        assert_eq!((q.capacity, q.max_shards, q.min_shards, q.max_samples_per_send), (500, 4, 2, 100));
        assert!(q.retry_on_http_429);
        assert_eq!(cfg.protocol, Protocol::V2);
    }

    #[test]
    fn reports_every_error_with_its_line() {
        let text = "url: ftp://x\nheaders:\n  Content-Type: text/plain\n  authorization: Bearer x\n\
                    queue_config:\n  capacity: 0\n  min_shards: 9\n  max_shards: 3\n  bogus: 1\nsigv4: {}\nwat: 1\n";
        let (cfg, errs) = parse(text);
        assert!(cfg.is_none());
        let expected = [
            "line 1: remote_write[0].url: \"ftp://x\" is not an http or https URL",
            "line 3: remote_write[0].headers.Content-Type: Content-Type is a reserved header. It must not be changed",
            "line 4: remote_write[0].headers.authorization: the authorization header must be set with basic_auth or authorization",
            "line 6: remote_write[0].queue_config.capacity: expected a positive integer, found \"0\"",
            "line 7: remote_write[0].queue_config.min_shards: min_shards must not be greater than max_shards",
            "line 9: remote_write[0].queue_config.bogus: unknown field \"bogus\"",
            "line 10: remote_write[0].sigv4: is not supported yet",
            "line 11: remote_write[0].wat: unknown field \"wat\"",
        ];
        assert_eq!(errs, expected);
    }

    #[test]
    fn url_is_required() {
        let (cfg, errs) = parse("name: x\n");
        assert!(cfg.is_none());
        assert_eq!(errs, ["line 1: remote_write[0].url: is required"]);
    }

    #[test]
    fn default_name_is_stable() {
        assert_eq!(default_name("http://a/"), default_name("http://a/"));
        assert_ne!(default_name("http://a/"), default_name("http://b/"));
    }
}
