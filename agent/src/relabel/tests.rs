//! Engine behaviour, table-driven: cases transcribed from Prometheus' `relabel_test.go`
//! (`TestRelabel`) plus Go-specific template and regex corners.

use super::*;
use crate::config::yaml::{self, Errors};
use crate::labels::Labels;

/// Parses `rules` (a YAML list) and panics with every error if any rule is invalid.
pub(crate) fn rules(yaml_text: &str) -> Vec<RelabelConfig> {
    rules_with(yaml_text, crate::labels::NameValidation::Utf8)
}

/// [`rules`] under a given name validation scheme.
pub(crate) fn rules_with(yaml_text: &str, scheme: crate::labels::NameValidation) -> Vec<RelabelConfig> {
    let node = yaml::parse(yaml_text).expect("yaml");
    let mut errors = Errors::default();
    let rules = parse_configs_with(&node, "r", scheme, &mut errors);
    assert!(errors.is_empty(), "{:?}", errors.0);
    rules
}

/// Runs `rules` on `input` (`{a="b"}` notation); the result in the same notation or `DROPPED`.
fn run(input: &str, rules_yaml: &str) -> String {
    let mut labels = Labels::parse(input).expect("input labels");
    if process(&mut labels, &rules(rules_yaml)) { labels.to_string() } else { "DROPPED".into() }
}

fn check(cases: &[(&str, &str, &str)]) {
    for (input, rules_yaml, want) in cases {
        assert_eq!(run(input, rules_yaml), *want, "input {input}\nrules:\n{rules_yaml}");
    }
}

#[test]
fn replace_expands_braced_groups_into_new_label() {
    check(&[(
        r#"{a="foo",b="bar",c="baz"}"#,
        "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
        r#"{a="foo",b="bar",c="baz",d="choo-choo"}"#,
    )]);
}

