//! The rule-matching cases of the JMX exporter's own `JmxCollectorTest` (jmx_exporter 1.x,
//! `collector/src/test/java/io/prometheus/jmx/JmxCollectorTest.java`), fed with attributes
//! equivalent to the MBeans its `TestMBeanRegistry` registers. The Java tests read samples back
//! from the registry; here we read the exposition line.

mod common;

use common::registry::registered;
use common::{Attr, scrape, value_of};
use jmx_core::JmxConfig;

fn run(config: &str) -> String {
    scrape(config, &registered())
}

/// Scrapes only the beans the config's include/exclude lists let the walker read.
fn run_filtered(config: &str) -> String {
    let parsed = JmxConfig::from_yaml(config).unwrap();
    let attrs: Vec<Attr> = registered()
        .into_iter()
        .filter(|a| {
            let props: Vec<String> = a.props.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parsed.includes_object_name(&format!("{}:{}", a.domain, props.join(",")))
        })
        .collect();
    scrape(config, &attrs)
}

const HADOOP_PATTERN: &str =
    "pattern: \"^hadoop<service=DataNode, name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:\"";

#[test]
fn rules_must_have_name_with_help_or_labels_and_pattern_with_name() {
    assert!(JmxConfig::from_yaml("---\nrules:\n- help: foo").is_err());
    assert!(JmxConfig::from_yaml("---\nrules:\n- labels: {}").is_err());
    assert!(JmxConfig::from_yaml("---\nrules:\n- labels:\n    key: value").is_err());
    assert!(JmxConfig::from_yaml("---\nrules:\n- name: foo").is_err());
}

#[test]
fn name_is_replaced_on_match() {
    let out = run(&format!("---\nrules:\n- {HADOOP_PATTERN}\n  name: foo"));
    assert_eq!(value_of(&out, "foo").as_deref(), Some("200.0"));
}

#[test]
fn snake_case_attr_name_is_what_the_pattern_sees() {
    let p = HADOOP_PATTERN.replace("replaceBlockOpMinTime", "replace_block_op_min_time");
    let out = run(&format!("---\nrules:\n- {p}\n  name: foo\n  attrNameSnakeCase: true"));
    assert_eq!(value_of(&out, "foo").as_deref(), Some("200.0"));
}

#[test]
fn labels_are_set_and_empty_ones_ignored() {
    let out = run(&format!("---\nrules:\n- {HADOOP_PATTERN}\n  name: foo\n  labels:\n    l: v"));
    assert_eq!(value_of(&out, "foo{l=\"v\"}").as_deref(), Some("200.0"));
    let cfg = format!("---\nrules:\n- {HADOOP_PATTERN}\n  name: foo\n  labels:\n    '': v\n    l: ''");
    assert_eq!(value_of(&run(&cfg), "foo").as_deref(), Some("200.0"));
}

#[test]
fn lowercase_output_name_and_label_names() {
    let out = run(&format!("---\nlowercaseOutputName: true\nrules:\n- {HADOOP_PATTERN}\n  name: Foo"));
    assert_eq!(value_of(&out, "foo").as_deref(), Some("200.0"));
    let cfg = format!(
        "---\nlowercaseOutputLabelNames: true\nrules:\n- {HADOOP_PATTERN}\n  name: Foo\n  labels:\n    ABC: DEF"
    );
    assert_eq!(value_of(&run(&cfg), "Foo{abc=\"DEF\"}").as_deref(), Some("200.0"));
}

#[test]
fn name_and_labels_from_pattern_groups() {
    let cfg = "---\nrules:\n- pattern: \"^hadoop<(service)=(DataNode), name=DataNodeActivity-ams-hdd001-50010><>(replaceBlockOpMinTime):\"\n  name: hadoop_$3\n  labels:\n    \"$1\": \"$2\"";
    let out = run(cfg);
    assert_eq!(value_of(&out, "hadoop_replaceBlockOpMinTime{service=\"DataNode\"}").as_deref(), Some("200.0"));
}

#[test]
fn name_and_label_name_are_sanitized_but_not_label_values() {
    let cfg = "---\nrules:\n- pattern: \"^(hadoop<service=DataNode, )name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:\"\n  name: \"$1\"\n  labels:\n    \"$1\": \"$1\"";
    let series = "hadoop_service_DataNode_{hadoop_service_DataNode_=\"hadoop<service=DataNode, \"}";
    assert_eq!(value_of(&run(cfg), series).as_deref(), Some("200.0"));
}

#[test]
fn an_empty_name_stops_matching() {
    let out = run("---\nrules:\n- pattern: \".*\"\n  name: ''\n- pattern: \".*\"\n  name: foo");
    assert_eq!(out, "");
}

