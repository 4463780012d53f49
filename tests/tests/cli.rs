//! The command line as users and scripts call it: `check config`, `scrape`, `relabel`.

use std::process::Command;

use scrapelet_tests::fixture::Reply;
use scrapelet_tests::procs::{run_scrapelet, scratch_file};
use scrapelet_tests::{FixtureServer, scrapelet_bin};

#[test]
fn check_config_reports_every_error_with_its_line() {
    let bad = scratch_file(
        "bad.yml",
        "global:\n  scrape_interval: 15x\nscrape_configs:\n  - job_name: a\n    scrape_timeot: 5s\n    static_configs:\n      - targets: [\"h:1\"]\n  - job_name: a\n",
    );
    let out = run_scrapelet(&["check", "config", bad.to_str().unwrap()], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(":line 2:") && stderr.contains("scrape_interval"), "{stderr}");
    assert!(stderr.contains(":line 5:") && stderr.contains("scrape_timeot"), "{stderr}");
    assert!(stderr.contains("line 8") && stderr.contains("\"a\""), "duplicate job name: {stderr}");

    let good =
        scratch_file("good.yml", "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [\"h:1\"]\n");
    let out = run_scrapelet(&["check", "config", good.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn scrape_prints_relabelled_samples_and_up() {
    let app = FixtureServer::start(|path, _| {
        assert_eq!(path, "/custom?x=1");
        Reply::text("# TYPE a counter\na_total{k=\"v\"} 5\nb 7 1700000000000\n")
    });
    let cfg = scratch_file(
        "scrape.yml",
        "scrape_configs:\n  - job_name: j\n    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: b\n        action: drop\n",
    );
    let url = format!("http://{}/custom?x=1", app.addr);
    let out = run_scrapelet(&["scrape", &url, "--config", cfg.to_str().unwrap(), "--job", "j"], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let inst = &app.addr;
    assert!(
        stdout.starts_with(&format!(
            "a_total{{instance=\"{inst}\",job=\"j\",k=\"v\"}} 5\nup{{instance=\"{inst}\",job=\"j\"}} 1\n"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("\nb{"), "dropped by metric_relabel_configs: {stdout}");
    assert!(stdout.contains("scrape_samples_post_metric_relabeling{") && stdout.contains("} 1\n"), "{stdout}");
}

#[test]
fn scrape_of_a_failing_target_prints_up_zero_and_exits_1() {
    let app = FixtureServer::start(|_, _| Reply::Status(500));
    let out = run_scrapelet(&["scrape", &format!("http://{}/metrics", app.addr)], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("up{"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("} 0\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("500"));
}

#[test]
fn relabel_reads_stdin_and_prints_results_or_dropped() {
    let rules = scratch_file(
        "rules.yml",
        "- source_labels: [__name__]\n  regex: drop_me\n  action: drop\n- source_labels: [a]\n  regex: (.*)\n  target_label: b\n  replacement: x-${1}\n",
    );
    let out = run_scrapelet(
        &["relabel", "--rules", rules.to_str().unwrap()],
        "{__name__=\"m\",a=\"q\\\"t\"}\n{__name__=\"drop_me\"}\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{__name__=\"m\",a=\"q\\\"t\",b=\"x-q\\\"t\"}\nDROPPED\n");
}

#[test]
fn relabel_with_invalid_rules_exits_2_naming_the_rule() {
    let rules = scratch_file("invalid.yml", "- action: keep\n  regex: ok\n- action: hashmod\n  target_label: t\n");
    let out = run_scrapelet(&["relabel", "--rules", rules.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[1]") && stderr.contains("modulus"), "{stderr}");
}

#[test]
fn discover_prints_targets_before_and_after_relabelling() {
    let pods = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seed-pods.yaml");
    let out = run_scrapelet(&["discover", "--pods", pods, "--node", "node-a"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let targets: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = targets.as_array().unwrap();
    assert_eq!(targets.len(), 2, "one per declared port of the node-a pod");
    let d = &targets[0]["discoveredLabels"];
    assert_eq!(d["__address__"], "10.244.1.7:8080");
    assert_eq!(d["__meta_kubernetes_pod_container_port_name"], "http");
    assert_eq!(d["__meta_kubernetes_pod_annotation_prometheus_io_port"], "8090");
    assert_eq!(targets[0]["labels"], serde_json::json!({}), "port 8080 is not the annotated one");
    assert_eq!(
        targets[1]["labels"],
        serde_json::json!({
            "container": "spring-boot-monitoring-demo", "instance": "10.244.1.7:8090", "job": "kubernetes-pods",
            "namespace": "default", "node": "node-a", "pod": "spring-boot-monitoring-demo-7d9f8b6c5d-abcde"
        })
    );
    let all = run_scrapelet(&["discover", "--pods", pods], "");
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 4, "without --node every pod counts");
}

#[test]
fn discover_with_a_broken_pod_list_exits_2_naming_the_item() {
    let bad = scratch_file("pods.json", r#"{"items":[{"metadata":{"name":"x"},"spec":{"containers":"nope"}}]}"#);
    let out = run_scrapelet(&["discover", "--pods", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("items[0]"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The allocator options in `main.rs` are read through a symbol whose name depends on how
/// jemalloc was built: a rename would silently fall back to the defaults (and ~4 MB more RSS at
/// 500,000 series).
#[test]
fn jemalloc_reads_the_agents_allocator_options() {
    let out =
        Command::new(scrapelet_bin()).arg("--version").env("_RJEM_MALLOC_CONF", "confirm_conf:true").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for option in ["narenas:1", "tcache_max:4096", "dirty_decay_ms:2000"] {
        assert!(err.contains(&format!("Set conf value: {option}")), "{option} not set:\n{err}");
    }
}

#[test]
fn run_rejects_zero_workers_naming_the_flag() {
    let out = run_scrapelet(&["run", "--runtime.workers", "0"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--runtime.workers"));
}
