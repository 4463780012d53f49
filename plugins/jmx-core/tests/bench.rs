//! A rough per-scrape cost measure (not a pass/fail test): `cargo test -p jmx-core --test bench
//! -- --ignored --nocapture`. Debug builds only time relative changes.

mod common;

use common::{Attr, attr, int};
use jmx_core::rules::MatchCache;
use jmx_core::{Collector, JmxConfig, Receiver};
use std::time::Instant;

const TOMCAT: &str = include_str!("golden/tomcat-catalina/config.yml");

fn attrs(n: usize) -> Vec<Attr> {
    (0..n)
        .map(|i| match i % 4 {
            0 => attr(
                &format!("Catalina:type=GlobalRequestProcessor,name=\"http-nio-{}\"", 8000 + i),
                "requestCount",
                int(i as i64),
            ),
            1 => {
                attr(&format!("Catalina:type=ThreadPool,name=\"http-nio-{}\"", 8000 + i), "currentThreadCount", int(3))
            }
            2 => attr(&format!("Catalina:type=Manager,host=localhost,context=/app{i}"), "sessionCounter", int(7)),
            _ => attr(&format!("java.lang:type=MemoryPool,name=pool{i}"), "CollectionUsageThreshold", int(0)),
        })
        .collect()
}

#[test]
#[ignore]
fn scrape_cost() {
    let config = JmxConfig::from_yaml(TOMCAT).unwrap();
    let attrs = attrs(20_000);
    let mut cache = MatchCache::new();
    for round in 0..4 {
        let start = Instant::now();
        let mut c = match round {
            0 | 1 => Collector::new(&config),
            _ => Collector::with_cache(&config, &mut cache),
        };
        for a in &attrs {
            c.record_bean(&a.as_bean_attr());
        }
        let matched = start.elapsed();
        let text = c.finish();
        println!(
            "round {round}: {} attrs matched in {matched:?}, total {:?}, {} bytes",
            attrs.len(),
            start.elapsed(),
            text.len()
        );
    }
}
