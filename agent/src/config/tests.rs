//! Whole-file tests of [`Config::from_yaml`]: a user's real `prometheus.yml`, and error reporting.

use std::time::Duration;

use super::*;

/// A typical hand-written `prometheus.yml` (no relabel rules or remote_write: those parsers are
/// other modules'; see `agent/tests/fixtures/prometheus.yml` for the full one).
const USER_PROMETHEUS_YML: &str = r#"# my prometheus
global:
  scrape_interval: 15s
  scrape_timeout: 10s
  evaluation_interval: 15s
  external_labels:
    cluster: prod-eu-1
    replica: "a"

rule_files:
  - "rules/*.yml"

alerting:
  alertmanagers:
    - static_configs:
        - targets: ["alertmanager:9093"]

scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']

  - job_name: node
    scrape_interval: 30s
    metrics_path: /probe/metrics
    scheme: https
    params:
      collect[]: [cpu, meminfo]
      format: [prometheus]
    honor_labels: true
    honor_timestamps: false
    sample_limit: 50000
    label_limit: 64
    label_name_length_limit: 128
    label_value_length_limit: 1024
    body_size_limit: 10MB
    enable_compression: false
    basic_auth:
      username: scraper
      password_file: /etc/prometheus/node-password
    tls_config:
      ca_file: /etc/prometheus/ca.pem
      server_name: node.internal
      insecure_skip_verify: false
      min_version: TLS12
    follow_redirects: false
    static_configs:
      - targets:
          - node-1.internal:9100
          - node-2.internal:9100
        labels:
          env: prod
          team: infra
      - targets: [node-3.internal:9100]
"#;

fn load(text: &str) -> Config {
    Config::from_yaml(text).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| format!("{e}\n")).collect::<String>()))
}

fn errors(text: &str) -> Vec<ConfigError> {
    Config::from_yaml(text).expect_err("config should be rejected")
}

