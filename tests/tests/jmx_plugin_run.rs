//! `scrapelet plugin run jmx.wasm --config CFG --target HOST:PORT` against a real JVM, as a user
//! tries rules (and as the JMX exporter's cases are checked): CFG is the JMX exporter's YAML with
//! `jolokia: {path: ...}` added, read by the agent's YAML reader and handed to the WebAssembly
//! plugin. Each case names the upstream test it follows (prometheus/jmx_exporter
//! `JmxCollectorTest` at 4b843c6938bb26c7535f30bc8fa2a7879157f195); the full list runs in-process
//! in `jmx_exporter_cases.rs`.

use scrapelet_tests::Tomcat;
use scrapelet_tests::jmx::Samples;
use scrapelet_tests::tomcat::{Options as JvmOptions, plugin_run, rules_for};

const JOLOKIA: &str = "jolokia: {path: /jolokia}\njvm_metrics: false\n";

fn test_jvm() -> Tomcat {
    Tomcat::start_with("Tomcat", scrapelet_tests::free_port(), &JvmOptions { test_mbeans: true, ..Default::default() })
}

fn run_ok(jvm: &Tomcat, config: &str) -> Samples {
    let (ok, out, err) = plugin_run(jvm.addr(), config);
    assert!(ok, "plugin run failed: {err}");
    Samples::parse(&out)
}

#[test]
fn the_jmx_exporters_cases_through_plugin_run() {
    let jvm = test_jvm();
    // defaultExportTest, nestedTabularDataTest, tabularDataCompositeKeyTest, testBooleanValues,
    // TestMBeanTypesTest (Date, Optional) and CamelMBean's milliseconds, on the default export.
    let s = run_ok(&jvm, JOLOKIA);
    let nested = [("service", "DataNode"), ("key", "1.2.3.4"), ("key_", "networkErrors")];
    assert_eq!(s.value("Hadoop_DataNodeInfo_DatanodeNetworkCounts", &nested), Some(338.0));
    let query = [("key_id", "2"), ("key_path", "/db/query2.xq")];
    assert_eq!(s.value("org_exist_management_exist_ProcessReport_RunningQueries_id", &query), Some(2.0));
    assert_eq!(s.value("boolean_Test_True", &[]), Some(1.0));
    assert_eq!(s.value("boolean_Test_False", &[]), Some(0.0));
    assert_eq!(s.value("io_prometheus_jmx_test_optionalValue_OptionalPresent", &[]), Some(42.0));
    assert_eq!(s.value("io_prometheus_jmx_test_optionalValue_OptionalEmpty", &[]), None);
    assert_eq!(s.value("io_prometheus_jmx_test_dateValue_Timestamp", &[]), Some(1.7E9));
    let camel = [("name", "\"my-route-name\""), ("type", "routes")];
    assert_eq!(
        s.value("org_apache_camel_my_camel_context_LastExchangeFailureTimestamp", &camel),
        Some(1.573285945111E9)
    );
    assert_eq!(
        s.value("org_apache_cassandra_metrics_Compaction_Value", &[("name", "CompletedTasks")]),
        Some(0.2f32 as f64)
    );
    assert_eq!(s.value("jmx_scrape_error", &[]), Some(0.0));
    assert_eq!(s.kind("jmx_scrape_timeout", &[]), Some("COUNTER"));
    // testServletRequestPattern: its pattern's continuation lines are under-indented, as SnakeYAML
    // allows.
    let servlet = "rules:\n- pattern: 'Catalina<j2eeType=Servlet, WebModule=//([-a-zA-Z0-9+&@#/%?=~_|!:.,;]*[-a-zA-Z0-9+&@#/%=~_|]),\n    name=([-a-zA-Z0-9+/$%~_-|!.]*), J2EEApplication=none, \nJ2EEServer=none><>RequestCount:'\n  name: tomcat_request_servlet_count\n  labels:\n    module: \"$1\"\n    servlet: \"$2\"\n  help: Tomcat servlet request count\n  type: COUNTER\n  attrNameSnakeCase: false\n";
    let s = run_ok(&jvm, &format!("{JOLOKIA}{servlet}"));
    let labels = [("module", "localhost/host-manager"), ("servlet", "HTMLHostManager")];
    assert_eq!(s.value("tomcat_request_servlet_count", &labels), Some(1.0));
    assert_eq!(s.kind("tomcat_request_servlet_count", &labels), Some("COUNTER"));
    // testEnumValue.
    let enums =
        "rules:\n- pattern: \"org.bean.enum<type=StateMetrics.*>State: RUNNING\"\n  name: bean_running\n  value: 1\n";
    assert_eq!(run_ok(&jvm, &format!("{JOLOKIA}{enums}")).value("bean_running", &[]), Some(1.0));
    // testRulesMustHavePatternWithName: the config is refused, with the rule's place.
    let (ok, _, err) = plugin_run(jvm.addr(), &format!("{JOLOKIA}rules:\n- name: foo\n"));
    assert!(!ok && err.contains("rules[0]: must provide pattern, if name is given"), "{err}");
}

/// The upstream `tomcat.yml` (domain `Catalina`) against embedded Tomcat (domain `Tomcat`):
/// nothing to export, and `plugin run` says why.
#[test]
fn rules_that_match_nothing_say_so_in_plugin_run() {
    let tomcat = Tomcat::start("Tomcat");
    let rules: String = rules_for("Catalina").lines().filter(|l| l.trim() != "---").map(|l| format!("{l}\n")).collect();
    let (ok, out, err) = plugin_run(tomcat.addr(), &format!("jolokia: {{path: /jolokia}}\n{rules}"));
    assert!(ok, "{err}");
    assert!(!out.contains("\ntomcat_") && out.contains("\njvm_threads_current "), "{out}");
    // The plugin's log text is quoted in the agent's log (escaped, so a plugin cannot forge lines).
    let err = err.replace("\\\"", "\"");
    assert!(err.contains("no rule matched any of "), "{err}");
    assert!(err.contains("domains seen: JMImplementation, Tomcat,"), "{err}");
    assert!(
        err.contains("name the domain Catalina, which no MBean has") && err.contains("under the domain \"Tomcat\""),
        "{err}"
    );
}