#[test]
fn replace_chains_and_joins_sources_with_separator() {
    let rules = "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}\n\
                 - {source_labels: [c, a], regex: '(b).*b(.*)ba(.*)', target_label: d, replacement: '$1$2$2$3'}";
    check(&[(r#"{a="foo",b="bar",c="baz"}"#, rules, r#"{a="boobam",b="bar",c="baz",d="boooom"}"#)]);
}

#[test]
fn drop_stops_processing_when_regex_matches() {
    let rules = "- {source_labels: [a], regex: '.*o.*', action: drop}\n\
                 - {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch$1-ch$1'}";
    check(&[(r#"{a="foo"}"#, rules, "DROPPED"), (r#"{a="foo",b="bar"}"#, rules, "DROPPED")]);
}

#[test]
fn regex_is_fully_anchored() {
    check(&[
        (
            r#"{a="abc"}"#,
            "- {source_labels: [a], regex: '.*(b).*', target_label: d, replacement: '$1'}",
            r#"{a="abc",d="b"}"#,
        ),
        (r#"{a="foo"}"#, "- {source_labels: [a], regex: no-match, action: drop}", r#"{a="foo"}"#),
        (r#"{a="foo"}"#, "- {source_labels: [a], regex: 'f|o', action: drop}", r#"{a="foo"}"#),
        (r#"{a="foo"}"#, "- {source_labels: [a], regex: no-match, action: keep}", "DROPPED"),
        (r#"{a="foo"}"#, "- {source_labels: [a], regex: 'f.*', action: keep}", r#"{a="foo"}"#),
    ]);
}

#[test]
fn replace_without_match_changes_nothing() {
    check(&[(r#"{a="boo"}"#, "- {source_labels: [a], regex: f, target_label: b, replacement: bar}", r#"{a="boo"}"#)]);
}

#[test]
fn hashmod_matches_prometheus_values() {
    check(&[
        (
            r#"{a="foo",b="bar",c="baz"}"#,
            "- {source_labels: [c], target_label: d, action: hashmod, modulus: 1000}",
            r#"{a="foo",b="bar",c="baz",d="976"}"#,
        ),
        (
            r#"{a="foo\nbar"}"#,
            "- {source_labels: [a], target_label: b, action: hashmod, modulus: 1000}",
            r#"{a="foo\nbar",b="734"}"#,
        ),
    ]);
}

#[test]
fn labelmap_copies_matching_names_through_the_template() {
    check(&[
        (
            r#"{a="foo",b1="bar",b2="baz"}"#,
            "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
            r#"{a="foo",b1="bar",b2="baz",bar_b1="bar",bar_b2="baz"}"#,
        ),
        (
            r#"{a="foo",__meta_my_bar="aaa",__meta_my_baz="bbb",__meta_other="ccc"}"#,
            "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}",
            r#"{__meta_my_bar="aaa",__meta_my_baz="bbb",__meta_other="ccc",a="foo",my_bar="aaa",my_baz="bbb"}"#,
        ),
    ]);
}

#[test]
fn target_label_is_expanded_and_invalid_results_are_skipped() {
    let re = "some-([^-]+)-([^,]+)";
    check(&[
        (
            r#"{a="some-name-value"}"#,
            &format!("- {{source_labels: [a], regex: '{re}', replacement: '${{2}}', target_label: '${{1}}'}}"),
            r#"{a="some-name-value",name="value"}"#,
        ),
        (
            r#"{a="some-name-value"}"#,
            &format!("- {{source_labels: [a], regex: '{re}', replacement: '${{3}}', target_label: '${{1}}'}}"),
            r#"{a="some-name-value"}"#,
        ),
        (
            r#"{a="some-name-0"}"#,
            &format!("- {{source_labels: [a], regex: '{re}', replacement: '${{1}}', target_label: '${{3}}'}}"),
            r#"{a="some-name-0"}"#,
        ),
        (
            r#"{a="some-name-0"}"#,
            "- {source_labels: [a], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', target_label: '${3}'}",
            r#"{a="some-name-0"}"#,
        ),
        (r#"{a="x-0"}"#, "- {source_labels: [a], regex: 'x-(.*)', target_label: 'l$1'}", r#"{a="x-0",l0="0"}"#),
        (r#"{a="x-0"}"#, "- {source_labels: [a], regex: 'x-(.*)', target_label: '$1'}", r#"{"0"="0",a="x-0"}"#),
        (r#"{a="x-"}"#, "- {source_labels: [a], regex: 'x-(.*)', target_label: '$1', replacement: v}", r#"{a="x-"}"#),
    ]);
}

#[test]
fn real_life_sd_tags_are_split_into_labels() {
    let rules = r#"
- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)path:(/[^,]+).*', replacement: '${1}', target_label: __metrics_path__}
- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)job:([^,]+).*', replacement: '${1}', target_label: job}
- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', replacement: '${2}', target_label: '${1}'}
"#;
    check(&[(
        r#"{__meta_sd_tags="path:/secret,job:some-job,label:foo=bar"}"#,
        rules,
        r#"{__meta_sd_tags="path:/secret,job:some-job,label:foo=bar",__metrics_path__="/secret",foo="bar",job="some-job"}"#,
    )]);
}

#[test]
fn labeldrop_then_replace_then_keep_as_in_issue_12283() {
    let rules = r#"
- {regex: '^__meta_kubernetes_pod_container_port_name$', action: labeldrop}
- {source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port], regex: '(.+)', replacement: metrics, target_label: __meta_kubernetes_pod_container_port_name}
- {source_labels: [__meta_kubernetes_pod_container_port_name], regex: '^metrics$', action: keep}
"#;
    check(&[(
        r#"{__meta_kubernetes_pod_container_port_name="foo",__meta_kubernetes_pod_annotation_XXX_metrics_port="9091"}"#,
        rules,
        r#"{__meta_kubernetes_pod_annotation_XXX_metrics_port="9091",__meta_kubernetes_pod_container_port_name="metrics"}"#,
    )]);
}

#[test]
fn labelkeep_and_labeldrop_work_on_names() {
    check(&[
        (r#"{a="foo",b1="bar",b2="baz"}"#, "- {regex: '(b.*)', action: labelkeep}", r#"{b1="bar",b2="baz"}"#),
        (r#"{a="foo",b1="bar",b2="baz"}"#, "- {regex: '(b.*)', action: labeldrop}", r#"{a="foo"}"#),
    ]);
}

#[test]
fn lowercase_and_uppercase_write_target() {
    let rules = "- {source_labels: [foo], action: uppercase, target_label: foo_uppercase}\n\
                 - {source_labels: [foo], action: lowercase, target_label: foo_lowercase}";
    check(&[(
        r#"{foo="bAr123Foo"}"#,
        rules,
        r#"{foo="bAr123Foo",foo_lowercase="bar123foo",foo_uppercase="BAR123FOO"}"#,
    )]);
}

#[test]
fn case_mapping_is_go_simple_mapping() {
    check(&[
        (
            r#"{a="straße İ"}"#,
            "- {source_labels: [a], action: uppercase, target_label: b}",
            r#"{a="straße İ",b="STRAßE İ"}"#,
        ),
        (r#"{a="İΣ"}"#, "- {source_labels: [a], action: lowercase, target_label: b}", r#"{a="İΣ",b="iσ"}"#),
    ]);
}

#[test]
fn keepequal_and_dropequal_compare_with_target_value() {
    let input = r#"{__port1="1234",__port2="5678",__tmp_port="1234"}"#;
    check(&[
        (input, "- {source_labels: [__tmp_port], action: keepequal, target_label: __port1}", input),
        (input, "- {source_labels: [__tmp_port], action: dropequal, target_label: __port1}", "DROPPED"),
        (input, "- {source_labels: [__tmp_port], action: dropequal, target_label: __port2}", input),
        (input, "- {source_labels: [__tmp_port], action: keepequal, target_label: __port2}", "DROPPED"),
        (input, "- {source_labels: [missing], action: keepequal, target_label: absent}", input),
    ]);
}

#[test]
fn defaults_copy_source_and_empty_value_deletes() {
    check(&[
        (r#"{a="1"}"#, "- {source_labels: [a], target_label: b}", r#"{a="1",b="1"}"#),
        (r#"{a="1",b="2"}"#, "- {source_labels: [missing], target_label: b}", r#"{a="1"}"#),
        (r#"{a="1"}"#, "- {target_label: c, replacement: fixed}", r#"{a="1",c="fixed"}"#),
        (r#"{a="1",b="2"}"#, "- {source_labels: [a, missing, b], target_label: j}", r#"{a="1",b="2",j="1;;2"}"#),
        (r#"{a="1",b="2"}"#, "- {source_labels: [a, b], separator: '', target_label: j}", r#"{a="1",b="2",j="12"}"#),
    ]);
}

#[test]
fn go_template_rules_for_dollar_references() {
    let src = "- {source_labels: [a], regex: '(?P<x>a)(b)', target_label: t, replacement: 'REPL'}";
    let cases = [
        ("$1x", ""),
        ("${1}x", "ax"),
        ("$$1", "$1"),
        ("$x-$2", "a-b"),
        ("${x}${2}", "ab"),
        ("$", "$"),
        ("${1", "${1"),
        ("$-", "$-"),
        ("$01", ""),
        ("$9", ""),
        ("a$", "a$"),
    ];
    for (template, want) in cases {
        let rules = src.replace("REPL", template);
        let want = if want.is_empty() { r#"{a="ab"}"#.to_string() } else { format!("{{a=\"ab\",t=\"{want}\"}}") };
        assert_eq!(run(r#"{a="ab"}"#, &rules), want, "template {template}");
    }
}

#[test]
fn dot_matches_newline_as_in_prometheus_3() {
    check(&[
        (r#"{a="x\ny"}"#, "- {source_labels: [a], target_label: b}", r#"{a="x\ny",b="x\ny"}"#),
        (r#"{a="x\ny"}"#, "- {source_labels: [a], regex: '(?-s)(.*)', target_label: b}", r#"{a="x\ny"}"#),
        (r#"{a="x\ny"}"#, "- {source_labels: [a], regex: '(?s)(.*)', target_label: b}", r#"{a="x\ny",b="x\ny"}"#),
        (r#"{a="x\ny"}"#, "- {source_labels: [a], regex: 'x\\sy', action: drop}", "DROPPED"),
    ]);
}

#[test]
fn labelmap_later_source_name_wins_and_reads_old_values() {
    check(&[
        (r#"{a="1",b="2"}"#, "- {regex: '(.*)', replacement: b, action: labelmap}", r#"{a="1",b="2"}"#),
        (
            r#"{a_x="1",b_x="2"}"#,
            "- {regex: '.*_(x)', replacement: '$1', action: labelmap}",
            r#"{a_x="1",b_x="2",x="2"}"#,
        ),
    ]);
}