#[test]
fn first_matching_rule_wins() {
    let out = run("---\nrules:\n- pattern: \".*\"\n  name: foo\n- pattern: \".*\"\n  name: bar");
    assert!(out.contains("# TYPE foo untyped"));
    assert!(!out.contains("bar"));
}

#[test]
fn default_export_names_and_labels() {
    let out = run("---");
    assert!(value_of(&out, "java_lang_OperatingSystem_ProcessCpuTime").is_some());
    let cassandra = "org_apache_cassandra_concurrent_CONSISTENCY_MANAGER_ActiveCount";
    assert_eq!(value_of(&out, cassandra).as_deref(), Some("100.0"));
    let compaction = "org_apache_cassandra_metrics_Compaction_Value{name=\"CompletedTasks\"}";
    assert_eq!(value_of(&out, compaction).as_deref(), Some("0.2"));
    let hadoop = "hadoop_DataNode_replaceBlockOpMinTime{name=\"DataNodeActivity-ams-hdd001-50010\"}";
    assert_eq!(value_of(&out, hadoop).as_deref(), Some("200.0"));
}

#[test]
fn nested_tabular_data_and_composite_keys() {
    let out = run("---");
    let nested =
        "Hadoop_DataNodeInfo_DatanodeNetworkCounts{key=\"1.2.3.4\",key_=\"networkErrors\",service=\"DataNode\"}";
    assert_eq!(value_of(&out, nested).as_deref(), Some("338.0"));
    let q = "org_exist_management_exist_ProcessReport_RunningQueries_id";
    let row = |id: &str, path: &str| format!("{q}{{key_id=\"{id}\",key_path=\"{path}\"}}");
    assert_eq!(value_of(&out, &row("1", "/db/query1.xq")).as_deref(), Some("1.0"));
    assert_eq!(value_of(&out, &row("2", "/db/query2.xq")).as_deref(), Some("2.0"));
}

#[test]
fn include_and_exclude_object_names_old_and_new_keys() {
    for (inc, exc) in [("includeObjectNames", "excludeObjectNames"), ("whitelistObjectNames", "blacklistObjectNames")] {
        let only = format!("---\n{inc}:\n- java.lang:*\n- java.lang:*\n- org.apache.cassandra.concurrent:*");
        let out = run_filtered(&only);
        assert!(value_of(&out, "java_lang_OperatingSystem_ProcessCpuTime").is_some());
        assert!(value_of(&out, "org_apache_cassandra_concurrent_CONSISTENCY_MANAGER_ActiveCount").is_some());
        assert!(!out.contains("Compaction") && !out.contains("hadoop_DataNode"));
        let out = run_filtered(&format!("{only}\n{exc}:\n- org.apache.cassandra.concurrent:*"));
        assert!(value_of(&out, "java_lang_OperatingSystem_ProcessCpuTime").is_some());
        assert!(!out.contains("CONSISTENCY_MANAGER") && !out.contains("Compaction"));
    }
}

#[test]
fn default_export_lowercase_output_name() {
    let out = run("---\nlowercaseOutputName: true");
    assert!(value_of(&out, "java_lang_operatingsystem_processcputime").is_some());
}

#[test]
fn servlet_request_pattern_folded_over_lines() {
    let cfg = "\n---\nrules:\n- pattern: 'Catalina<j2eeType=Servlet, WebModule=//([-a-zA-Z0-9+&@#/%?=~_|!:.,;]*[-a-zA-Z0-9+&@#/%=~_|]),\n    name=([-a-zA-Z0-9+/$%~_-|!.]*), J2EEApplication=none, \nJ2EEServer=none><>RequestCount:'\n  name: tomcat_request_servlet_count\n  labels:\n    module: \"$1\"\n    servlet: \"$2\"\n  help: Tomcat servlet request count\n  type: COUNTER\n  attrNameSnakeCase: false";
    let out = run(cfg);
    let series = "tomcat_request_servlet_count_total{module=\"localhost/host-manager\",servlet=\"HTMLHostManager\"}";
    assert_eq!(value_of(&out, series).as_deref(), Some("1.0"));
}

#[test]
fn booleans_are_one_and_zero() {
    let out = run("---");
    assert_eq!(value_of(&out, "boolean_Test_True").as_deref(), Some("1.0"));
    assert_eq!(value_of(&out, "boolean_Test_False").as_deref(), Some("0.0"));
}

#[test]
fn value_empty_or_not_a_number_gives_no_sample() {
    assert_eq!(run("\n---\nrules:\n- pattern: \".*\"\n  name: foo\n  value:"), "");
    assert_eq!(run("\n---\nrules:\n- pattern: \".*\"\n  name: foo\n  value: a"), "");
}

