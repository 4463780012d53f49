//! Per-scrape CPU of the `jmx` plugin's core on the real Tomcat 9 capture (Catalina and java.lang,
//! ~1,000 attributes) with the JMX exporter's `tomcat.yml`: a first scrape (discovery: `list`,
//! every attribute, the rules' reachability) and a steady one (the change check and the planned
//! reads only), both through an in-memory Jolokia, so Jolokia's own cost is not in it.
//!
//! `cargo bench -p jmx-core --bench scrape` (host, optimised); `cargo test -p jmx-core --bench
//! scrape` runs each case once as a check.

#[path = "../tests/jolokia_support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jmx_core::JmxConfig;
use jmx_core::jolokia::{Options, State, scrape};
use serde_json::Value;

const RULES: &str = include_str!("../../../tests/fixtures/jmx/tomcat.yml");
const NO_JVM: Options = Options { jvm_metrics: false };

fn capture() -> support::Fake {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jolokia/tomcat9/");
    let read =
        |n: &str| -> Value { serde_json::from_slice(&std::fs::read(format!("{dir}{n}.reply.json")).unwrap()).unwrap() };
    support::Fake { typed: true, ..support::Fake::from_captures(&read("read-catalina"), &read("list")) }
}

fn bench(c: &mut Criterion) {
    let config = JmxConfig::from_yaml(RULES).unwrap();
    let mut fake = capture();
    let first = scrape(&config, NO_JVM, State::new(1), &mut fake).unwrap();
    let steady = scrape(&config, NO_JVM, first.state.clone(), &mut fake).unwrap();
    assert_eq!(first.rules, steady.rules);
    assert_eq!(steady.round_trips, 1);
    // The plugin reads and compiles its rules on every call (a fresh instance each scrape).
    c.bench_function("tomcat_yml_parse_and_compile", |b| b.iter(|| JmxConfig::from_yaml(black_box(RULES)).unwrap()));
    let mut group = c.benchmark_group("tomcat9_catalina");
    group.bench_function("first_scrape", |b| {
        b.iter(|| scrape(&config, NO_JVM, State::new(1), black_box(&mut fake)).unwrap())
    });
    group.bench_function("steady_scrape", |b| {
        b.iter(|| scrape(&config, NO_JVM, first.state.clone(), black_box(&mut fake)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
