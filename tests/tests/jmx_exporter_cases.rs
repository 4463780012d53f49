//! The JMX exporter 1.x's own test cases against a real JVM: Tomcat 9 with Jolokia 1.7.1 serving
//! the JMX exporter's test MBeans (`tests/java/io/prometheus/jmx`, its `TestMBeanRegistry`, real
//! Java types: enums, `Optional`, `Date`, nested and composite-keyed `TabularData`, ...).
//!
//! Each case names the upstream test it follows (prometheus/jmx_exporter
//! `collector/src/test/java/io/prometheus/jmx/*Test.java` at 4b843c6938bb26c7535f30bc8fa2a7879157f195)
//! and asserts what it asserts, on the exposition, looked up as `PrometheusRegistryUtils` does.
//! The plugin's core runs in-process (one JVM, every case in milliseconds); the same cases through
//! `scrapelet plugin run` and the WebAssembly plugin are in `tests/jmx.rs`.

use jmx_core::JmxConfig;
use jmx_core::jolokia::{Jolokia, Options, State, scrape};
use scrapelet_tests::Tomcat;
use scrapelet_tests::jmx::{HttpJolokia, Samples};
use scrapelet_tests::tomcat::Options as JvmOptions;

struct Http(HttpJolokia);

impl Jolokia for Http {
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        self.0.post(body)
    }
}

/// One scrape of the JVM with `yaml`, as a first scrape (no state).
fn run(jvm: &Tomcat, yaml: &str) -> Result<Samples, String> {
    let config = JmxConfig::from_yaml(yaml).map_err(|e| format!("config: {e}"))?;
    let mut jolokia = Http(HttpJolokia::new(jvm.addr(), Tomcat::JOLOKIA));
    let out =
        scrape(&config, Options { jvm_metrics: false }, State::new(1), &mut jolokia).map_err(|e| e.to_string())?;
    Ok(Samples::parse(&out.rules))
}

type Check = Box<dyn Fn(&Samples) -> Result<(), String>>;

fn value(family: &'static str, labels: &'static [(&'static str, &'static str)], expected: f64) -> Check {
    Box::new(move |s| match s.value(family, labels) {
        Some(v) if (v - expected).abs() <= 0.001 => Ok(()),
        got => Err(format!("{family}{labels:?}: expected {expected}, got {got:?}")),
    })
}

fn exact(family: &'static str, labels: &'static [(&'static str, &'static str)], expected: f64) -> Check {
    Box::new(move |s| match s.value(family, labels) {
        Some(v) if v == expected => Ok(()),
        got => Err(format!("{family}{labels:?}: expected exactly {expected}, got {got:?}")),
    })
}

fn present(family: &'static str, labels: &'static [(&'static str, &'static str)]) -> Check {
    Box::new(move |s| s.value(family, labels).map(|_| ()).ok_or(format!("{family}{labels:?}: missing")))
}

fn absent(family: &'static str, labels: &'static [(&'static str, &'static str)]) -> Check {
    Box::new(move |s| match s.value(family, labels) {
        None => Ok(()),
        Some(v) => Err(format!("{family}{labels:?}: expected none, got {v}")),
    })
}

fn kind(family: &'static str, labels: &'static [(&'static str, &'static str)], expected: &'static str) -> Check {
    Box::new(move |s| match s.kind(family, labels) {
        Some(k) if k == expected => Ok(()),
        got => Err(format!("{family}{labels:?}: expected type {expected}, got {got:?}")),
    })
}

const HADOOP: &str =
    "pattern: \"^hadoop<service=DataNode, name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:\"";
const PROCESS_CPU: &str = "java_lang_OperatingSystem_ProcessCpuTime";
const CASSANDRA: &str = "org_apache_cassandra_concurrent_CONSISTENCY_MANAGER_ActiveCount";
const COMPACTION: &str = "org_apache_cassandra_metrics_Compaction_Value";
const HADOOP_DEFAULT: &str = "hadoop_DataNode_replaceBlockOpMinTime";
const HADOOP_NAME: &[(&str, &str)] = &[("name", "DataNodeActivity-ams-hdd001-50010")];
const KAFKA_LABELS: &[(&str, &str)] = &[("client_id", "my-app-consumer"), ("node_id", "node-1")];
const KAFKA_RULES: &str = "rules:\n- pattern: 'kafka.consumer<type=.+, client-id=(.+), node-id=(.+)><>(.+):'\n  name: kafka_consumer_$3\n  labels:\n    client_id: $1\n    node_id: $2";

