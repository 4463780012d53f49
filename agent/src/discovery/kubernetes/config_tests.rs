//! Tests of `KubernetesSdConfig::parse`.

use super::*;
use crate::config::yaml::parse;

fn read(text: &str) -> Result<KubernetesSdConfig, Vec<String>> {
    let node = parse(text).unwrap();
    let mut errors = Errors::default();
    let cfg = KubernetesSdConfig::parse(&node, "sd[0]", &mut errors);
    match cfg {
        Some(c) if errors.is_empty() => Ok(c),
        _ => Err(errors.into_sorted().iter().map(|e| e.to_string()).collect()),
    }
}

#[test]
fn reads_prometheus_keys() {
    let cfg = read(
        "role: pod\nnamespaces:\n  own_namespace: true\n  names: [a, b]\nselectors:\n  - role: pod\n    label: app=web\n    field: status.phase=Running\nattach_metadata:\n  node: true\n",
    )
    .unwrap();
    assert_eq!(cfg.role, Role::Pod);
    assert_eq!(cfg.namespaces, NamespaceDiscovery { own_namespace: true, names: vec!["a".into(), "b".into()] });
    assert_eq!(cfg.selectors[0].label.as_deref(), Some("app=web"));
    assert_eq!(cfg.selectors[0].field.as_deref(), Some("status.phase=Running"));
    assert!(cfg.attach_metadata.node);
    assert_eq!(cfg.kubeconfig_file, None);
}

#[test]
fn role_is_required_and_only_pod_is_supported() {
    assert!(read("namespaces: {names: [a]}\n").unwrap_err()[0].contains("role: is required"));
    assert!(read("role: service\n").unwrap_err()[0].contains("role service not supported yet"));
    assert!(read("role: pods\n").unwrap_err()[0].contains("unknown Kubernetes SD role"));
}

#[test]
fn collects_every_error_with_its_line() {
    let errs = read("role: pod\nkubeconfig_file: /k\napi_server: https://x\nbogus: 1\nbasic_auth: {username: a}\n")
        .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("simultaneously")), "{errs:?}");
    assert!(errs.iter().any(|e| e.starts_with("line 4") && e.contains("unknown field")), "{errs:?}");
    assert!(errs.iter().any(|e| e.starts_with("line 5") && e.contains("not supported yet")), "{errs:?}");
}

#[test]
fn http_settings_need_api_server() {
    let errs = read("role: pod\nbearer_token_file: /t\n").unwrap_err();
    assert!(errs[0].contains("provide the 'api_server'"), "{errs:?}");
    let cfg =
        read("role: pod\napi_server: https://10.0.0.1\nbearer_token_file: /t\ntls_config: {ca_file: /ca}\n").unwrap();
    assert_eq!(cfg.http.bearer_token_file.as_deref(), Some("/t"));
    assert_eq!(cfg.http.ca_file.as_deref(), Some("/ca"));
}

#[test]
fn duplicated_selector_roles_are_rejected() {
    let errs =
        read("role: pod\nselectors:\n  - role: pod\n    label: a=b\n  - role: pod\n    field: c=d\n").unwrap_err();
    assert!(errs[0].contains("duplicated selector role"), "{errs:?}");
}

#[test]
fn pod_source_defaults_to_the_api_watch() {
    assert_eq!(read("role: pod\n").unwrap().pod_source, PodSource::Api);
    assert_eq!(read("role: pod\npod_source: api\n").unwrap().pod_source, PodSource::Api);
}

#[test]
fn kubelet_source_defaults_to_node_ip_and_the_service_account() {
    let PodSource::Kubelet(k) = read("role: pod\npod_source: kubelet\n").unwrap().pod_source else { panic!() };
    assert_eq!(k, KubeletSource::default());
    assert_eq!(k.url, None);
    assert_eq!(k.poll_interval, DEFAULT_POLL_INTERVAL);
    assert_eq!(k.http.bearer_token_file.as_deref(), Some(SA_TOKEN_FILE));
    assert_eq!(k.http.ca_file.as_deref(), Some(SA_CA_FILE));
}

#[test]
fn kubelet_source_reads_its_own_keys() {
    let cfg = read(
        "role: pod\npod_source: kubelet\nkubelet:\n  url: https://10.0.0.1:10250\n  poll_interval: 2s\n  timeout: 1s\n  bearer_token_file: /t\n  tls_config:\n    ca_file: /ca\n    server_name: node-a\n",
    )
    .unwrap();
    let PodSource::Kubelet(k) = cfg.pod_source else { panic!() };
    assert_eq!(k.url.as_deref(), Some("https://10.0.0.1:10250"));
    assert_eq!((k.poll_interval, k.timeout), (Duration::from_secs(2), Duration::from_secs(1)));
    assert_eq!(k.http.bearer_token_file.as_deref(), Some("/t"));
    assert_eq!(k.http.ca_file.as_deref(), Some("/ca"));
    assert_eq!(k.http.server_name.as_deref(), Some("node-a"));
    let cfg = read("role: pod\npod_source: kubelet\nkubelet: {tls_config: {insecure_skip_verify: true}}\n").unwrap();
    let PodSource::Kubelet(k) = cfg.pod_source else { panic!() };
    assert_eq!(k.http.ca_file, None, "no default CA when verification is off");
}

#[test]
fn kubelet_source_errors_have_lines() {
    let errs = read(
        "role: pod\npod_source: kubelet\napi_server: https://x\nkubelet:\n  url: ftp://x\n  poll_interval: 0s\n  bogus: 1\n",
    )
    .unwrap_err();
    let has = |line: usize, text: &str| errs.iter().any(|e| e.starts_with(&format!("line {line}")) && e.contains(text));
    assert!(has(3, "not used with pod_source: kubelet"), "{errs:?}");
    assert!(has(5, "expected http(s)://host"), "{errs:?}");
    assert!(has(6, "greater than 0"), "{errs:?}");
    assert!(has(7, "unknown field"), "{errs:?}");
    assert!(read("role: pod\npod_source: scraper\n").unwrap_err()[0].contains("expected api or kubelet"));
    assert!(read("role: pod\nkubelet: {}\n").unwrap_err()[0].contains("only used with pod_source: kubelet"));
    let errs = read("role: pod\npod_source: kubelet\nselectors:\n  - role: pod\n    label: a=b\n").unwrap_err();
    assert!(errs[0].contains("not supported with pod_source: kubelet"), "{errs:?}");
}
