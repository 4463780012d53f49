//! Load-time validation: golden messages recorded from `promtool check config` of Debian's
//! Prometheus 2.42.0 (`testdata/prometheus-2.42-validation.json`; `"*"` means "some YAML type
//! error"), checked under `legacy` names (2.x's only scheme, which Prometheus 3 keeps as
//! `metric_name_validation_scheme: legacy`), and YAML-level corners. Prometheus 3's own
//! `TestRelabelValidate` table is in `tests_prom3`.

use serde_json::Value;

use super::config::is_valid_template_name;
use super::{parse_configs, parse_configs_with};
use crate::config::yaml::{self, ConfigError, Errors};

const GOLDEN: &str = include_str!("testdata/prometheus-2.42-validation.json");

fn errors_of(yaml_text: &str) -> Vec<ConfigError> {
    let node = yaml::parse(yaml_text).expect("yaml");
    let mut errors = Errors::default();
    parse_configs(&node, "relabel_configs", &mut errors);
    errors.into_sorted()
}

fn legacy_errors_of(yaml_text: &str) -> Vec<ConfigError> {
    let node = yaml::parse(yaml_text).expect("yaml");
    let mut errors = Errors::default();
    parse_configs_with(&node, "relabel_configs", crate::labels::NameValidation::Legacy, &mut errors);
    errors.into_sorted()
}

/// Verdicts that changed in Prometheus 3: lowercase, uppercase, keepequal and dropequal take a
/// plain label name as `target_label` even under legacy names (3.x `TestRelabelValidate`: `${3}`
/// "Fails with legacy validation"), and Go >= 1.22 (which 3.x is built with) reads `(?<n>` as a
/// named group (3.x `TestRelabel` uses `(?<second>line2)`); `source_labels` are read as
/// `model.LabelNames`, valid under utf8 whatever the job's scheme (3.x `TestRelabel` reads
/// `source_labels: [utf-8.label]`).
const CHANGED_IN_3: &[&str] = &["- {source_labels: [a], regex: '(?<n>a)', target_label: b}"];

#[test]
fn matches_promtool_2_42_verdicts_and_messages() {
    let cases: Vec<Value> = serde_json::from_str(GOLDEN).expect("golden json");
    for case in &cases {
        let text = case["rules"].as_str().expect("rules");
        let fixed_target_template = ["lowercase", "uppercase", "keepequal", "dropequal"]
            .iter()
            .any(|a| text.contains(&format!("action: {a},")))
            && text.contains("target_label: '$");
        let legacy_source_name = case["error"].as_str().is_some_and(|e| e.ends_with("is not a valid label name"))
            && !case["error"].as_str().is_some_and(|e| e.starts_with("\"\""));
        if CHANGED_IN_3.contains(&text) || (fixed_target_template && case["error"].is_null()) || legacy_source_name {
            continue;
        }
        let errs = legacy_errors_of(text);
        match case["error"].as_str() {
            None => assert!(errs.is_empty(), "{text}: unexpected {errs:?}"),
            Some("*") => assert!(!errs.is_empty(), "{text}: accepted"),
            Some(want) => {
                // Go quotes the wrapped pattern in regex errors: `^(?s:` since Prometheus 3.
                let want = want.replace("`^(?:", "`^(?s:");
                assert!(errs.iter().any(|e| e.message == want), "{text}: want {want:?}, got {errs:?}")
            }
        }
    }
}

#[test]
fn relabel_validate_cases_of_prometheus_2_under_legacy_names() {
    let cases = [
        ("- {action: replace, target_label: ''}", "requires 'target_label' value"),
        ("- {action: lowercase}", "requires 'target_label' value"),
        (
            "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '0${3}'}",
            r#""0${3}" is invalid 'target_label'"#,
        ),
        (
            "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '-${3}'}",
            r#""-${3}" is invalid 'target_label' for replace action"#,
        ),
    ];
    for (text, want) in cases {
        let errs = legacy_errors_of(text);
        assert!(errs.iter().any(|e| e.message.contains(want)), "{text}: want {want:?}, got {errs:?}");
    }
    assert!(
        legacy_errors_of(
            "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}'}"
        )
        .is_empty()
    );
}

#[test]
fn target_label_template_validity_matches_prometheus() {
    let cases = [
        ("-label", false),
        ("label", true),
        ("label${1}", true),
        ("${1}label", true),
        ("${1}", true),
        ("${", false),
        ("$", false),
        ("${}", false),
        ("foo${", false),
        ("$1", true),
        ("asd$2asd", true),
        ("-foo${1}bar-", false),
        ("_${1}_", true),
        ("foo${bar}foo", true),
        ("", false),
        ("é", false),
    ];
    for (s, valid) in cases {
        assert_eq!(is_valid_template_name(s), valid, "{s:?}");
    }
}

#[test]
fn every_invalid_rule_is_reported_with_its_index_and_line() {
    let text = "- source_labels: [a]\n  target_label: ok\n- action: hashmod\n  target_label: h\n- {action: bogus}\n- {target_label: x, nope: 1}\n";
    let errs = errors_of(text);
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.path.as_str())).collect();
    assert_eq!(
        got,
        vec![(3, "relabel_configs[1]"), (5, "relabel_configs[2]"), (6, "relabel_configs[3].nope")],
        "{errs:?}"
    );
}

#[test]
fn null_fields_take_go_zero_values_not_defaults() {
    assert!(errors_of("- {action: , target_label: a}").iter().any(|e| e.message == "relabel action cannot be empty"));
    assert!(errors_of("- {action: keepequal, source_labels: [a], target_label: b, regex: }").len() == 1);
    assert!(errors_of("- {action: labeldrop, source_labels: []}").len() == 1);
    assert!(errors_of("- {action: labeldrop, source_labels: }").is_empty());
}

#[test]
fn action_is_case_insensitive_and_modulus_reads_like_go_yaml() {
    assert!(errors_of("- {action: HashMod, source_labels: [a], target_label: h, modulus: 0x10}").is_empty());
    assert!(errors_of("- {action: hashmod, source_labels: [a], target_label: h, modulus: 1_000}").is_empty());
    assert!(!errors_of("- {action: hashmod, source_labels: [a], target_label: h, modulus: '3'}").is_empty());
    assert!(!errors_of("- {action: hashmod, source_labels: [a], target_label: h, modulus: -1}").is_empty());
}
