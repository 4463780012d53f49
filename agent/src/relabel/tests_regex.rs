//! Go RE2 translation corners, and golden cases recorded from a real Prometheus 2.42.
//!
//! `testdata/prometheus-2.42-targets.json` was made by running Debian's `prometheus` 2.42.0 with
//! one static target per case and reading `/api/v1/targets`: `input` is what Prometheus feeds the
//! rules (the static labels plus `job`, `__address__`, `__scheme__`, ...), `output` its final labels (after Prometheus drops `__` labels and adds `instance`), or
//! null when the rules dropped it. Prometheus 3 kept 2.x's regex syntax and templates; what
//! changed is checked here the 3.x way: the rules are read under `legacy` names (2.x's only
//! scheme), and cases whose input holds a newline are left out (in 3.x `.` matches it; see
//! `tests_prom3` for that).

use serde_json::{Map, Value};

use super::GoRegex;
use super::process;
use super::tests::rules_with;
use crate::labels::Labels;

const GOLDEN: &str = include_str!("testdata/prometheus-2.42-targets.json");

fn labels_of(v: &Map<String, Value>) -> Labels {
    Labels::from_pairs(v.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())))
}

/// What Prometheus' `PopulateLabels` does after relabelling a target.
fn finish_target(mut l: Labels) -> Labels {
    if l.get("instance").is_none() {
        let addr = l.get("__address__").unwrap_or_default().to_string();
        l.set("instance".into(), addr);
    }
    l.retain(|l| !l.name.starts_with("__"));
    l
}

#[test]
fn matches_prometheus_2_42_target_relabelling() {
    let cases: Vec<Value> = serde_json::from_str(GOLDEN).expect("golden json");
    let mut checked = 0;
    for case in &cases {
        let text = case["rules"].as_str().expect("rules");
        if case["input"].to_string().contains("\\n") {
            continue;
        }
        checked += 1;
        let mut labels = labels_of(case["input"].as_object().expect("input"));
        let rules = rules_with(text, crate::labels::NameValidation::Legacy);
        let got = process(&mut labels, &rules).then(|| finish_target(labels).to_string());
        let want = case["output"].as_object().map(|o| labels_of(o).to_string());
        assert_eq!(got, want, "rules:\n{text}\ninput: {}", case["input"]);
    }
    assert!(checked > 40, "only {checked} cases checked");
}

fn matches(re: &str, s: &str) -> bool {
    GoRegex::new(re).unwrap_or_else(|e| panic!("{re}: {e}")).is_match(s)
}

#[test]
fn perl_classes_are_ascii_like_go() {
    assert!(!matches(r"\w", "é"));
    assert!(matches(r"\W", "é"));
    assert!(!matches(r"\d", "٣"));
    assert!(!matches(r"\s", "\u{b}"));
    assert!(matches(r"[\d\s]+", "1 2"));
    assert!(matches(r"a\b.*", "a b"));
    assert!(!matches(r"é\b", "é"));
}

#[test]
fn go_literals_that_rust_reads_otherwise() {
    assert!(matches(r"a{", "a{"));
    assert!(matches(r"a{,2}", "a{,2}"));
    assert!(matches(r"\<a\>", "<a>"));
    assert!(matches(r"[[]", "["));
    assert!(matches(r"[a&&b]+", "a&b"));
    assert!(matches(r"[a~~b]+", "a~b"));
    assert!(matches(r"\101\0", "A\0"));
    assert!(matches(r"\Qa.b\E+", "a.bb"));
    assert!(matches(r"x#y z", "x#y z"));
    assert!(matches(r"a{2}", "aa"));
    assert!(matches(r"[a-c-]+", "ab-c") && !matches(r"[a-c]", "-"));
    assert!(matches(r"\p{^Greek}\PL", "a1") && matches(r"\x{e9}\x41", "éA"));
}

#[test]
fn flags_and_named_groups_follow_go() {
    assert!(matches("(?ii)a", "A"));
    assert!(matches("(?i-i:a)|b", "b"));
    assert!(!matches("(?i-i:a)", "A"));
    assert!(matches("(?)a", "a"));
    assert!(matches("(?P<1x>a)", "a"));
    assert!(matches("(?U)a+", "aa"));
}

#[test]
fn go_rejects_what_go_rejects() {
    for bad in [
        "a**",
        "a+?*",
        "a{2}{3}",
        "a{1001}",
        "a{3,2}",
        r"\1",
        r"\8",
        r"\e",
        "(?x)a",
        "(?-)a",
        "(?P<a-b>x)",
        "[a",
        "a)",
        "(a",
        r"a\",
    ] {
        let err = GoRegex::new(bad).expect_err(bad);
        assert!(err.starts_with("error parsing regexp: "), "{bad}: {err}");
    }
}
