//! The embedded default configuration used when `run` gets no `--config`.

use crate::config::Config;

/// Scrapes the agent itself and a node exporter on this host, and remote-writes to
/// `$REMOTE_WRITE_URL` (default `http://127.0.0.1:9090/api/v1/write`).
const DEFAULT: &str = include_str!("default.yml");

pub fn default_config(listen_port: u16) -> Config {
    let url = std::env::var("REMOTE_WRITE_URL").unwrap_or_else(|_| "http://127.0.0.1:9090/api/v1/write".into());
    let text = DEFAULT.replace("${REMOTE_WRITE_URL}", &url).replace("${LISTEN_PORT}", &listen_port.to_string());
    Config::from_yaml(&text).unwrap_or_else(|e| panic!("embedded default config is invalid: {e:?}"))
}
