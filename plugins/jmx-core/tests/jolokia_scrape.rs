//! The scrape driver against an in-memory Jolokia ([`jolokia_support::Fake`]): the real Tomcat 9
//! capture walks to the golden attributes; with the state of the previous scrape, the next one
//! reads only what the rules need, in one round trip, and prints the same; new MBeans are found on
//! the next scrape, gone ones forgotten; enums, dates and `Optional`s are read the way that keeps
//! their value; a rules set that exports nothing says why.

mod jolokia_support;

use jmx_core::JmxConfig;
use jmx_core::jolokia::{Jolokia, Options, State, scrape, walk};
use jolokia_support::{Fake, FakeAttr, Lines, assert_golden, fake_attr, fixtures};
use serde_json::{Value, json};

const TOMCAT_RULES: &str = include_str!("../../../tests/fixtures/jmx/tomcat.yml");
const NO_JVM: Options = Options { jvm_metrics: false };

fn capture() -> Fake {
    let dir = fixtures().join("tomcat9");
    let read = |n: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(format!("{n}.reply.json"))).unwrap()).unwrap()
    };
    Fake::from_captures(&read("read-catalina"), &read("list"))
}

fn config(yaml: &str) -> JmxConfig {
    JmxConfig::from_yaml(yaml).unwrap()
}

#[test]
fn the_tomcat_capture_walks_to_the_golden_attributes() {
    let mut fake = capture();
    let mut lines = Lines::default();
    let out = walk(&config("---"), NO_JVM, State::new(1), &mut fake, &mut lines).unwrap();
    let mut text = format!("# {:?}, {} failed, {} round trips\n", out.stats, out.failed, out.round_trips);
    lines.0.iter().for_each(|l| text += &format!("{l}\n"));
    assert_golden(&fixtures().join("tomcat9/read-catalina.beans.txt"), &text);
}

#[test]
fn the_next_scrape_reads_only_what_the_rules_need_and_prints_the_same() {
    let config = config(TOMCAT_RULES);
    let mut fake = Fake { typed: true, ..capture() };
    let first = scrape(&config, NO_JVM, State::new(1), &mut fake).unwrap();
    assert!(first.rules.contains("tomcat_threadpool_currentthreadcount{port=\"18080\",protocol=\"http-nio\"}"));
    let bytes_first = fake.bytes;
    let second = scrape(&config, NO_JVM, first.state.clone(), &mut fake).unwrap();
    assert_eq!(second.rules, first.rules);
    // Discovery took four round trips: the search, `list`, the reads, and whether two strings
    // of unknown classes were enums.
    assert_eq!((first.round_trips, second.round_trips, second.discovered), (4, 1, 0));
    // The search, then one read per MBean a rule can use: the connector, the thread pool, the
    // servlets and the session managers; none of the other ~90 MBeans, except the memory pools
    // whose `CollectionUsage` was null (its type, and so what a rule sees, is not known yet).
    let asked = fake.asked().pop().unwrap();
    assert_eq!(asked[0], ("search".into(), "*:*".into()));
    let catalina = asked.iter().filter(|(t, m)| t == "read" && m.starts_with("Catalina:")).count();
    let pools = asked.iter().filter(|(t, m)| t == "read" && m.ends_with("type=MemoryPool")).count();
    assert_eq!((catalina, pools, asked.len()), (8, 5, 14), "{asked:?}");
    assert!(fake.bytes - bytes_first < bytes_first / 5, "{} of {bytes_first}", fake.bytes - bytes_first);
    // A third scrape with the second's state: still the same.
    let third = scrape(&config, NO_JVM, second.state, &mut fake).unwrap();
    assert_eq!(third.rules, first.rules);
}

