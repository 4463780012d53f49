//! One `remote_write:` entry, read with Prometheus' keys, defaults and header rules.
//!
//! Entry point: [`RemoteWriteConfig::parse`]. Every problem goes to the shared [`Errors`] with its
//! line; nothing here does I/O.

use std::fmt::Write;
use std::time::Duration;

use md5::{Digest, Md5};

use crate::config::IgnoredKey;
use crate::config::yaml::{Errors, Kind, MapReader, Node};
use crate::http_client::HttpClientConfig;
use crate::labels::NameValidation;
use crate::relabel::{self, RelabelConfig};

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
    /// `protobuf_message: prometheus.WriteRequest` (default) or `io.prometheus.write.v2.Request`
    /// as in Prometheus 3; `protocol: 1.0` / `2.0` is scrapelet's older spelling of the same.
    /// 2.0 falls back to 1.0 when the backend answers 415 or a 2xx without the written counts.
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
    /// Samples older than this are dropped (reason `too_old`) when read from the WAL, and a
    /// request whose samples have all grown older than this while it was retried is given up.
    /// `None`: never (the default).
    pub sample_age_limit: Option<Duration>,
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
            sample_age_limit: None,
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

/// What a `remote_write` entry is read under: the global name validation scheme (for
/// `write_relabel_configs`, as Prometheus checks them) and where keys accepted with a caveat go.
pub struct ParseContext<'a> {
    pub validation: NameValidation,
    pub warnings: &'a mut Vec<IgnoredKey>,
}

impl RemoteWriteConfig {
    /// Parses one entry at `node` (path like `remote_write[0]`).
    pub fn parse(node: &Node, path: &str, errors: &mut Errors, cx: &mut ParseContext<'_>) -> Option<RemoteWriteConfig> {
        parse_with(node, path, errors, cx, HttpClientConfig::parse)
    }
}

