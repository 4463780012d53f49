//! `deploy/alerts/scrapelet.rules.yml`: valid for `promtool check rules`, its unit tests in
//! `scrapelet.rules.test.yml` pass under `promtool test rules` (promtool ships in Debian's
//! `prometheus` package, which tests/run.sh installs), every alert has such a test, and every
//! self-metric it names is one the agent exports.

use std::path::{Path, PathBuf};
use std::process::Command;

fn alerts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/alerts")
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(alerts_dir())
        .output()
        .unwrap_or_else(|e| panic!("running promtool: {e} (tests/run.sh installs it with Debian's prometheus)"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {}:\n{text}", args.join(" "));
    text
}

#[test]
fn rules_pass_promtool_check() {
    let out = promtool(&["check", "rules", "scrapelet.rules.yml"]);
    assert!(out.contains("SUCCESS: 5 rules found"), "{out}");
}

#[test]
fn rules_pass_their_promtool_unit_tests() {
    let out = promtool(&["test", "rules", "scrapelet.rules.test.yml"]);
    assert!(out.contains("SUCCESS"), "{out}");
}

fn read(name: &str) -> String {
    std::fs::read_to_string(alerts_dir().join(name)).unwrap()
}

/// Words of `text` that look like a self-metric name.
fn self_metric_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("scrapelet_"))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_alert_is_unit_tested_and_names_real_self_metrics() {
    let (rules, tests) = (read("scrapelet.rules.yml"), read("scrapelet.rules.test.yml"));
    let alerts: Vec<&str> = rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect();
    assert_eq!(alerts.len(), 5, "{alerts:?}");
    for a in &alerts {
        assert!(tests.contains(&format!("alertname: {a}\n")), "{a} has no promtool test");
    }
    let exported =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/src/metrics.rs")).unwrap();
    let names = self_metric_names(&rules);
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        assert!(exported.contains(&format!("\"{name}\"")), "{name} is not a self-metric of agent/src/metrics.rs");
    }
}