#[test]
fn new_mbeans_are_discovered_on_the_next_scrape_and_gone_ones_forgotten() {
    let config =
        config("rules:\n- pattern: 'app<type=Pool, name=(\\w+)><>Active:'\n  name: pool_active\n  labels: {pool: $1}");
    let mut fake = Fake::default();
    fake.add("app:type=Pool,name=a", vec![fake_attr("Active", "int", json!(1)), fake_attr("Idle", "int", json!(2))]);
    let first = scrape(&config, NO_JVM, State::new(1), &mut fake).unwrap();
    assert_eq!(
        first.rules,
        "# HELP pool_active app:name=a,type=Pool,attribute=Active\n# TYPE pool_active untyped\npool_active{pool=\"a\"} 1.0\n"
    );
    fake.add("app:type=Pool,name=b", vec![fake_attr("Active", "int", json!(5))]);
    let second = scrape(&config, NO_JVM, first.state, &mut fake).unwrap();
    assert!(second.rules.contains("pool_active{pool=\"b\"} 5.0"), "{}", second.rules);
    assert_eq!((second.discovered, second.round_trips), (1, 3));
    let lists: Vec<_> = fake.asked()[4].clone();
    // Only the new MBean is listed, not its domain.
    assert_eq!(lists, [("list".to_string(), "app/type=Pool,name=b".to_string())]);
    fake.remove("app:type=Pool,name=a");
    let third = scrape(&config, NO_JVM, second.state, &mut fake).unwrap();
    assert!(!third.rules.contains("pool=\"a\"") && third.rules.contains("pool=\"b\""), "{}", third.rules);
    assert_eq!((third.round_trips, third.state.plan.len(), third.state.beans.len()), (1, 1, 1));
}

#[test]
fn enums_dates_and_optionals_are_read_so_their_values_survive() {
    let mut fake = Fake::default();
    let state = FakeAttr { is_enum: true, ..fake_attr("State", "io.prometheus.jmx.State", json!("RUNNING")) };
    let not_enum = fake_attr("Manager", "org.example.Manager", json!("org.example.Manager@1a2b"));
    fake.add("org.bean.enum:type=StateMetrics", vec![state, not_enum]);
    // Jolokia's ISO date has whole seconds; `time` gives the milliseconds.
    let date = fake_attr("LastExchangeFailureTimestamp", "java.util.Date", json!(1573285945111i64));
    fake.add("org.apache.camel:context=c,type=routes", vec![date]);
    let optional =
        fake_attr("OptionalPresent", "java.util.Optional", json!({"present": true, "empty": false, "get": 42}));
    fake.add("io.prometheus.jmx.test:type=optionalValue", vec![optional]);
    let yaml = "rules:\n- pattern: 'org.bean.enum<type=StateMetrics.*>State: RUNNING'\n  name: bean_running\n  value: 1\n- pattern: '.*'";
    let out = scrape(&config(yaml), NO_JVM, State::new(1), &mut fake).unwrap();
    assert!(out.rules.contains("\nbean_running 1.0\n"), "{}", out.rules);
    assert!(
        out.rules.contains("\norg_apache_camel_c_LastExchangeFailureTimestamp{type=\"routes\"} 1.573285945111E9\n"),
        "{}",
        out.rules
    );
    assert!(out.rules.contains("\nio_prometheus_jmx_test_optionalValue_OptionalPresent 42.0\n"), "{}", out.rules);
    assert!(!out.rules.contains("Manager"), "{}", out.rules);
    let planned: Vec<&str> = out.state.plan.iter().flat_map(|b| b.attrs.iter().map(|a| a.name.as_str())).collect();
    assert_eq!(planned, ["State", "LastExchangeFailureTimestamp", "OptionalPresent"]);
    let again = scrape(&config(yaml), NO_JVM, out.state, &mut fake).unwrap();
    assert_eq!(again.rules, out.rules);
}

#[test]
fn open_data_null_at_discovery_is_typed_once_it_has_a_value() {
    let mut fake = Fake { typed: true, ..Fake::default() };
    let info = fake_attr("LastGcInfo", "javax.management.openmbean.CompositeData", Value::Null);
    fake.add("java.lang:type=GarbageCollector,name=G1", vec![info]);
    let config = config(
        "rules:\n- pattern: 'java.lang<type=GarbageCollector, name=(\\w+)><LastGcInfo>duration'\n  name: gc_last_duration",
    );
    let first = scrape(&config, NO_JVM, State::new(1), &mut fake).unwrap();
    assert_eq!((first.rules.as_str(), first.state.plan.len()), ("", 1));
    fake.beans[0].1[0].value = json!({"duration": 12, "id": 3});
    let second = scrape(&config, NO_JVM, first.state, &mut fake).unwrap();
    assert!(second.rules.contains("\ngc_last_duration 12.0\n"), "{}", second.rules);
    assert_eq!(second.round_trips, 2);
    let third = scrape(&config, NO_JVM, second.state, &mut fake).unwrap();
    assert_eq!((third.rules.as_str(), third.round_trips), (second.rules.as_str(), 1));
    // A type Jolokia does not give is asked for once: then the JSON's shape decides.
    fake.typed = false;
    fake.beans[0].1[0].value = json!({"duration": 13});
    let mut state = third.state;
    state.plan[0].attrs[0].kind = jmx_core::jolokia::AttrKind::Open(None);
    let fourth = scrape(&config, NO_JVM, state, &mut fake).unwrap();
    let fifth = scrape(&config, NO_JVM, fourth.state, &mut fake).unwrap();
    assert_eq!((fourth.round_trips, fifth.round_trips), (2, 1));
    assert!(fifth.rules.contains("\ngc_last_duration 13.0\n"), "{}", fifth.rules);
}

