//! One `kubernetes_sd_configs:` entry, read with Prometheus' keys and validation messages.
//!
//! Entry point: [`KubernetesSdConfig::parse`], which records every problem in [`Errors`] (with
//! its line) instead of stopping. Only role `pod` is supported; other roles are an error. Of the
//! HTTP client keys, only bearer-token auth and a CA / server name / skip-verify TLS setting are
//! read (for an explicit `api_server`); the others are rejected as "not supported yet".
//!
//! scrapelet extension: `pod_source: api | kubelet` (default `api`) and, for `kubelet`, a
//! `kubelet:` mapping ([`KubeletSource`]) read in the same pass, with the same error reporting.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::yaml::{Errors, MapReader, Node};

/// The roles Prometheus knows; only [`Role::Pod`] is implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Pod,
}

const OTHER_ROLES: [&str; 5] = ["service", "endpoints", "endpointslice", "node", "ingress"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceDiscovery {
    /// Also watch the agent's own namespace (service-account or kubeconfig-context namespace).
    pub own_namespace: bool,
    pub names: Vec<String>,
}

/// A `selectors:` entry: extra label / field selectors sent to the API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub role: Role,
    pub label: Option<String>,
    pub field: Option<String>,
}

/// `attach_metadata:` (Prometheus 3: `node`, `namespace`, `deployment`, `job`, `cronjob`).
/// Accepted; no metadata is attached yet: each key set to true is listed in `requested` (its
/// path and line) so that loading warns about it.
#[derive(Clone, Debug, Default)]
pub struct AttachMetadata {
    pub node: bool,
    pub requested: Vec<(String, usize)>,
}

/// Equal settings, wherever in the file they are (a reload keeps a pod source whose settings
/// did not change, even if lines above it did).
impl PartialEq for AttachMetadata {
    fn eq(&self, other: &Self) -> bool {
        let keys = |a: &AttachMetadata| -> Vec<String> {
            a.requested.iter().map(|(p, _)| p.rsplit('.').next().unwrap_or("").to_string()).collect()
        };
        self.node == other.node && keys(self) == keys(other)
    }
}

impl Eq for AttachMetadata {}

/// The HTTP client settings used with an explicit `api_server`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiHttp {
    pub bearer_token: Option<crate::config::Secret>,
    pub bearer_token_file: Option<String>,
    pub ca_file: Option<String>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
}

impl ApiHttp {
    fn is_set(&self) -> bool {
        *self != ApiHttp::default()
    }
}

/// Where the pods come from (`pod_source:`, a scrapelet extension).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PodSource {
    /// Watch the API server with `spec.nodeName=<node>` (works on every cluster).
    #[default]
    Api,
    /// Poll this node's kubelet `GET /pods` (no API-server load; `nodes/pods`, Kubernetes 1.33+).
    Kubelet(KubeletSource),
}

/// Service-account files every pod gets; the kubelet source's default credentials.
pub const SA_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
pub const SA_CA_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
pub const DEFAULT_KUBELET_TIMEOUT: Duration = Duration::from_secs(10);

/// `kubelet:`: how to reach this node's kubelet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeletSource {
    /// `None`: `https://$NODE_IP:10250`, resolved when the source starts.
    pub url: Option<String>,
    pub poll_interval: Duration,
    /// For the whole request, body included.
    pub timeout: Duration,
    /// Defaults: the service-account token file and CA.
    pub http: ApiHttp,
}

