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
