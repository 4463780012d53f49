//! Behaviours of `JmxCollector.recordBean`, the converter and client_java's writer that the
//! Java test-suite does not pin down, each with the Java source it follows (jmx_exporter 1.x
//! `JmxCollector.java`, `MatchedRuleToMetricSnapshotsConverter.java`; client_java
//! `PrometheusTextFormatWriter.java`, `CounterSnapshot.java`, `Labels.java`).

mod common;

use common::{attr, double, int, scrape, text, value_of};
use jmx_core::{AttrValue, Collector, JmxConfig, Receiver};

#[test]
fn json_config_reads_like_yaml() {
    let json = serde_json::json!({
        "lowercaseOutputName": true,
        "rules": [{"pattern": "d<type=(\\w+)><>V", "name": "X_$1", "valueFactor": 2, "type": "GAUGE"}],
        "jmxUrl": "service:jmx:rmi:///jndi/rmi://h:1/jmxrmi"
    });
    let config = JmxConfig::from_json(&json).unwrap();
    let a = attr("d:type=T", "V", int(3));
    let mut c = Collector::new(&config);
    c.record_bean(&a.as_bean_attr());
    assert_eq!(c.finish(), "# HELP x_t d:name=null,type=T,attribute=V\n# TYPE x_t gauge\nx_t 6.0\n");
}

#[test]
fn config_errors_are_collected_with_their_place() {
    let yaml = "rules:\n- pattern: '('\n- pattern: ok\n- name: foo\n- pattern: x\n  labels: {a: 1}\n  name: y\nlowercaseOutputName: maybe";
    let err = JmxConfig::from_yaml(yaml).unwrap_err().to_string();
    assert!(err.contains("rules[0].pattern: "), "{err}");
    assert!(err.contains("rules[2]: must provide pattern"), "{err}");
    assert!(err.contains("rules[3].labels.a: expected a string"), "{err}");
    assert!(err.contains("lowercaseOutputName: expected a boolean"), "{err}");
}

#[test]
fn yaml_1_1_booleans_and_empty_files() {
    let c = JmxConfig::from_yaml("lowercaseOutputName: yes\nlowercaseOutputLabelNames: off").unwrap();
    assert!(c.lowercase_output_name && !c.lowercase_output_label_names);
    assert_eq!(JmxConfig::from_yaml("").unwrap().rules.len(), 1, "no rules key: the default rule");
    assert_eq!(JmxConfig::from_yaml("rules: []").unwrap().rules.len(), 0);
}

#[test]
fn negative_counters_are_dropped_gauges_kept() {
    // client_java's CounterDataPointSnapshot.validate throws for a negative value (the JMX
    // exporter's whole scrape then fails); we drop just that point.
    let cfg = "rules:\n- pattern: 'd<type=(\\w+)><>V'\n  name: c_$1\n  type: COUNTER\n- pattern: '.*'\n  name: g\n  type: GAUGE";
    let out =
        scrape(cfg, &[attr("d:type=a", "V", int(-1)), attr("d:type=b", "V", int(2)), attr("e:type=c", "V", int(-3))]);
    assert!(!out.contains("c_a_total"));
    assert!(out.contains("c_b_total 2.0\n"));
    assert!(out.contains("g -3.0\n"));
}

#[test]
fn help_and_label_values_are_escaped() {
    let cfg = "rules:\n- pattern: 'd<type=T><>V: (.*)'\n  name: m\n  value: 1\n  help: \"a\\\\b\\nc $1\"\n  labels:\n    v: $1";
    let out = scrape(cfg, &[attr("d:type=T", "V", text("x\"y\\z"))]);
    // replaceAll also reads the help: `\b` in it is an escaped `b`.
    assert_eq!(out, "# HELP m ab\\nc x\"y\\\\z\n# TYPE m untyped\nm{v=\"x\\\"y\\\\z\"} 1.0\n");
}

#[test]
fn cached_rules_see_the_value_as_cache() {
    // `cache: true` matches against `...: <cache>` so the result may be cached per attribute.
    let by_value = "rules:\n- pattern: 'd<type=T><>V: 5'\n  name: m\n  cache: true";
    assert_eq!(scrape(by_value, &[attr("d:type=T", "V", int(5))]), "");
    let by_name = "rules:\n- pattern: 'd<type=T><>V: (.*)'\n  name: m_$1\n  cache: true";
    let out = scrape(by_name, &[attr("d:type=T", "V", int(5))]);
    assert_eq!(value_of(&out, "m_cache_").as_deref(), Some("5.0"));
}

#[test]
fn value_factor_scales_value_results_but_not_booleans() {
    let cfg = "rules:\n- pattern: 'd<type=T><>(\\w+): (.*)'\n  name: m_$1\n  value: $2\n  valueFactor: 0.5\n- pattern: '.*'\n  name: b_$0\n  valueFactor: 10";
    let out = scrape(cfg, &[attr("d:type=T", "V", text("3")), attr("e:type=U", "B", AttrValue::Bool(true))]);
    assert_eq!(value_of(&out, "m_V").as_deref(), Some("1.5"));
    assert!(out.contains(" 1.0\n") && !out.contains(" 10.0"), "{out}");
}