impl Default for KubeletSource {
    fn default() -> Self {
        KubeletSource {
            url: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_KUBELET_TIMEOUT,
            http: ApiHttp {
                bearer_token_file: Some(SA_TOKEN_FILE.into()),
                ca_file: Some(SA_CA_FILE.into()),
                ..ApiHttp::default()
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubernetesSdConfig {
    pub role: Role,
    pub namespaces: NamespaceDiscovery,
    pub selectors: Vec<Selector>,
    pub kubeconfig_file: Option<PathBuf>,
    pub api_server: Option<String>,
    pub attach_metadata: AttachMetadata,
    pub http: ApiHttp,
    pub pod_source: PodSource,
}

/// HTTP client keys of Prometheus' inline `HTTPClientConfig` that we do not read yet. The API
/// server is reached with kube-rs' client, not `http_client`, so `oauth2` and the proxy keys the
/// scrape and remote-write client accept are refused here still.
const UNSUPPORTED_HTTP_KEYS: [&str; 10] = [
    "basic_auth",
    "oauth2",
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
    "follow_redirects",
    "enable_http2",
    "http_headers",
    "authorization",
];

impl KubernetesSdConfig {
    /// Reads one entry at `path` (e.g. `scrape_configs[0].kubernetes_sd_configs[0]`).
    /// `None` when the entry has errors; they are all in `errors`.
    pub fn parse(node: &Node, path: &str, errors: &mut Errors) -> Option<Self> {
        let before = errors.0.len();
        let mut r = MapReader::new(node, path, errors);
        let role = read_role(&mut r, "role", true);
        let namespaces = read_namespaces(&mut r);
        let selectors = read_selectors(&mut r, role);
        let kubeconfig_file = r.string("kubeconfig_file").map(PathBuf::from);
        let api_server = r.string("api_server");
        let attach_metadata = read_attach_metadata(&mut r);
        let http = read_http(&mut r);
        let pod_source = read_pod_source(&mut r);
        if matches!(pod_source, PodSource::Kubelet(_)) {
            check_kubelet_compatible(&mut r, &selectors);
        } else {
            check_api_client(&mut r, &kubeconfig_file, &api_server, &http);
        }
        r.finish();
        let cfg = KubernetesSdConfig {
            role: role?,
            namespaces,
            selectors,
            kubeconfig_file,
            api_server,
            attach_metadata,
            http,
            pod_source,
        };
        (errors.0.len() == before).then_some(cfg)
    }
}

/// Prometheus' checks of the API-server client keys.
fn check_api_client(r: &mut MapReader, kubeconfig_file: &Option<PathBuf>, api_server: &Option<String>, http: &ApiHttp) {
    let (line, p) = (r.line(), r.path_of(""));
    let p = p.trim_end_matches('.');
    if kubeconfig_file.is_some() && api_server.is_some() {
        r.errors.push(line, p, "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
    }
    if http.is_set() && kubeconfig_file.is_some() {
        r.errors.push(line, p, "cannot use custom HTTP client configuration together with 'kubeconfig_file'");
    } else if http.is_set() && api_server.is_none() {
        r.errors.push(
            line,
            p,
            "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
        );
    }
}

/// `role:`; `required` adds "is required" when missing.
fn read_role(r: &mut MapReader, key: &'static str, required: bool) -> Option<Role> {
    let node = r.get(key);
    let value = if required { r.required_string(key) } else { r.string(key) }?;
    match value.to_lowercase().as_str() {
        "pod" => Some(Role::Pod),
        other if OTHER_ROLES.contains(&other) => {
            r.error(node?, key, format!("role {value} not supported yet"));
            None
        }
        _ => {
            r.error(node?, key, format!("unknown Kubernetes SD role {value:?}"));
            None
        }
    }
}

fn read_namespaces(r: &mut MapReader) -> NamespaceDiscovery {
    let Some(node) = r.get("namespaces") else { return NamespaceDiscovery::default() };
    let path = r.path_of("namespaces");
    let mut n = MapReader::new(node, &path, r.errors);
    let own_namespace = n.bool("own_namespace").unwrap_or(false);
    let names = n.strings("names");
    n.finish();
    NamespaceDiscovery { own_namespace, names }
}

fn read_selectors(r: &mut MapReader, role: Option<Role>) -> Vec<Selector> {
    let mut out: Vec<Selector> = Vec::new();
    for (i, item) in r.list("selectors") {
        let path = r.path_of(&format!("selectors[{i}]"));
        let mut s = MapReader::new(item, &path, r.errors);
        let sel_role = read_role(&mut s, "role", true);
        let label = s.string("label");
        let field = s.string("field");
        if sel_role.is_some() && out.iter().any(|o| Some(o.role) == sel_role) {
            s.errors.push(item.line, &path, "duplicated selector role: pod");
        }
        s.finish();
        if let (Some(sel_role), Some(_)) = (sel_role, role) {
            out.push(Selector { role: sel_role, label, field });
        }
    }
    out
}

fn read_attach_metadata(r: &mut MapReader) -> AttachMetadata {
    let Some(node) = r.get("attach_metadata") else { return AttachMetadata::default() };
    let path = r.path_of("attach_metadata");
    let mut a = MapReader::new(node, &path, r.errors);
    let mut requested = Vec::new();
    let mut flag = |a: &mut MapReader, key: &'static str| {
        let on = a.bool(key).unwrap_or(false);
        if on {
            requested.push((a.path_of(key), a.key_line(key).unwrap_or(a.line())));
        }
        on
    };
    let node = flag(&mut a, "node");
    for key in ["namespace", "deployment", "job", "cronjob"] {
        flag(&mut a, key);
    }
    a.finish();
    AttachMetadata { node, requested }
}

fn read_http(r: &mut MapReader) -> ApiHttp {
    for key in UNSUPPORTED_HTTP_KEYS {
        if let Some(n) = r.get(key) {
            r.error(n, key, "not supported yet in kubernetes_sd_configs");
        }
    }
    let mut http = ApiHttp {
        bearer_token: r.string("bearer_token").map(Into::into),
        bearer_token_file: r.string("bearer_token_file"),
        ..ApiHttp::default()
    };
    if let Some(node) = r.get("tls_config") {
        let path = r.path_of("tls_config");
        let mut t = MapReader::new(node, &path, r.errors);
        http.ca_file = t.string("ca_file");
        http.server_name = t.string("server_name");
        http.insecure_skip_verify = t.bool("insecure_skip_verify").unwrap_or(false);
        t.finish();
    }
    if http.bearer_token.is_some() && http.bearer_token_file.is_some() {
        let line = r.line();
        let path = r.path_of("bearer_token");
        r.errors.push(line, &path, "at most one of bearer_token & bearer_token_file must be configured");
    }
    http
}

/// `pod_source:` and `kubelet:`. A `kubelet:` mapping without `pod_source: kubelet` is an error
/// (it would silently do nothing).
fn read_pod_source(r: &mut MapReader) -> PodSource {
    let kind = r.get("pod_source");
    let is_kubelet = match r.string("pod_source").as_deref() {
        None | Some("api") => false,
        Some("kubelet") => true,
        Some(other) => {
            r.error(
                kind.expect("present"),
                "pod_source",
                format!("unknown pod_source {other:?}: expected api or kubelet"),
            );
            false
        }
    };
    let node = r.get("kubelet");
    match (is_kubelet, node) {
        (true, Some(n)) => PodSource::Kubelet(read_kubelet(n, &r.path_of("kubelet"), r.errors)),
        (true, None) => PodSource::Kubelet(KubeletSource::default()),
        (false, Some(n)) => {
            r.error(n, "kubelet", "only used with pod_source: kubelet");
            PodSource::Api
        }
        (false, None) => PodSource::Api,
    }
}

fn read_kubelet(node: &Node, path: &str, errors: &mut Errors) -> KubeletSource {
    let mut k = MapReader::new(node, path, errors);
    let url = k.string("url");
    if let Some(u) = &url
        && let Err(message) = check_url(u)
    {
        k.error(node, "url", message);
    }
    let poll_interval = positive_duration(&mut k, node, "poll_interval").unwrap_or(DEFAULT_POLL_INTERVAL);
    let timeout = positive_duration(&mut k, node, "timeout").unwrap_or(DEFAULT_KUBELET_TIMEOUT);
    let mut http = read_http(&mut k);
    if http.bearer_token.is_none() && http.bearer_token_file.is_none() {
        http.bearer_token_file = Some(SA_TOKEN_FILE.into());
    }
    if http.ca_file.is_none() && !http.insecure_skip_verify {
        http.ca_file = Some(SA_CA_FILE.into());
    }
    k.finish();
    KubeletSource { url, poll_interval, timeout, http }
}

/// An absolute `http(s)://host[:port]` URL; `/pods` is appended to its path.
fn check_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(()),
        _ => Err(format!("invalid URL {url:?}: expected http(s)://host[:port]")),
    }
}

fn positive_duration(r: &mut MapReader, node: &Node, key: &'static str) -> Option<Duration> {
    let d = r.duration(key)?;
    if d.is_zero() {
        r.error(node, key, "must be greater than 0");
        return None;
    }
    Some(d)
}

/// The API-server keys mean nothing to the kubelet source: say so rather than ignore them.
fn check_kubelet_compatible(r: &mut MapReader, selectors: &[Selector]) {
    for key in ["api_server", "kubeconfig_file", "bearer_token", "bearer_token_file", "tls_config"] {
        if let Some(line) = r.key_line(key) {
            let path = r.path_of(key);
            r.errors.push(line, &path, "not used with pod_source: kubelet (set it under kubelet:)");
        }
    }
    if !selectors.is_empty()
        && let Some(line) = r.key_line("selectors")
    {
        let path = r.path_of("selectors");
        r.errors.push(line, &path, "selectors are not supported with pod_source: kubelet yet");
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