/// [`RemoteWriteConfig::parse`] with the `http_config` reader passed in, so the rest can be tested
/// on its own.
pub(crate) fn parse_with(
    node: &Node,
    path: &str,
    errors: &mut Errors,
    cx: &mut ParseContext<'_>,
    http: impl FnOnce(&mut MapReader<'_>) -> HttpClientConfig,
) -> Option<RemoteWriteConfig> {
    let before = errors.0.len();
    let mut r = MapReader::new(node, path, errors);
    let url = read_url(&mut r);
    let name = r.string("name");
    let remote_timeout = r.duration("remote_timeout").unwrap_or(DEFAULT_REMOTE_TIMEOUT);
    let headers = read_headers(&mut r);
    let write_relabel_configs = match r.get("write_relabel_configs") {
        Some(n) => relabel::parse_configs_with(n, &r.path_of("write_relabel_configs"), cx.validation, r.errors),
        None => Vec::new(),
    };
    let queue_config = match r.get("queue_config") {
        Some(n) => read_queue(n, &r.path_of("queue_config"), r.errors),
        None => QueueConfig::default(),
    };
    if let Some(n) = r.get("metadata_config") {
        read_metadata(n, &r.path_of("metadata_config"), r.errors, cx.warnings);
    }
    let protocol = read_protocol(&mut r);
    let round_robin_dns = r.bool("round_robin_dns").unwrap_or(false);
    let caveats: [(&'static str, &str); 3] = [
        ("send_exemplars", "accepted, but no exemplars are sent: they are not scraped yet"),
        (
            "send_native_histograms",
            "accepted, but no native histograms are sent: they are not scraped yet (the protobuf format is not read)",
        ),
        ("failed_request_logging", "accepted, but failed requests are not logged in full"),
    ];
    for (key, reason) in caveats {
        warn_if_true(&mut r, key, reason, cx.warnings);
    }
    refuse_unsupported(&mut r, &["sigv4", "azuread", "google_iam"]);
    let http = HttpClientConfig { round_robin_dns, ..http(&mut r) };
    r.finish();
    let url = url.filter(|_| errors.0.len() == before)?;
    let name = name.filter(|n| !n.is_empty()).unwrap_or_else(|| default_name(&url));
    Some(RemoteWriteConfig { url, name, remote_timeout, headers, http, write_relabel_configs, queue_config, protocol })
}

/// `protobuf_message` (Prometheus 3) or `protocol` (scrapelet's spelling); both may be given if
/// they agree.
fn read_protocol(r: &mut MapReader<'_>) -> Protocol {
    let message = r.parsed("protobuf_message", "prometheus.WriteRequest or io.prometheus.write.v2.Request", |s| {
        matches!(s, "prometheus.WriteRequest" | "io.prometheus.write.v2.Request").then(|| Protocol::parse(s)).flatten()
    });
    let protocol = r.parsed("protocol", "1.0 or 2.0", Protocol::parse);
    if let (Some(m), Some(p)) = (message, protocol)
        && m != p
        && let Some(node) = r.get("protocol")
    {
        r.error(node, "protocol", "disagrees with protobuf_message (protocol is scrapelet's older spelling of it)");
    }
    message.or(protocol).unwrap_or_default()
}

fn read_url(r: &mut MapReader<'_>) -> Option<String> {
    let url = r.required_string("url")?;
    match url.parse::<http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some() => Some(url),
        _ => {
            let node = r.get("url")?;
            let shown = crate::http_client::url::redact(&url);
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

/// Records `key` in `warnings` with `reason` if it is set to true.
fn warn_if_true(r: &mut MapReader<'_>, key: &'static str, reason: &str, warnings: &mut Vec<IgnoredKey>) {
    if r.bool(key) == Some(true) {
        let line = r.key_line(key).unwrap_or(r.line());
        warnings.push(IgnoredKey { line, path: r.path_of(key), reason: reason.to_string() });
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
        sample_age_limit: r.duration("sample_age_limit").filter(|d| !d.is_zero()),
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

/// Metadata is not sent yet (remote write 1.0 metadata is optional); the keys are checked, and a
/// `metadata_config` that asks for it (`send` is true by default) is warned about.
fn read_metadata(node: &Node, path: &str, errors: &mut Errors, warnings: &mut Vec<IgnoredKey>) {
    let mut r = MapReader::new(node, path, errors);
    if r.bool("send").unwrap_or(true) {
        let line = r.key_line("send").unwrap_or(node.line);
        let reason = "accepted, but metadata is not sent yet".to_string();
        warnings.push(IgnoredKey { line, path: r.path_of("send"), reason });
    }
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
        let (cfg, errors, _) = parse_warned(text, NameValidation::Utf8);
        (cfg, errors)
    }

    /// The config, the errors, and the warnings (`line N: path: reason`).
    fn parse_warned(text: &str, validation: NameValidation) -> (Option<RemoteWriteConfig>, Vec<String>, Vec<String>) {
        let node = yaml::parse(text).unwrap();
        let (mut errors, mut warnings) = (Errors::default(), Vec::new());
        let mut cx = ParseContext { validation, warnings: &mut warnings };
        let cfg = parse_with(&node, "remote_write[0]", &mut errors, &mut cx, |_| HttpClientConfig::default());
        let warnings = warnings.iter().map(|w| format!("line {}: {}: {}", w.line, w.path, w.reason)).collect();
        (cfg, errors.into_sorted().iter().map(ToString::to_string).collect(), warnings)
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
    fn prometheus_3_keys_select_the_message_and_the_age_limit() {
        let (cfg, errs) = parse(
            "url: http://a/\nprotobuf_message: io.prometheus.write.v2.Request\nqueue_config:\n  sample_age_limit: 30m\n",
        );
        assert!(errs.is_empty(), "{errs:?}");
        let cfg = cfg.unwrap();
        assert_eq!((cfg.protocol, cfg.queue_config.sample_age_limit), (Protocol::V2, Some(Duration::from_secs(1800))));
        let (cfg, _) = parse("url: http://a/\nprotobuf_message: prometheus.WriteRequest\nprotocol: \"1.0\"\n");
        assert_eq!(cfg.unwrap().protocol, Protocol::V1, "both spellings, agreeing");
        assert_eq!(parse("url: http://a/\n").0.unwrap().queue_config.sample_age_limit, None);
        let (cfg, errs) = parse("url: http://a/\nprotobuf_message: \"2.0\"\n");
        assert!(cfg.is_none());
        assert_eq!(
            errs,
            [
                "line 2: remote_write[0].protobuf_message: expected prometheus.WriteRequest or io.prometheus.write.v2.Request, found \"2.0\""
            ]
        );
        let (_, errs) = parse("url: http://a/\nprotobuf_message: io.prometheus.write.v2.Request\nprotocol: \"1.0\"\n");
        assert_eq!(
            errs,
            [
                "line 3: remote_write[0].protocol: disagrees with protobuf_message (protocol is scrapelet's older spelling of it)"
            ]
        );
    }

    #[test]
    fn keys_that_change_nothing_yet_are_warned_and_write_relabelling_follows_the_global_scheme() {
        let text = "url: http://a/\nsend_exemplars: true\nsend_native_histograms: false\nround_robin_dns: true\n\
                    metadata_config:\n  send_interval: 1m\nwrite_relabel_configs:\n  - target_label: utf-8.label\n    \
                    replacement: x\n";
        let (cfg, errs, warnings) = parse_warned(text, NameValidation::Utf8);
        assert!(cfg.is_some() && errs.is_empty(), "{errs:?}");
        assert_eq!(
            warnings,
            [
                "line 6: remote_write[0].metadata_config.send: accepted, but metadata is not sent yet",
                "line 2: remote_write[0].send_exemplars: accepted, but no exemplars are sent: they are not scraped yet",
            ]
        );
        assert!(cfg.unwrap().http.round_robin_dns);
        let (cfg, errs, _) = parse_warned(text, NameValidation::Legacy);
        assert!(cfg.is_none());
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("line 8: remote_write[0].write_relabel_configs[0]"), "{errs:?}");
        let (_, errs, _) = parse_warned("url: http://a/\ngoogle_iam: {}\n", NameValidation::Utf8);
        assert_eq!(errs, ["line 2: remote_write[0].google_iam: is not supported yet"]);
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
