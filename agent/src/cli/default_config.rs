//! The embedded default configurations used when `run` gets no `--config`: in a cluster the
//! common `kubernetes-pods` job over this node's pods, elsewhere a local one.

use crate::config::Config;

/// In a cluster: scrape this node's pods annotated `prometheus.io/scrape: "true"`.
pub const KUBERNETES: &str = include_str!("default-kubernetes.yml");

/// Outside a cluster: the agent itself and a node exporter on this host.
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
    let text = text.replace("${REMOTE_WRITE_URL}", &url).replace("${LISTEN_PORT}", &listen_port.to_string());
    Config::from_yaml(&text).unwrap_or_else(|e| panic!("embedded default config is invalid: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        assert_eq!(kubernetes_default().scrape_configs[0].kubernetes_sd_configs.len(), 1);
        assert_eq!(embedded(LOCAL, 9271).scrape_configs.len(), 2);
    }
}
