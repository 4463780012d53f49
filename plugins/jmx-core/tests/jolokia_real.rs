//! Golden tests over real Jolokia 1.7.1 replies from Tomcat 9 on Java 17
//! (`tests/fixtures/jolokia/tomcat9/`, captured by the tomcat harness). A capture's requests
//! match the layout of the [`Plan`] built here, so the walk reads them as its own.

mod jolokia_support;
use jolokia_support as common;

use std::fs;

use jmx_core::jolokia::{Options, Plan, WalkError, walk};
use serde_json::Value;

const NO_EXTRAS: Options = Options { list: false, jvm_metrics: false, max_depth: None };

fn capture(name: &str) -> Value {
    let path = common::fixtures().join("tomcat9").join(format!("{name}.reply.json"));
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn golden(name: &str, includes: &[&str], options: Options, reply: &Value) {
    let includes: Vec<String> = includes.iter().map(|s| s.to_string()).collect();
    let plan = Plan::new(&includes, &[], options).unwrap();
    let mut lines = common::Lines::default();
    let outcome = walk(&plan, reply.to_string().as_bytes(), &mut lines).unwrap();
    let mut text = format!("# {:?}\n# errors: {:?}\n", outcome.stats, outcome.errors);
    lines.0.iter().for_each(|l| text += &format!("{l}\n"));
    common::assert_golden(&common::fixtures().join("tomcat9").join(format!("{name}.beans.txt")), &text);
}

#[test]
fn catalina_and_java_lang_with_list_types() {
    // The bulk reply the plan's reads + lists would get: the read and list captures spliced.
    let mut reply = capture("read-catalina");
    reply.as_array_mut().unwrap().extend(capture("list").as_array().unwrap().iter().cloned());
    let options = Options { list: true, ..NO_EXTRAS };
    golden("read-catalina", &["Catalina:*", "java.lang:*"], options, &reply);
}

#[test]
fn embedded_tomcat_domain_without_list() {
    golden("read-tomcat", &["Tomcat:*", "java.lang:*"], NO_EXTRAS, &capture("read-tomcat"));
}

#[test]
fn single_values_and_per_entry_errors() {
    let names = [
        "java.lang:type=Memory",
        "java.lang:type=Runtime",
        "java.lang:type=GarbageCollector,name=G1 Young Generation",
        "Catalina:type=Manager,host=localhost,context=/demo",
        "Catalina:type=NoSuchBean",
        "java.lang:type=Memory",
    ];
    golden("values", &names, NO_EXTRAS, &capture("values"));
}

#[test]
fn an_unbounded_read_that_jolokia_cannot_serialise_fails_the_scrape() {
    let plan = Plan::new(&["Catalina:*".into(), "java.lang:*".into()], &[], NO_EXTRAS).unwrap();
    let reply = capture("read-unbounded").to_string();
    let err = walk(&plan, reply.as_bytes(), &mut common::Lines::default()).unwrap_err();
    assert!(matches!(err, WalkError::Refused { status: 500, .. }), "{err}");
}