fn cases() -> Vec<(&'static str, String, Vec<Check>)> {
    let hadoop = |rest: &str| format!("---\nrules:\n- {HADOOP}\n{rest}");
    let includes =
        |key: &str| format!("---\n{key}:\n- java.lang:*\n- java.lang:*\n- org.apache.cassandra.concurrent:*");
    let excludes = |inc: &str, exc: &str| {
        format!(
            "---\n{inc}:\n- java.lang:*\n- org.apache.cassandra.concurrent:*\n{exc}:\n- org.apache.cassandra.concurrent:*"
        )
    };
    let only_java = |yes: bool| {
        vec![
            if yes { present(PROCESS_CPU, &[]) } else { absent(PROCESS_CPU, &[]) },
            absent(COMPACTION, &[("name", "CompletedTasks")]),
            absent(HADOOP_DEFAULT, HADOOP_NAME),
        ]
    };
    let mut including = only_java(true);
    including.push(present(CASSANDRA, &[]));
    let mut including_old = only_java(true);
    including_old.push(present(CASSANDRA, &[]));
    let mut excluding = only_java(true);
    excluding.push(absent(CASSANDRA, &[]));
    let mut excluding_old = only_java(true);
    excluding_old.push(absent(CASSANDRA, &[]));
    let custom = "---\nincludeObjectNames: [\"io.prometheus.jmx:type=customValue\"]\nmetricCustomizers:\n   - mbeanFilter:\n        domain: io.prometheus.jmx\n        properties:\n           type: customValue\n     attributesAsLabels:\n        - Text";
    let extra = |labels: &str| {
        format!(
            "---\nincludeObjectNames: [\"io.prometheus.jmx:type=stringValue\"]\nmetricCustomizers:\n   - mbeanFilter:\n        domain: io.prometheus.jmx\n        properties:\n           type: stringValue\n{labels}     extraMetrics:\n        - name: isActive\n          value: true\n          description: This is a boolean value indicating if the scenario is still active or is completed."
        )
    };
    let types = |bean: &str| format!("---\nincludeObjectNames:\n  - 'io.prometheus.jmx.test:type={bean}'");
    vec![
        ("JmxCollectorTest.testNameIsReplacedOnMatch", hadoop("  name: foo"), vec![value("foo", &[], 200.0)]),
        (
            "JmxCollectorTest.testSnakeCaseAttrName",
            format!("---\nrules:\n- {}\n  name: foo\n  attrNameSnakeCase: true", HADOOP.replace("replaceBlockOpMinTime", "replace_block_op_min_time")),
            vec![value("foo", &[], 200.0)],
        ),
        ("JmxCollectorTest.testLabelsAreSet", hadoop("  name: foo\n  labels:\n    l: v"), vec![value("foo", &[("l", "v")], 200.0)]),
        ("JmxCollectorTest.testEmptyLabelsAreIgnored", hadoop("  name: foo\n  labels:\n    '': v\n    l: ''"), vec![value("foo", &[], 200.0)]),
        ("JmxCollectorTest.testLowercaseOutputName", format!("---\nlowercaseOutputName: true\nrules:\n- {HADOOP}\n  name: Foo"), vec![value("foo", &[], 200.0)]),
        (
            "JmxCollectorTest.testLowercaseOutputLabelNames",
            format!("---\nlowercaseOutputLabelNames: true\nrules:\n- {HADOOP}\n  name: Foo\n  labels:\n    ABC: DEF"),
            vec![value("Foo", &[("abc", "DEF")], 200.0)],
        ),
        (
            "JmxCollectorTest.testNameAndLabelsFromPattern",
            "---\nrules:\n- pattern: \"^hadoop<(service)=(DataNode), name=DataNodeActivity-ams-hdd001-50010><>(replaceBlockOpMinTime):\"\n  name: hadoop_$3\n  labels:\n    \"$1\": \"$2\"".into(),
            vec![value("hadoop_replaceBlockOpMinTime", &[("service", "DataNode")], 200.0)],
        ),
        (
            "JmxCollectorTest.testNameAndLabelSanitized",
            "---\nrules:\n- pattern: \"^(hadoop<service=DataNode, )name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:\"\n  name: \"$1\"\n  labels:\n    \"$1\": \"$1\"".into(),
            vec![value("hadoop_service_DataNode_", &[("hadoop_service_DataNode_", "hadoop<service=DataNode, ")], 200.0)],
        ),
        ("JmxCollectorTest.testMetricCustomizers", custom.into(), vec![value("io_prometheus_jmx_customValue_Value", &[("Text", "value")], 345.0)]),
        ("JmxCollectorTest.testMetricCustomizersExtraMetrics", extra(""), vec![value("io_prometheus_jmx_stringValue_isActive", &[], 1.0)]),
        (
            "JmxCollectorTest.testMetricCustomizersAttributesAsLabelsExtraMetrics",
            extra("     attributesAsLabels:\n        - Text\n"),
            vec![value("io_prometheus_jmx_stringValue_isActive", &[("Text", "value")], 1.0)],
        ),
        ("JmxCollectorTest.stopsOnEmptyName", "---\nrules:\n- pattern: \".*\"\n  name: ''\n- pattern: \".*\"\n  name: foo".into(), vec![absent("foo", &[])]),
        (
            "JmxCollectorTest.defaultExportTest",
            "---".into(),
            vec![
                present(PROCESS_CPU, &[]),
                value(CASSANDRA, &[], 100.0),
                value(COMPACTION, &[("name", "CompletedTasks")], 0.2),
                value(HADOOP_DEFAULT, HADOOP_NAME, 200.0),
            ],
        ),
        (
            "JmxCollectorTest.nestedTabularDataTest",
            "---".into(),
            vec![value("Hadoop_DataNodeInfo_DatanodeNetworkCounts", &[("service", "DataNode"), ("key", "1.2.3.4"), ("key_", "networkErrors")], 338.0)],
        ),
        (
            "JmxCollectorTest.tabularDataCompositeKeyTest",
            "---".into(),
            vec![
                value("org_exist_management_exist_ProcessReport_RunningQueries_id", &[("key_id", "1"), ("key_path", "/db/query1.xq")], 1.0),
                value("org_exist_management_exist_ProcessReport_RunningQueries_id", &[("key_id", "2"), ("key_path", "/db/query2.xq")], 2.0),
            ],
        ),
        ("JmxCollectorTest.testIncludeObjectNames", includes("includeObjectNames"), including),
        ("JmxCollectorTest.testWhitelist", includes("whitelistObjectNames"), including_old),
        ("JmxCollectorTest.testExcludeObjectNames", excludes("includeObjectNames", "excludeObjectNames"), excluding),
        ("JmxCollectorTest.testBlacklist", excludes("whitelistObjectNames", "blacklistObjectNames"), excluding_old),
        ("JmxCollectorTest.testDefaultExportLowercaseOutputName", "---\nlowercaseOutputName: true".into(), vec![present("java_lang_operatingsystem_processcputime", &[])]),
        (
            "JmxCollectorTest.testServletRequestPattern",
            "\n---\nrules:\n- pattern: 'Catalina<j2eeType=Servlet, WebModule=//([-a-zA-Z0-9+&@#/%?=~_|!:.,;]*[-a-zA-Z0-9+&@#/%=~_|]),\n    name=([-a-zA-Z0-9+/$%~_-|!.]*), J2EEApplication=none, \nJ2EEServer=none><>RequestCount:'\n  name: tomcat_request_servlet_count\n  labels:\n    module: \"$1\"\n    servlet: \"$2\"\n  help: Tomcat servlet request count\n  type: COUNTER\n  attrNameSnakeCase: false".into(),
            vec![value("tomcat_request_servlet_count", &[("module", "localhost/host-manager"), ("servlet", "HTMLHostManager")], 1.0)],
        ),
        ("JmxCollectorTest.testBooleanValues", "---".into(), vec![value("boolean_Test_True", &[], 1.0), value("boolean_Test_False", &[], 0.0)]),
        ("JmxCollectorTest.testValueEmpty", "\n---\nrules:\n- pattern: \".*\"\n  name: foo\n  value:".into(), vec![absent("foo", &[])]),
        ("JmxCollectorTest.testValueCaptureGroup", "\n---\nrules:\n- pattern: \"^hadoop<.+-500(10)>\"\n  name: foo\n  value: $1".into(), vec![value("foo", &[], 10.0)]),
        ("JmxCollectorTest.testValueIgnoreNonNumber", "\n---\nrules:\n- pattern: \".*\"\n  name: foo\n  value: a".into(), vec![absent("foo", &[])]),
        (
            "JmxCollectorTest.testEnumValue",
            "\n---\nrules:\n- pattern: \"org.bean.enum<type=StateMetrics.*>State: RUNNING\"\n  name: bean_running\n  value: 1".into(),
            vec![value("bean_running", &[], 1.0)],
        ),
        (
            "JmxCollectorTest.testCamelLastExchangeFailureTimestamp",
            "\n---\nrules:\n- pattern: 'org.apache.camel<context=([^,]+), type=routes, name=\"([^\"]+)\"><>LastExchangeFailureTimestamp'\n  name: org.apache.camel.LastExchangeFailureTimestamp\n  help: Exchanges Last Failure Timestamps\n  type: UNTYPED\n  labels:\n    context: \"$1\"\n    route: \"$2\"\n    type: routes".into(),
            // CamelMBean.EXPECTED_SECONDS, milliseconds included.
            vec![exact("org_apache_camel_LastExchangeFailureTimestamp", &[("context", "my-camel-context"), ("route", "my-route-name"), ("type", "routes")], 1.573285945111E9)],
        ),
        (
            "JmxCollectorTest.testCompositeData",
            "\n---\nrules:\n- pattern: \"io.prometheus.jmx.test<name=PerformanceMetricsMBean><PerformanceMetrics>.*\"\n  attrNameSnakeCase: true".into(),
            vec![
                exact("io_prometheus_jmx_test_PerformanceMetricsMBean_PerformanceMetrics_active_sessions", &[], 2.0),
                exact("io_prometheus_jmx_test_PerformanceMetricsMBean_PerformanceMetrics_bootstraps", &[], 4.0),
                exact("io_prometheus_jmx_test_PerformanceMetricsMBean_PerformanceMetrics_bootstraps_deferred", &[], 6.0),
            ],
        ),
        (
            "JmxCollectorTest.testInferCounterTypeFromNameEnabled",
            format!("---\ninferCounterTypeFromName: true\n{KAFKA_RULES}"),
            vec![kind("kafka_consumer_request", KAFKA_LABELS, "COUNTER"), kind("kafka_consumer_request_rate", KAFKA_LABELS, "UNKNOWN")],
        ),
        (
            "JmxCollectorTest.testInferCounterTypeFromNameDisabled",
            format!("---\ninferCounterTypeFromName: false\n{KAFKA_RULES}"),
            vec![kind("kafka_consumer_request", KAFKA_LABELS, "UNKNOWN"), kind("kafka_consumer_request_rate", KAFKA_LABELS, "UNKNOWN")],
        ),
        (
            "JmxCollectorTest.testSslConfigWithWhitespaceInProtocols",
            "\n---\nsslConfig:\n  keystore: /path/to/keystore\n  keystoreType: PKCS12\n  protocols: \"TLSv1.2, TLSv1.3\"\n  ciphers: \"AES256, AES128\"".into(),
            vec![present(PROCESS_CPU, &[])],
        ),
        ("JmxCollectorTest.testRuleWithNameAndHelpLoadsSuccessfully", hadoop("  name: test_metric\n  help: This is a test metric"), vec![value("test_metric", &[], 200.0)]),
        ("JmxCollectorTest.testRuleWithNameAndPatternLoadsSuccessfully", hadoop("  name: jvm_memory"), vec![value("jvm_memory", &[], 200.0)]),
        ("JmxCollectorTest.testZeroStartDelaySecondsIsValid", "\n---\nstartDelaySeconds: 0".into(), vec![present(PROCESS_CPU, &[])]),
        ("JmxCollectorTest.scrapeTimeoutSecondsOneAccepted", "---\nscrapeTimeoutSeconds: 1".into(), vec![present(PROCESS_CPU, &[])]),
        ("JmxCollectorConfigTest.testExcludeJvmMetricsTrue", "---\nexcludeJvmMetrics: true".into(), vec![absent(PROCESS_CPU, &[])]),
        ("JmxCollectorConfigTest.testExcludeJvmMetricsFalse", "---\nexcludeJvmMetrics: false".into(), vec![present(PROCESS_CPU, &[])]),
        ("JmxCollectorConfigTest.testHostPortSetsJmxUrl", "---\nhostPort: localhost:9999".into(), vec![present(PROCESS_CPU, &[])]),
        ("JmxCollectorConfigTest.testSslAsBoolean", "---\nssl: true".into(), vec![present(PROCESS_CPU, &[])]),
        (
            "TestMBeanTypesTest.testDateValueIsConvertedToEpochSeconds",
            types("dateValue"),
            vec![value("io_prometheus_jmx_test_dateValue_Timestamp", &[], 1_700_000_000.0)],
        ),
        ("TestMBeanTypesTest.testNullValueIsSkipped", types("nullValue"), vec![absent("io_prometheus_jmx_test_nullValue_nullValue", &[])]),
        ("TestMBeanTypesTest.testArrayValueIsSkipped", types("arrayValue"), vec![absent("io_prometheus_jmx_test_arrayValue_Scores", &[])]),
        ("TestMBeanTypesTest.testOptionalPresentIsUnwrapped", types("optionalValue"), vec![value("io_prometheus_jmx_test_optionalValue_OptionalPresent", &[], 42.0)]),
        ("TestMBeanTypesTest.testOptionalEmptyIsSkipped", types("optionalValue"), vec![absent("io_prometheus_jmx_test_optionalValue_OptionalEmpty", &[])]),
        ("TestMBeanTypesTest.testUnsupportedTypeIsSkipped", types("unsupportedType"), vec![absent("io_prometheus_jmx_test_unsupportedType_Location", &[])]),
    ]
}

