//! Prometheus 3's own relabel test tables, run through the engine: `TestRelabel`,
//! `TestRelabelValidate` and `TestTargetLabelLegacyValidity` of `model/relabel/relabel_test.go` at
//! prometheus/prometheus v3.14.0 (commit d7598b7141418fa35be2b5ec5d0fefb634199610), ported by
//! `tests/upstream/port_relabel.py` into `testdata/prometheus-3.14-relabel.json` (each rule as the
//! YAML a user would write).

use serde_json::{Map, Value};

use super::config::is_valid_template_name;
use super::{parse_configs_with, process};
use crate::config::yaml::{self, Errors};
use crate::labels::{Labels, NameValidation};

const TABLE: &str = include_str!("testdata/prometheus-3.14-relabel.json");

fn table() -> Value {
    serde_json::from_str(TABLE).expect("table json")
}

fn labels_of(v: &Map<String, Value>) -> Labels {
    Labels::from_pairs(v.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())))
}

fn parse(text: &str, validation: NameValidation) -> (Vec<super::RelabelConfig>, Errors) {
    let node = yaml::parse(text).expect("yaml");
    let mut errors = Errors::default();
    let rules = parse_configs_with(&node, "relabel_configs", validation, &mut errors);
    (rules, errors)
}

#[test]
fn test_relabel_table_of_prometheus_3() {
    let cases = table()["relabel"].as_array().expect("cases").clone();
    assert!(cases.len() >= 30, "the table lost cases");
    for case in &cases {
        let text = case["rules"].as_str().expect("rules");
        let (rules, errors) = parse(text, NameValidation::Utf8);
        assert!(errors.is_empty(), "rules:\n{text}\nrejected: {:?}", errors.0);
        let mut labels = labels_of(case["input"].as_object().expect("input"));
        let got = process(&mut labels, &rules).then(|| labels.to_string());
        let want = case["output"].as_object().map(|o| labels_of(o).to_string());
        assert_eq!(got, want, "rules:\n{text}\ninput: {}", case["input"]);
    }
}

#[test]
fn test_relabel_validate_table_of_prometheus_3() {
    for case in table()["validate"].as_array().expect("cases") {
        let text = case["rules"].as_str().expect("rules");
        let scheme = NameValidation::parse(case["validation"].as_str().unwrap_or("")).unwrap().unwrap_or_default();
        let (_, errors) = parse(text, scheme);
        match case["error"].as_str() {
            None => assert!(errors.is_empty(), "{text} ({scheme:?}): unexpected {:?}", errors.0),
            Some(want) => {
                assert!(errors.0.iter().any(|e| e.message.contains(want)), "{text}: want {want:?}, got {:?}", errors.0)
            }
        }
    }
}

#[test]
fn test_target_label_legacy_validity_of_prometheus_3() {
    for case in table()["legacy_target"].as_array().expect("cases") {
        let target = case["target"].as_str().expect("target");
        assert_eq!(is_valid_template_name(target), case["valid"].as_bool().unwrap(), "{target:?}");
    }
}