#[test]
fn special_values_print_as_java_and_client_java_do() {
    let out = scrape(
        "---",
        &[
            attr("d:type=A", "nan", double(f64::NAN)),
            attr("d:type=B", "inf", double(f64::INFINITY)),
            attr("d:type=C", "tiny", double(1.0e-5)),
        ],
    );
    assert_eq!(value_of(&out, "d_A_nan").as_deref(), Some("NaN"));
    assert_eq!(value_of(&out, "d_B_inf").as_deref(), Some("+Inf"));
    assert_eq!(value_of(&out, "d_C_tiny").as_deref(), Some("1.0E-5"));
}

#[test]
fn duplicate_label_names_and_bad_replacements_skip_only_that_attribute() {
    let config = JmxConfig::from_yaml(
        "lowercaseOutputLabelNames: true\nrules:\n- pattern: 'd<type=dup><>V'\n  name: m\n  labels: {A: x, a: y}\n- pattern: 'd<type=bad><>V'\n  name: m_$9\n- pattern: '.*'",
    )
    .unwrap();
    let mut c = Collector::new(&config);
    for a in [attr("d:type=dup", "V", int(1)), attr("d:type=bad", "V", int(1)), attr("d:type=ok", "V", int(1))] {
        c.record_bean(&a.as_bean_attr());
    }
    assert_eq!(c.skipped().errors, 2);
    assert!(c.finish().contains("d_ok_V 1.0\n"));
}

#[test]
fn repeated_property_keeps_its_place_and_takes_the_last_value() {
    // LinkedHashMap.put on an existing key (a tabular index column named like a key property).
    let a = attr("d:name=first,type=T", "V", int(1)).index(&[("name", "row")]);
    let out = scrape("---", &[a]);
    assert_eq!(value_of(&out, "d_row_V{type=\"T\"}").as_deref(), Some("1.0"));
    assert!(out.contains("# HELP d_row_V d:name=row,type=T,attribute=V\n"));
}

#[test]
fn description_is_prefixed_unless_it_is_the_attribute_name() {
    let out = scrape(
        "---",
        &[attr("d:type=T", "V", int(1)).description("Volume"), attr("d:type=U", "W", int(1)).description("W")],
    );
    assert!(out.contains("# HELP d_T_V Volume d:name=null,type=T,attribute=V\n"));
    assert!(out.contains("# HELP d_U_W d:name=null,type=U,attribute=W\n"));
}

#[test]
fn lowercase_output_name_keeps_label_values() {
    let out = scrape(
        "lowercaseOutputName: true\nlowercaseOutputLabelNames: true",
        &[attr("D:type=T,Scope=Big", "V", int(1))],
    );
    assert_eq!(value_of(&out, "d_t_v{scope=\"Big\"}").as_deref(), Some("1.0"));
}

#[test]
fn attribute_filters_compare_canonical_names() {
    let c = JmxConfig::from_yaml(
        "excludeObjectNameAttributes:\n  \"java.lang:type=Runtime\": [SystemProperties]\nincludeObjectNameAttributes:\n  \"d:b=2,a=1\": [X]",
    )
    .unwrap();
    assert!(!c.includes_attribute("java.lang:type=Runtime", "SystemProperties"));
    assert!(!c.includes_attribute("java.lang:type=Runtime", "Uptime"), "includes listed: others out");
    assert!(c.includes_attribute("d:a=1,b=2", "X"));
}

#[test]
fn exclude_jvm_metrics_excludes_jvm_domains() {
    let c = JmxConfig::from_yaml("excludeJvmMetrics: true").unwrap();
    assert!(!c.includes_object_name("java.lang:type=Memory"));
    assert!(c.includes_object_name("Catalina:type=Server"));
    let none = JmxConfig::from_yaml("includeObjectNames: []").unwrap();
    assert!(!none.includes_object_name("Catalina:type=Server"));
    // JmxScraper.doScrape: an include that names a JVM MBean brings it back, an exclude does not.
    let named = "excludeJvmMetrics: true\nincludeObjectNames: ['java.lang:type=Memory', 'd:*']\nexcludeObjectNames: ['d:type=X']";
    let c = JmxConfig::from_yaml(named).unwrap();
    assert!(c.includes_object_name("java.lang:type=Memory"));
    assert!(!c.includes_object_name("java.lang:type=Runtime"));
    assert!(c.includes_object_name("d:type=Y") && !c.includes_object_name("d:type=X"));
}

#[test]
fn null_values_never_reach_the_rules() {
    // JmxScraper.processBeanValue drops nulls, so even a `value:` rule sees nothing.
    let cfg = "rules:\n- pattern: 'd<type=T><>V: null'\n  name: m\n  value: 1";
    assert_eq!(scrape(cfg, &[attr("d:type=T", "V", AttrValue::Null)]), "");
}

