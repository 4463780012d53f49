//! The embedded default configurations used when `run` gets no `--config`: in a cluster the
//! common `kubernetes-pods` job over this node's pods, elsewhere a local one.

use crate::config::Config;

/// In a cluster: scrape this node's pods annotated `prometheus.io/scrape: "true"`.
pub const KUBERNETES: &str = include_str!("default-kubernetes.yml");

/// Outside a cluster: the agent itself, a node exporter and a Tomcat (jmx plugin) on this host.
const LOCAL: &str = include_str!("default-local.yml");

/// The default for where the agent runs (`KUBERNETES_SERVICE_HOST` set = in a cluster), writing
/// to `$REMOTE_WRITE_URL` (default `http://127.0.0.1:9090/api/v1/write`).
pub fn default_config(listen_port: u16) -> Config {
    let in_cluster = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some();
    embedded(if in_cluster { KUBERNETES } else { LOCAL }, listen_port)
}

/// The cluster default, whatever the environment (for `scrapelet discover`).
pub fn kubernetes_default() -> Config {
    embedded(KUBERNETES, 0)
}

fn embedded(text: &str, listen_port: u16) -> Config {
    let url = std::env::var("REMOTE_WRITE_URL").unwrap_or_else(|_| "http://127.0.0.1:9090/api/v1/write".into());
    let plugins = std::env::var("SCRAPELET_PLUGIN_DIR").unwrap_or_else(|_| "/usr/lib/scrapelet/plugins".into());
    let text = text
        .replace("${REMOTE_WRITE_URL}", &url)
        .replace("${LISTEN_PORT}", &listen_port.to_string())
        .replace("${SCRAPELET_PLUGIN_DIR}", &plugins);
    Config::from_yaml(&text).unwrap_or_else(|e| panic!("embedded default config is invalid: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        assert_eq!(kubernetes_default().scrape_configs[0].kubernetes_sd_configs.len(), 1);
        let local = embedded(LOCAL, 9271);
        assert_eq!(local.scrape_configs.len(), 3);
        assert_eq!(local.scrape_configs[2].exporter.as_deref(), Some("jmx"));
        let rules = &local.plugins[0].config["rules_sets"]["tomcat"];
        assert_eq!(rules["rules"][0]["name"], "tomcat_$3_total");
        assert_eq!(rules["lowercaseOutputName"], true);
    }

    /// The pod targets the cluster default makes of one pod (ports 8080 and 8778) with these
    /// annotations.
    fn targets(annotations: serde_json::Value) -> Vec<crate::scrape::Target> {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "demo-1", "namespace": "shop", "annotations": annotations},
            "spec": {"nodeName": "n", "containers": [{"name": "app", "ports": [{"containerPort": 8080}, {"containerPort": 8778}]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.7"}
        }))
        .unwrap();
        let job = std::sync::Arc::new(kubernetes_default().scrape_configs.remove(0));
        let discovered = crate::discovery::kubernetes::pod_targets(&pod);
        discovered.into_iter().filter_map(|l| crate::scrape::Target::from_labels(&job, l).unwrap()).collect()
    }

    #[test]
    fn jolokia_annotations_select_the_jmx_plugin_port_and_rules() {
        let t = targets(serde_json::json!({
            "prometheus.io/scrape": "true", "scrapelet.io/jolokia-port": "8778", "scrapelet.io/jmx-rules": "tomcat"
        }));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].address(), "10.0.0.7:8778");
        assert_eq!(t[0].exporter.as_deref(), Some("jmx"));
        assert_eq!(t[0].params, [("rules".to_string(), "tomcat".to_string())]);

        let other = targets(serde_json::json!({
            "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "scrapelet.io/exporter": "json"
        }));
        assert_eq!((other[0].address(), other[0].exporter.as_deref()), ("10.0.0.7:8080", Some("json")));
        let plain = targets(serde_json::json!({"prometheus.io/scrape": "true"}));
        assert_eq!((plain[0].exporter.as_deref(), plain[0].params.len()), (None, 0));
    }

    /// The cluster job's per-pod limits: defaults for every pod, annotations within the caps.
    #[test]
    fn pods_get_default_limits_and_may_ask_within_the_caps() {
        use crate::scrape::target_limits::Limits;
        let limits = |annotations| Limits::of(&targets(annotations)[0].job);
        let plain = limits(serde_json::json!({"prometheus.io/scrape": "true", "prometheus.io/port": "8080"}));
        assert_eq!(plain, Limits { sample: 50_000, label: 40, body_size: 16 << 20 });
        let asked = limits(serde_json::json!({
            "prometheus.io/scrape": "true", "prometheus.io/port": "8080",
            "scrapelet.io/sample-limit": "200000", "scrapelet.io/label-limit": "500",
            "scrapelet.io/body-size-limit": "1GiB"
        }));
        assert_eq!(asked, Limits { sample: 200_000, label: 64, body_size: 64 << 20 }, "label and body capped");
        let bad = limits(serde_json::json!({
            "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "scrapelet.io/sample-limit": "lots"
        }));
        assert_eq!(bad, plain, "an unusable annotation leaves the default (and is listed on /targets)");
        let job = &kubernetes_default().scrape_configs[0];
        assert!(!job.http.follow_redirects, "a pod's redirect is not followed");
    }
}
