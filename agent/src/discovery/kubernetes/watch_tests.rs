//! Tests of the watch parameters and of the API-server source against an in-process fake.

use super::*;
use crate::config::yaml::{Errors, parse};

fn cfg(text: &str) -> KubernetesSdConfig {
    let mut errors = Errors::default();
    KubernetesSdConfig::parse(&parse(text).unwrap(), "sd", &mut errors).expect("valid config")
}

#[test]
fn refuses_cluster_wide_watch_without_a_node() {
    assert!(matches!(NodeScope::resolve(None, None, false), Err(DiscoveryError::NoNode)));
    assert!(matches!(NodeScope::resolve(None, Some(String::new()), false), Err(DiscoveryError::NoNode)));
    assert_eq!(NodeScope::resolve(None, None, true).unwrap(), NodeScope::Cluster);
    let n = NodeScope::resolve(Some("flag".into()), Some("env".into()), false).unwrap();
    assert_eq!(n, NodeScope::Node("flag".into()));
    assert_eq!(NodeScope::resolve(None, Some("env".into()), false).unwrap(), NodeScope::Node("env".into()));
}

#[test]
fn node_field_selector_is_joined_with_configured_selectors() {
    let c = cfg("role: pod\nselectors:\n  - role: pod\n    label: app=web\n    field: status.phase=Running\n");
    let wc = watcher_config(&c, &NodeScope::Node("n1".into()));
    assert_eq!(wc.field_selector.as_deref(), Some("spec.nodeName=n1,status.phase=Running"));
    assert_eq!(wc.label_selector.as_deref(), Some("app=web"));
    assert!(wc.bookmarks);
    let wc = watcher_config(&cfg("role: pod\n"), &NodeScope::Cluster);
    assert_eq!(wc.field_selector, None);
}

#[test]
fn namespaces_default_to_all_and_include_own_once() {
    assert_eq!(namespaces(&cfg("role: pod\n"), "me"), vec![None]);
    let c = cfg("role: pod\nnamespaces:\n  own_namespace: true\n  names: [me, b]\n");
    assert_eq!(namespaces(&c, "me"), vec![Some("b".to_string()), Some("me".to_string())]);
}