#[test]
fn metric_customizer_extra_metrics_are_attributes_of_the_bean() {
    // JmxCollectorTest.testMetricCustomizersExtraMetrics: the walker records each extra metric
    // of the bean's customizer like an attribute (JmxScraper.scrapeBean).
    let cfg = "includeObjectNames: [\"io.prometheus.jmx:type=stringValue\"]\nmetricCustomizers:\n   - mbeanFilter:\n        domain: io.prometheus.jmx\n        properties:\n           type: stringValue\n     extraMetrics:\n        - name: isActive\n          value: true\n          description: Still active.";
    let config = JmxConfig::from_yaml(cfg).unwrap();
    let props = vec![("type".to_owned(), "stringValue".to_owned())];
    let custom = config.metric_customizer("io.prometheus.jmx", &props).expect("filter matches");
    assert!(config.metric_customizer("io.prometheus.jmx", &[]).is_none());
    let extra = &custom.extra_metrics[0];
    let a =
        attr("io.prometheus.jmx:type=stringValue", &extra.name, extra.value.clone()).description(&extra.description);
    let out = scrape(cfg, &[a]);
    assert_eq!(value_of(&out, "io_prometheus_jmx_stringValue_isActive").as_deref(), Some("1.0"));
}

#[test]
fn metric_customizers_are_validated_like_java() {
    let bad = [
        ("metricCustomizers:", "must provide mbeanFilter"),
        ("metricCustomizers:\n- attributesAsLabels: [Text]", "metricCustomizers[0]: must provide mbeanFilter"),
        ("metricCustomizers:\n- mbeanFilter: {properties: {}}\n  attributesAsLabels: [Text]", "must provide domain"),
        ("metricCustomizers:\n- mbeanFilter: {domain: d}", "must provide attributesAsLabels or extraMetrics"),
        (
            "metricCustomizers:\n- mbeanFilter: {domain: d}\n  extraMetrics:\n  - value: 1",
            "extraMetrics[0]: must provide name",
        ),
        (
            "metricCustomizers:\n- mbeanFilter: {domain: d}\n  extraMetrics:\n  - name: x",
            "extraMetrics[0]: must provide value",
        ),
    ];
    for (yaml, message) in bad {
        let err = JmxConfig::from_yaml(yaml).unwrap_err().to_string();
        assert!(err.contains(message), "{yaml}: {err}");
    }
}

#[test]
fn yaml_anchors_and_aliases_resolve() {
    let cfg = "common: &gauge GAUGE\nrules:\n- pattern: 'd<type=T><>V'\n  name: m\n  type: *gauge";
    let out = scrape(cfg, &[attr("d:type=T", "V", int(1))]);
    assert!(out.contains("# TYPE m gauge\n"), "{out}");
}

#[test]
fn points_sort_by_utf16_like_java_strings() {
    // U+FF5E sorts after U+1F600 in UTF-8 byte order but before it in Java's UTF-16 order.
    let cfg = "rules:\n- pattern: 'd<type=T, k=(.*)><>V'\n  name: m\n  labels: {k: $1}";
    let out = scrape(cfg, &[attr("d:type=T,k=\u{1F600}", "V", int(1)), attr("d:type=T,k=\u{FF5E}", "V", int(2))]);
    assert_eq!(
        out,
        "# HELP m d:name=null,type=T,attribute=V\n# TYPE m untyped\nm{k=\"\u{1F600}\"} 1.0\nm{k=\"\u{FF5E}\"} 2.0\n"
    );
}

#[test]
fn metric_customizer_attributes_as_labels_join_every_sample() {
    // JmxCollectorTest.testMetricCustomizers: bean io.prometheus.jmx:type=customValue with
    // Value=345 and Text="value"; the walker passes Text's value for each attribute.
    let cfg = "includeObjectNames: [\"io.prometheus.jmx:type=customValue\"]\nmetricCustomizers:\n   - mbeanFilter:\n        domain: io.prometheus.jmx\n        properties:\n           type: customValue\n     attributesAsLabels:\n        - Text";
    let config = JmxConfig::from_yaml(cfg).unwrap();
    let labels = vec![("Text".to_owned(), "value".to_owned())];
    let bean = "io.prometheus.jmx:type=customValue";
    let mut c = Collector::new(&config);
    for a in [attr(bean, "Value", int(345)), attr(bean, "Text", text("value"))] {
        c.record_bean(&a.labels(&labels).as_bean_attr());
    }
    let out = c.finish();
    assert_eq!(value_of(&out, "io_prometheus_jmx_customValue_Value{Text=\"value\"}").as_deref(), Some("345.0"));
    let lower =
        JmxConfig::from_yaml("lowercaseOutputLabelNames: true\nrules:\n- pattern: '.*'\n  name: m\n  labels: {z: y}")
            .unwrap();
    let mut c = Collector::new(&lower);
    c.record_bean(&attr(bean, "Value", int(1)).labels(&labels).as_bean_attr());
    assert_eq!(value_of(&c.finish(), "m{text=\"value\",z=\"y\"}").as_deref(), Some("1.0"));
}