/// Every case against one JVM; all failures are reported together.
#[test]
fn jmx_exporter_test_cases_pass_against_a_real_jvm() {
    let jvm = Tomcat::start_with(
        "Tomcat",
        scrapelet_tests::free_port(),
        &JvmOptions { test_mbeans: true, ..Default::default() },
    );
    let mut failures = Vec::new();
    let all = cases();
    for (name, yaml, checks) in &all {
        match run(&jvm, yaml) {
            Ok(samples) => {
                failures.extend(checks.iter().filter_map(|c| c(&samples).err()).map(|e| format!("{name}: {e}")))
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

/// `JmxScraperTest.DoScrapeWithRealMBeansTests` and the `CollidingName` beans: every ASCII
/// character JMX allows in a value, each bean's series told apart by `_objectname`.
#[test]
fn colliding_names_keep_one_series_per_mbean() {
    let jvm = Tomcat::start_with(
        "Tomcat",
        scrapelet_tests::free_port(),
        &JvmOptions { test_mbeans: true, ..Default::default() },
    );
    let samples = run(&jvm, "---\nincludeObjectNames: ['io.prometheus.jmx.test:type=Colliding*,*']").unwrap();
    let colliding = samples.starting_with("io_prometheus_jmx_test_Colliding");
    // Which names JMX accepts is the JVM's business; each registered one gives one series.
    let search =
        jvm.jolokia(&serde_json::json!({"type": "search", "mbean": "io.prometheus.jmx.test:type=Colliding*,*"}));
    let registered = search["value"].as_array().expect("search result").len();
    assert!(registered > 60, "{registered} colliding beans registered");
    assert_eq!(colliding.len(), registered);
    let mut series: Vec<String> = colliding.iter().map(|s| format!("{}{:?}", s.family, s.labels)).collect();
    series.sort();
    series.dedup();
    assert_eq!(series.len(), registered, "names that sanitise alike are told apart by _objectname");
    let shared = colliding.iter().filter(|s| s.family == "io_prometheus_jmx_test_Colliding_Name_Value").count();
    assert!(shared > 10 && colliding.iter().all(|s| s.value == 345.0), "{shared}");
}
