//! One `kubernetes_sd_configs:` entry, read with Prometheus' keys and validation messages.
//!
//! Entry point: [`KubernetesSdConfig::parse`], which records every problem in [`Errors`] (with
//! its line) instead of stopping. Only role `pod` is supported; other roles are an error. Of the
//! HTTP client keys, only bearer-token auth and a CA / server name / skip-verify TLS setting are
//! read (for an explicit `api_server`); the others are rejected as "not supported yet".

use std::path::PathBuf;

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

/// `attach_metadata:`. Accepted for compatibility; node metadata is not attached yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachMetadata {
    pub node: bool,
}

/// The HTTP client settings used with an explicit `api_server`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiHttp {
    pub bearer_token: Option<String>,
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubernetesSdConfig {
    pub role: Role,
    pub namespaces: NamespaceDiscovery,
    pub selectors: Vec<Selector>,
    pub kubeconfig_file: Option<PathBuf>,
    pub api_server: Option<String>,
    pub attach_metadata: AttachMetadata,
    pub http: ApiHttp,
}

/// HTTP client keys of Prometheus' inline `HTTPClientConfig` that we do not read yet.
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
        r.finish();
        let cfg = KubernetesSdConfig {
            role: role?,
            namespaces,
            selectors,
            kubeconfig_file,
            api_server,
            attach_metadata,
            http,
        };
        (errors.0.len() == before).then_some(cfg)
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
    let node = a.bool("node").unwrap_or(false);
    a.finish();
    AttachMetadata { node }
}

fn read_http(r: &mut MapReader) -> ApiHttp {
    for key in UNSUPPORTED_HTTP_KEYS {
        if let Some(n) = r.get(key) {
            r.error(n, key, "not supported yet in kubernetes_sd_configs");
        }
    }
    let mut http = ApiHttp {
        bearer_token: r.string("bearer_token"),
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

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