#[test]
fn value_from_a_capture_group() {
    let out = run("\n---\nrules:\n- pattern: \"^hadoop<.+-500(10)>\"\n  name: foo\n  value: $1");
    assert_eq!(value_of(&out, "foo").as_deref(), Some("10.0"));
}

#[test]
fn value_for_an_enum_state() {
    let cfg = "\n---\nrules:\n- pattern: \"org.bean.enum<type=StateMetrics.*>State: RUNNING\"\n  name: bean_running\n  value: 1";
    assert_eq!(value_of(&run(cfg), "bean_running").as_deref(), Some("1.0"));
}

#[test]
fn camel_route_with_quoted_name() {
    let cfg = "\n---\nrules:\n- pattern: 'org.apache.camel<context=([^,]+), type=routes, name=\"([^\"]+)\"><>LastExchangeFailureTimestamp'\n  name: org.apache.camel.LastExchangeFailureTimestamp\n  help: Exchanges Last Failure Timestamps\n  type: UNTYPED\n  labels:\n    context: \"$1\"\n    route: \"$2\"\n    type: routes";
    let out = run(cfg);
    let series = "org_apache_camel_LastExchangeFailureTimestamp{context=\"my-camel-context\",route=\"my-route-name\",type=\"routes\"}";
    assert_eq!(value_of(&out, series).as_deref(), Some("1.5732E9"));
    assert!(out.contains("# TYPE org_apache_camel_LastExchangeFailureTimestamp untyped\n"));
}

#[test]
fn composite_data_with_snake_case_default_export() {
    let cfg = "\n---\nrules:\n- pattern: \"io.prometheus.jmx.test<name=PerformanceMetricsMBean><PerformanceMetrics>.*\"\n  attrNameSnakeCase: true";
    let out = run(cfg);
    let m = "io_prometheus_jmx_test_PerformanceMetricsMBean_PerformanceMetrics_";
    assert_eq!(value_of(&out, &format!("{m}active_sessions")).as_deref(), Some("2.0"));
    assert_eq!(value_of(&out, &format!("{m}bootstraps")).as_deref(), Some("4.0"));
    assert_eq!(value_of(&out, &format!("{m}bootstraps_deferred")).as_deref(), Some("6.0"));
}

const KAFKA: &str = "rules:\n- pattern: 'kafka.consumer<type=.+, client-id=(.+), node-id=(.+)><>(.+):'\n  name: kafka_consumer_$3\n  labels:\n    client_id: $1\n    node_id: $2";

#[test]
fn infer_counter_type_from_name() {
    let labels = "{client_id=\"my-app-consumer\",node_id=\"node-1\"}";
    let out = run(&format!("---\ninferCounterTypeFromName: true\n{KAFKA}"));
    assert!(out.contains("# TYPE kafka_consumer_request_total counter\n"));
    assert_eq!(value_of(&out, &format!("kafka_consumer_request_total{labels}")).as_deref(), Some("1.0"));
    assert!(out.contains("# TYPE kafka_consumer_request_rate untyped\n"));
    let out = run(&format!("---\ninferCounterTypeFromName: false\n{KAFKA}"));
    assert!(out.contains("# TYPE kafka_consumer_request untyped\n"));
    assert_eq!(value_of(&out, &format!("kafka_consumer_request{labels}")).as_deref(), Some("1.0"));
}

#[test]
fn invalid_numbers_in_config_are_rejected() {
    assert!(JmxConfig::from_yaml("---\nrules:\n- pattern: \".*\"\n  name: foo\n  valueFactor: not_a_number").is_err());
    assert!(JmxConfig::from_yaml("---\nstartDelaySeconds: -5").is_err());
    assert!(JmxConfig::from_yaml("---\nstartDelaySeconds: 0").is_ok());
    assert!(JmxConfig::from_yaml("---\nscrapeTimeoutSeconds: 0").is_err());
    assert!(JmxConfig::from_yaml("---\nscrapeTimeoutSeconds: 1").is_ok());
}

#[test]
fn javaagent_only_keys_are_accepted_and_ignored() {
    let cfg = "---\nstartDelaySeconds: 0\nssl: false\nusername: u\npassword: p\nhttpServer:\n  threads: 2\nsslConfig:\n  protocols: \"TLSv1.2, TLSv1.3\"";
    assert!(value_of(&run(cfg), "java_lang_OperatingSystem_ProcessCpuTime").is_some());
    assert!(JmxConfig::from_yaml("---\nhostPort: a:1\njmxUrl: x").is_err());
}