#[test]
fn loads_real_prometheus_yml_unchanged() {
    let c = load(USER_PROMETHEUS_YML);
    assert_eq!(c.global.scrape_interval, Duration::from_secs(15));
    assert_eq!(c.global.external_labels.to_string(), r#"{cluster="prod-eu-1",replica="a"}"#);
    let [prom, node] = &c.scrape_configs[..] else { panic!("two jobs expected") };
    assert_eq!(
        (prom.job_name.as_str(), prom.metrics_path.as_str(), prom.scheme.as_str()),
        ("prometheus", "/metrics", "http")
    );
    assert_eq!((prom.scrape_interval, prom.scrape_timeout), (Duration::from_secs(15), Duration::from_secs(10)));
    assert!(prom.honor_timestamps && prom.enable_compression && !prom.honor_labels);
    assert_eq!(prom.static_configs[0].targets, vec!["localhost:9090"]);

    assert_eq!(node.scrape_interval, Duration::from_secs(30));
    assert_eq!((node.metrics_path.as_str(), node.scheme.as_str()), ("/probe/metrics", "https"));
    let params: Vec<_> = node.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(params, vec!["collect[]=cpu", "collect[]=meminfo", "format=prometheus"]);
    assert!(node.honor_labels && !node.honor_timestamps && !node.enable_compression);
    assert_eq!((node.sample_limit, node.label_limit), (50_000, 64));
    assert_eq!((node.label_name_length_limit, node.label_value_length_limit), (128, 1024));
    assert_eq!(node.body_size_limit, 10 << 20);
    let auth = node.http.basic_auth.as_ref().unwrap();
    assert_eq!(
        (auth.username.as_str(), auth.password_file.as_deref()),
        ("scraper", Some("/etc/prometheus/node-password"))
    );
    assert_eq!(node.http.tls_config.server_name.as_deref(), Some("node.internal"));
    assert!(!node.http.follow_redirects && node.http.enable_http2);
    assert_eq!(node.static_configs.len(), 2);
    assert_eq!(node.static_configs[0].labels.to_string(), r#"{env="prod",team="infra"}"#);

    let ignored: Vec<_> = c.ignored.iter().map(|k| k.path.as_str()).collect();
    assert_eq!(ignored, vec!["global.evaluation_interval", "rule_files", "alerting"], "in file order");
}

#[test]
fn empty_file_gives_prometheus_defaults() {
    let c = load("");
    assert_eq!((c.global.scrape_interval, c.global.scrape_timeout), (Duration::from_secs(60), Duration::from_secs(10)));
    assert!(c.scrape_configs.is_empty() && c.remote_write.is_empty());
}

#[test]
fn reports_every_error_with_line() {
    let errs = errors(
        "global:\n  scrape_interval: soon\nscrape_configs:\n  - job_name: a\n    scheme: ftp\n    bogus: 1\n  - job_name: a\nfoo: bar\n",
    );
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.path.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (2, "global.scrape_interval"),
            (5, "scrape_configs[0].scheme"),
            (6, "scrape_configs[0].bogus"),
            (7, "scrape_configs[1].job_name"),
            (8, "foo"),
        ],
        "{errs:#?}"
    );
    assert!(errs[3].message.contains(r#"found multiple scrape configs with job name "a""#));
    assert!(errs[4].message.contains("unknown field"));
}

#[test]
fn job_timeout_longer_than_interval_is_rejected() {
    let errs = errors("scrape_configs:\n  - job_name: j\n    scrape_interval: 5s\n    scrape_timeout: 10s\n");
    assert_eq!((errs[0].line, errs[0].path.as_str()), (4, "scrape_configs[0].scrape_timeout"));
    assert_eq!(errs[0].message, r#"scrape timeout greater than scrape interval for scrape config with job name "j""#);
}

#[test]
fn job_interval_below_global_timeout_caps_the_timeout() {
    let c = load("global:\n  scrape_timeout: 20s\nscrape_configs:\n  - job_name: j\n    scrape_interval: 5s\n");
    assert_eq!(c.scrape_configs[0].scrape_timeout, Duration::from_secs(5));
}

#[test]
fn global_limits_are_job_defaults() {
    let c = load(
        "global:\n  sample_limit: 10\n  body_size_limit: 1KB\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    sample_limit: 5\n",
    );
    let limits: Vec<_> = c.scrape_configs.iter().map(|j| (j.sample_limit, j.body_size_limit)).collect();
    assert_eq!(limits, vec![(10, 1024), (5, 1024)]);
}

#[test]
fn missing_job_name_is_rejected() {
    let errs = errors("scrape_configs:\n  - scrape_interval: 5s\n");
    assert_eq!((errs[0].line, errs[0].message.as_str()), (2, "job_name is empty"));
}

#[test]
fn url_as_static_target_is_rejected_like_prometheus() {
    let errs = errors(
        "scrape_configs:\n  - job_name: j\n    static_configs:\n      - targets: ['a:1', 'http://b:2/metrics']\n",
    );
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].path, "scrape_configs[0].static_configs[0].targets[1]");
    assert_eq!(errs[0].message, r#""http://b:2/metrics" is not a valid hostname"#);
}

#[test]
fn static_label_names_are_utf8_and_must_not_be_empty() {
    let c = load("scrape_configs:\n  - job_name: j\n    static_configs:\n      - labels: {ok: x, 0.utf8: y}\n");
    assert_eq!(c.scrape_configs[0].static_configs[0].labels.get("0.utf8"), Some("y"));
    let errs = errors("scrape_configs:\n  - job_name: j\n    static_configs:\n      - labels: {ok: x, '': y}\n");
    assert_eq!(errs[0].path, "scrape_configs[0].static_configs[0].labels");
    assert!(errs[0].message.contains(r#""" is not a valid label name"#));
}

#[test]
fn only_kubernetes_service_discovery_is_supported() {
    let errs = errors(
        "scrape_configs:\n  - job_name: j\n    kubernetes_sd_configs:\n      - role: pod\n    file_sd_configs: []\n",
    );
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(got, vec![(5, "file_sd_configs is not supported yet")]);
}

#[test]
fn params_must_map_names_to_lists() {
    let errs = errors("scrape_configs:\n  - job_name: j\n    params:\n      module: http_2xx\n");
    assert_eq!((errs[0].line, errs[0].path.as_str()), (4, "scrape_configs[0].params.module"));
}

#[test]
fn scrape_config_files_add_jobs_validated_with_the_global_section() {
    let dir = std::env::temp_dir().join(format!("scrapelet-scfiles-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    let job =
        |name: &str| format!("scrape_configs:\n  - job_name: {name}\n    static_configs:\n      - targets: [h:1]\n");
    std::fs::write(dir.join("jobs/a.yml"), job("a")).unwrap();
    std::fs::write(dir.join("jobs/b.yml"), job("b")).unwrap();
    std::fs::write(dir.join("jobs/skip.txt"), "not yaml: [").unwrap();
    let main = dir.join("main.yml");
    std::fs::write(&main, "global:\n  scrape_interval: 7s\nscrape_config_files: ['jobs/*.yml']\n").unwrap();
    let c = Config::load(&main).unwrap();
    let jobs: Vec<_> = c.scrape_configs.iter().map(|j| (j.job_name.as_str(), j.scrape_interval.as_secs())).collect();
    assert_eq!(jobs, vec![("a", 7), ("b", 7)]);
    std::fs::write(&main, format!("scrape_config_files: ['jobs/*.yml']\n{}", job("a"))).unwrap();
    let errs = Config::load(&main).unwrap_err();
    assert!(
        errs[0].message.contains("found multiple scrape configs with job name \"a\", first found in main config file")
    );
    std::fs::write(dir.join("jobs/c.yml"), "global: {}\nscrape_configs: []\n").unwrap();
    std::fs::write(&main, "scrape_config_files: ['jobs/c.yml']\n").unwrap();
    assert!(Config::load(&main).unwrap_err()[0].message.contains("unknown field \"global\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn http_client_errors_carry_the_job_path() {
    let errs = errors(
        "scrape_configs:\n  - job_name: j\n    bearer_token: t\n    basic_auth: {username: u}\n    oauth2: {client_id: x, token_url: http://t}\n",
    );
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.path.as_str())).collect();
    assert_eq!(got, vec![(3, "scrape_configs[0].bearer_token"), (5, "scrape_configs[0].oauth2")], "{errs:#?}");
}

#[test]
fn yaml_syntax_error_names_the_line() {
    let errs = errors("global:\n  scrape_interval: [\n");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].line >= 2, "{errs:?}");
}

/// The full fixture has relabel rules and remote_write: enable once `relabel::parse_configs` and
/// `RemoteWriteConfig::parse` are implemented.
#[test]
fn loads_full_prometheus_yml_fixture() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prometheus.yml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(c.scrape_configs.len(), 3);
    assert_eq!(c.remote_write.len(), 1);
    assert!(!c.scrape_configs[1].relabel_configs.is_empty());
}

#[test]
fn relative_file_paths_are_relative_to_the_config_file() {
    let dir = std::env::temp_dir().join(format!("scrapelet-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prometheus.yml");
    let yaml =
        "scrape_configs:\n  - job_name: j\n    bearer_token_file: token\n    tls_config: {ca_file: /abs/ca.pem}\n";
    std::fs::write(&file, yaml).unwrap();
    let c = Config::load(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let http = &c.scrape_configs[0].http;
    let token = dir.join("token").to_string_lossy().into_owned();
    assert_eq!(http.authorization.as_ref().unwrap().credentials_file.as_deref(), Some(token.as_str()));
    assert_eq!(http.tls_config.ca_file.as_deref(), Some("/abs/ca.pem"));
}