#[test]
fn a_rules_set_that_exports_nothing_says_which_domains_there_are() {
    let mut fake = Fake::default();
    fake.add("Tomcat:type=ThreadPool,name=\"http-nio-8080\"", vec![fake_attr("currentThreadCount", "int", json!(10))]);
    fake.add("java.lang:type=Memory", vec![fake_attr("Verbose", "boolean", json!(false))]);
    let rules = config(&TOMCAT_RULES.replace("Tomcat<", "Catalina<"));
    let out = scrape(&rules, NO_JVM, State::new(1), &mut fake).unwrap();
    assert_eq!(out.rules, "");
    assert_eq!(out.warnings.len(), 1);
    let w = &out.warnings[0];
    assert!(w.starts_with("no rule matched any of 2 MBeans; domains seen: Tomcat, java.lang;"), "{w}");
    assert!(w.contains("Catalina") && w.contains("\"Tomcat\""), "{w}");
    // Said once per change of the MBeans, not every scrape.
    let again = scrape(&rules, NO_JVM, out.state, &mut fake).unwrap();
    assert!(again.warnings.is_empty());
}

#[test]
fn customizers_add_labels_and_extra_metrics() {
    let mut fake = Fake::default();
    fake.add(
        "io.prometheus.jmx:type=customValue",
        vec![
            fake_attr("Value", "java.lang.Integer", json!(345)),
            fake_attr("Text", "java.lang.String", json!("value")),
        ],
    );
    let yaml = "includeObjectNames: [\"io.prometheus.jmx:type=customValue\"]\nmetricCustomizers:\n  - mbeanFilter:\n      domain: io.prometheus.jmx\n      properties:\n        type: customValue\n    attributesAsLabels: [Text]\n    extraMetrics:\n      - name: isActive\n        value: true\n        description: Still active.";
    let out = scrape(&config(yaml), NO_JVM, State::new(1), &mut fake).unwrap();
    assert!(out.rules.contains("\nio_prometheus_jmx_customValue_Value{Text=\"value\"} 345.0\n"), "{}", out.rules);
    assert!(out.rules.contains("# HELP io_prometheus_jmx_customValue_isActive Still active. io.prometheus.jmx:name=null,type=customValue,attribute=isActive\n"), "{}", out.rules);
    assert!(out.rules.contains("\nio_prometheus_jmx_customValue_isActive{Text=\"value\"} 1.0\n"), "{}", out.rules);
    let again = scrape(&config(yaml), NO_JVM, out.state, &mut fake).unwrap();
    assert_eq!(again.rules, out.rules);
}

/// A Jolokia answering every POST with the same body.
struct Canned(&'static str);

impl Jolokia for Canned {
    fn post(&mut self, _: &str) -> Result<Vec<u8>, String> {
        Ok(self.0.as_bytes().to_vec())
    }
}

#[test]
fn a_reply_that_is_not_the_bulk_answer_fails_the_scrape() {
    let refused = scrape(&config("---"), NO_JVM, State::new(1), &mut Canned(r#"{"status": 500, "error": "boom"}"#));
    assert_eq!(refused.unwrap_err().to_string(), "Jolokia refused the request (status 500): boom");
    let short = scrape(&config("---"), NO_JVM, State::new(1), &mut Canned("[]"));
    assert_eq!(short.unwrap_err().to_string(), "Jolokia's reply has 0 entries, the request had 1");
    assert!(scrape(&config("---"), NO_JVM, State::new(1), &mut Canned("<html>")).is_err());
}

#[test]
fn per_entry_errors_are_counted_not_fatal() {
    let mut fake = Fake::default();
    fake.add("d:type=T", vec![fake_attr("A", "int", json!(1))]);
    let out = scrape(&config("---"), NO_JVM, State::new(1), &mut fake).unwrap();
    fake.remove("d:type=T");
    // The planned read of a bean gone between two searches fails alone.
    fake.add("d:type=T", vec![]);
    let again = scrape(&config("---"), NO_JVM, out.state, &mut fake).unwrap();
    assert_eq!(again.rules, "");
    assert!(again.stats.failed_attributes == 1 || again.failed == 1, "{again:?}");
}
