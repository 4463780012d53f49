//! Per-scrape CPU of the Jolokia side of the `jmx` plugin: walking a bulk reply of ~2,000
//! attributes (parse + flatten + `record_bean`), and the real Tomcat 9 capture (~1,000
//! attributes with `list` types). Rules come on top once the rules engine is wired in.
//!
//! `cargo bench -p jmx-core --bench scrape` (host, optimised); `cargo test -p jmx-core --bench
//! scrape` runs each case once as a check.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jmx_core::jolokia::{Options, Plan, walk};
use jmx_core::{BeanAttr, Receiver};
use serde_json::{Value, json};

/// Counts attributes, so the bench measures the walk and not a receiver.
#[derive(Default)]
struct Count(usize);

impl Receiver for Count {
    fn record_bean(&mut self, attr: &BeanAttr<'_>) {
        self.0 += black_box(attr.attr_name.len()).min(1);
    }
}

/// 100 Tomcat-like MBeans × (15 numbers + 1 string + 1 composite of 4) = 2,000 attributes.
fn synthetic_reply() -> Value {
    let mut beans = serde_json::Map::new();
    for i in 0..100 {
        let mut attrs = serde_json::Map::new();
        for a in 0..15 {
            attrs.insert(format!("counter{a}"), json!(i * 1000 + a));
        }
        attrs.insert("modelerType".into(), json!("org.apache.catalina.mbeans.ContextMBean"));
        attrs.insert("Usage".into(), json!({"committed": 1, "init": 2, "max": -1, "used": 0.25}));
        beans.insert(
            format!("Catalina:j2eeType=Servlet,WebModule=//localhost/app{i},name=s{i},J2EEApplication=none"),
            Value::Object(attrs),
        );
    }
    json!([{"request": {"type": "read", "mbean": "*:*"}, "value": beans, "status": 200}])
}

/// The real capture; `list` adds the `list` replies (attribute types, descriptions, operations).
fn catalina_capture(list: bool) -> (Plan, Vec<u8>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jolokia/tomcat9/");
    let read =
        |n: &str| -> Value { serde_json::from_slice(&std::fs::read(format!("{dir}{n}.reply.json")).unwrap()).unwrap() };
    let mut reply = read("read-catalina");
    if list {
        reply.as_array_mut().unwrap().extend(read("list").as_array().unwrap().iter().cloned());
    }
    let options = Options { list, jvm_metrics: false, max_depth: None };
    let plan = Plan::new(&["Catalina:*".into(), "java.lang:*".into()], &[], options).unwrap();
    (plan, reply.to_string().into_bytes())
}

fn bench(c: &mut Criterion) {
    let no_extras = Options { list: false, jvm_metrics: false, max_depth: None };
    let plan = Plan::new(&[], &[], no_extras).unwrap();
    let reply = synthetic_reply().to_string().into_bytes();
    let mut count = Count::default();
    walk(&plan, &reply, &mut count).unwrap();
    assert_eq!(count.0, 2_000);
    let mut group = c.benchmark_group("walk");
    group.throughput(Throughput::Elements(2_000));
    group.bench_function("synthetic_2000_attributes", |b| {
        b.iter(|| walk(&plan, black_box(&reply), &mut Count::default()).unwrap())
    });
    for (name, list) in [("tomcat9_catalina_with_list", true), ("tomcat9_catalina_without_list", false)] {
        let (plan, reply) = catalina_capture(list);
        let mut count = Count::default();
        walk(&plan, &reply, &mut count).unwrap();
        group.throughput(Throughput::Elements(count.0 as u64));
        group.bench_function(name, |b| b.iter(|| walk(&plan, black_box(&reply), &mut Count::default()).unwrap()));
    }
    group.finish();
    c.bench_function("plan_body_default", |b| b.iter(|| Plan::new(&[], &[], Options::default()).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
