//! Behaviour of the reply walk beyond the golden files: whole-reply failures, overlapping
//! includes, and values whose shape alone decides how they flatten.

mod jolokia_support;
use jolokia_support as common;

use jmx_core::jolokia::{Filter, Options, Plan, WalkError, walk, walk_filtered};
use serde_json::json;

const NO_EXTRAS: Options = Options { list: false, jvm_metrics: false, max_depth: None };

fn lines(plan: &Plan, reply: serde_json::Value) -> Vec<String> {
    let mut rx = common::Lines::default();
    walk(plan, reply.to_string().as_bytes(), &mut rx).unwrap();
    rx.0
}

fn read(mbean: &str, value: serde_json::Value) -> serde_json::Value {
    json!({"request": {"type": "read", "mbean": mbean}, "value": value, "status": 200})
}

#[test]
fn a_top_level_jolokia_error_fails_the_walk() {
    let plan = Plan::new(&[], &[], NO_EXTRAS).unwrap();
    let reply = json!({"status": 403, "error": "Access denied"}).to_string();
    let err = walk(&plan, reply.as_bytes(), &mut common::Lines::default()).unwrap_err();
    assert!(matches!(err, WalkError::Refused { status: 403, .. }), "{err}");
    let err = walk(&plan, b"[]", &mut common::Lines::default()).unwrap_err();
    assert!(matches!(err, WalkError::Layout { expected: 1, got: 0 }), "{err}");
    assert!(matches!(walk(&plan, b"<html>", &mut common::Lines::default()), Err(WalkError::NotJson(_))));
}

#[test]
fn overlapping_includes_walk_each_mbean_once() {
    let plan = Plan::new(&["java.lang:*".into(), "java.lang:type=Memory".into()], &[], NO_EXTRAS).unwrap();
    let memory = json!({"java.lang:type=Memory": {"Verbose": false}});
    let mut rx = common::Lines::default();
    let reply = json!([read("java.lang:*", memory.clone()), read("java.lang:type=Memory,*", memory)]);
    let outcome = walk(&plan, reply.to_string().as_bytes(), &mut rx).unwrap();
    assert_eq!(rx.0, ["java.lang<type=Memory><>Verbose: false [java.lang.Boolean] \"Verbose\""]);
    assert_eq!((outcome.stats.beans, outcome.stats.excluded_beans), (1, 1));
}

#[test]
fn unknown_objects_flatten_as_composite_and_mxbean_maps_by_shape() {
    let plan = Plan::new(&[], &[], NO_EXTRAS).unwrap();
    let bean = json!({"d:type=T": {
        "Usage": {"used": 1, "max": 2.5},
        "ByKey": {"a": {"key": "a", "hits": 3}},
    }});
    let got = lines(&plan, json!([read("*:*", bean)]));
    assert_eq!(
        got,
        [
            "d<type=T, key=a><ByKey>hits: 3 [java.lang.Long] \"ByKey\"",
            "d<type=T><Usage>max: 2.5 [java.lang.Double] \"Usage\"",
            "d<type=T><Usage>used: 1 [java.lang.Long] \"Usage\"",
        ]
    );
}

#[test]
fn list_types_keep_plain_java_objects_out() {
    let plan = Plan::new(&["d:*".into()], &[], Options { list: true, jvm_metrics: false, max_depth: None }).unwrap();
    let bean = json!({"d:type=T": {"Pojo": {"x": 1}, "Map": {"k": 1}}});
    let list = json!({"type=T": {"attr": {
        "Pojo": {"type": "com.example.Pojo", "desc": "p"},
        "Map": {"type": "javax.management.openmbean.TabularData", "desc": "m"},
    }}});
    let reply = json!([read("d:*", bean), {"request": {"type": "list", "path": "d"}, "value": list, "status": 200}]);
    assert_eq!(lines(&plan, reply), ["d<type=T, key=k><>Map: 1 [java.lang.Long] \"m\""]);
}

#[test]
fn the_attribute_filter_sees_the_name_as_jolokia_printed_it() {
    let plan = Plan::new(&[], &[], NO_EXTRAS).unwrap();
    let bean = json!({"d:type=T,name=x": {"Keep": 1, "Drop": 2}});
    let reply = json!([read("*:*", bean)]).to_string();
    let mut rx = common::Lines::default();
    let attribute = |name: &str, attr: &str| name == "d:type=T,name=x" && attr == "Keep";
    let filter = Filter { bean: &|_| true, attribute: &attribute };
    walk_filtered(&plan, reply.as_bytes(), &mut rx, filter).unwrap();
    assert_eq!(rx.0, ["d<type=T, name=x><>Keep: 1 [java.lang.Long] \"Keep\""]);
}

#[test]
fn the_bean_filter_is_asked_once_per_mbean() {
    let plan = Plan::new(&[], &[], NO_EXTRAS).unwrap();
    let beans = json!({"d:type=A": {"x": 1, "y": 2}, "d:type=B": {"x": 3}});
    let reply = json!([read("*:*", beans)]).to_string();
    let asked = std::cell::Cell::new(0);
    let bean = |name: &str| {
        asked.set(asked.get() + 1);
        name == "d:type=A"
    };
    let mut rx = common::Lines::default();
    let outcome = walk_filtered(&plan, reply.as_bytes(), &mut rx, Filter { bean: &bean, ..Filter::ALL }).unwrap();
    assert_eq!((rx.0.len(), asked.get(), outcome.stats.excluded_beans), (2, 2, 1));
}
