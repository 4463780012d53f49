//! The output-relevant cases of the JMX exporter's `JmxCollectorConfigTest` (jmx_exporter 1.x,
//! `collector/src/test/java/io/prometheus/jmx/JmxCollectorConfigTest.java` @f3776ef67250),
//! against the attributes of its `TestMBeanRegistry` (`common::registry`).

mod common;

use common::registry::{HADOOP, registered};
use common::{attr, int, scrape, text, value_of};
use jmx_core::{Collector, JmxConfig, Receiver};

fn run(config: &str) -> String {
    scrape(config, &registered())
}

const HADOOP_RULE: &str =
    "- pattern: '^hadoop<service=DataNode, name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:'";

#[test]
fn start_delay_and_minimal_configs() {
    assert!(JmxConfig::from_yaml("---\nstartDelaySeconds: not_a_number").is_err());
    assert!(JmxConfig::from_yaml("---\nmetricCustomizers: null").is_err());
    assert!(value_of(&run("{}"), "java_lang_OperatingSystem_ProcessCpuTime").is_some());
    let ssl = "---\nssl:\n  enabled: true\n  keyStore:\n    filename: /k\n  protocols: \"TLSv1.2, TLSv1.3\"";
    assert!(value_of(&run(ssl), "java_lang_OperatingSystem_ProcessCpuTime").is_some());
}

#[test]
fn untyped_is_unknown() {
    let out = run(&format!("---\nrules:\n{HADOOP_RULE}\n  name: untyped_metric\n  type: UNTYPED\n  value: 1"));
    assert!(out.contains("# TYPE untyped_metric untyped\nuntyped_metric 1.0\n"), "{out}");
}

#[test]
fn help_labels_and_value_factor() {
    let out = run(&format!(
        "---\nrules:\n{HADOOP_RULE}\n  name: test_help_metric\n  help: This is help text\n  labels:\n    env: prod"
    ));
    assert!(out.contains("# HELP test_help_metric This is help text\n"));
    assert_eq!(value_of(&out, "test_help_metric{env=\"prod\"}").as_deref(), Some("200.0"));
    let out = run(&format!("---\nrules:\n{HADOOP_RULE}\n  name: vf_metric\n  valueFactor: 0.001"));
    assert_eq!(value_of(&out, "vf_metric").as_deref(), Some("0.2"));
}

#[test]
fn default_rule_with_cache_or_snake_case() {
    assert!(value_of(&run("---\nrules:\n- cache: true"), "java_lang_OperatingSystem_ProcessCpuTime").is_some());
    let out = run("---\nrules:\n- attrNameSnakeCase: true");
    assert!(value_of(&out, "java_lang_OperatingSystem_process_cpu_time").is_some());
}

#[test]
fn cached_rule_gives_the_same_sample_on_every_scrape() {
    let cfg = format!("---\nrules:\n{HADOOP_RULE}\n  name: cached_hadoop_metric\n  cache: true");
    let (outs, hits) = common::scrape_cached(&cfg, &registered(), 2);
    assert_eq!(value_of(&outs[0], "cached_hadoop_metric").as_deref(), Some("200.0"));
    assert_eq!(outs[0], outs[1]);
    assert!(hits > 0);
}

#[test]
fn object_name_attribute_filters() {
    let exclude = JmxConfig::from_yaml(
        "---\nexcludeObjectNameAttributes:\n  \"java.lang:type=OperatingSystem\":\n    - \"ProcessCpuTime\"",
    )
    .unwrap();
    assert!(!exclude.includes_attribute("java.lang:type=OperatingSystem", "ProcessCpuTime"));
    let include = JmxConfig::from_yaml(
        "---\nincludeObjectNameAttributes:\n  \"java.lang:type=OperatingSystem\":\n    - \"ProcessCpuTime\"",
    )
    .unwrap();
    assert!(include.includes_attribute("java.lang:type=OperatingSystem", "ProcessCpuTime"));
    assert!(JmxConfig::from_yaml("---\nautoExcludeObjectNameAttributes: true").is_ok());
}

#[test]
fn whitelist_with_blacklist_backward_compat() {
    let c = JmxConfig::from_yaml(
        "---\nwhitelistObjectNames:\n- java.lang:*\nblacklistObjectNames:\n- java.lang:type=Runtime",
    )
    .unwrap();
    assert!(c.includes_object_name("java.lang:type=OperatingSystem"));
    assert!(!c.includes_object_name("java.lang:type=Runtime"));
    assert!(!c.includes_object_name(HADOOP));
}

#[test]
fn lowercase_label_names_with_attributes_as_labels() {
    let cfg = "---\nlowercaseOutputLabelNames: true\nincludeObjectNames:\n  - 'io.prometheus.jmx:type=customValue'\nmetricCustomizers:\n  - mbeanFilter:\n      domain: io.prometheus.jmx\n      properties:\n        type: customValue\n    attributesAsLabels:\n      - Text";
    let config = JmxConfig::from_yaml(cfg).unwrap();
    let mut c = Collector::new(&config);
    let labels = [("Text".to_owned(), "value".to_owned())];
    let bean = "io.prometheus.jmx:type=customValue";
    c.record_bean(&attr(bean, "Value", int(345)).labels(&labels).as_bean_attr());
    c.record_bean(&attr(bean, "Text", text("value")).labels(&labels).as_bean_attr());
    assert_eq!(value_of(&c.finish(), "io_prometheus_jmx_customValue_Value{text=\"value\"}").as_deref(), Some("345.0"));
}

#[test]
fn an_invalid_group_reference_in_a_label_drops_the_sample() {
    // Java throws and the scrape reports jmx_scrape_error 1; here the attribute is skipped and
    // counted (Skipped::errors).
    let cfg = format!("---\nrules:\n{HADOOP_RULE}\n  name: bad_label_metric\n  labels:\n    label: $999");
    let config = JmxConfig::from_yaml(&cfg).unwrap();
    let mut c = Collector::new(&config);
    for a in registered() {
        c.record_bean(&a.as_bean_attr());
    }
    assert_eq!(c.skipped().errors, 1);
    assert!(!c.finish().contains("bad_label_metric"));
}

#[test]
fn default_export_infers_counters_from_total() {
    let out = run("---\ninferCounterTypeFromName: true\nlowercaseOutputLabelNames: true");
    assert!(out.contains("# TYPE kafka_consumer_consumer_node_metrics_request_total counter\n"), "{out}");
    let series = "kafka_consumer_consumer_node_metrics_request_total{client_id=\"my-app-consumer\",node_id=\"node-1\"}";
    assert_eq!(value_of(&out, series).as_deref(), Some("1.0"));
    let hadoop = "hadoop_DataNode_replaceBlockOpMinTime{name=\"DataNodeActivity-ams-hdd001-50010\"}";
    assert_eq!(value_of(&out, hadoop).as_deref(), Some("200.0"));
}
