//! `MatchCache`: decisions reused across scrapes must equal fresh ones.

mod common;

use common::{attr, int, scrape_cached};

#[test]
fn value_dependent_decisions_are_redone_when_the_value_changes() {
    let cfg = "rules:\n- pattern: 'd<type=T><>V: 5'\n  name: five\n- pattern: '.*'\n  name: other";
    let config = jmx_core::JmxConfig::from_yaml(cfg).unwrap();
    let mut cache = jmx_core::rules::MatchCache::new();
    let mut outs = Vec::new();
    for v in [5, 6, 5] {
        let a = attr("d:type=T", "V", int(v));
        let mut c = jmx_core::Collector::with_cache(&config, &mut cache);
        jmx_core::Receiver::record_bean(&mut c, &a.as_bean_attr());
        outs.push(c.finish());
    }
    assert!(outs[0].contains("five 5.0") && outs[1].contains("other 6.0") && outs[2].contains("five 5.0"));
    assert_eq!(cache.hits(), 0, "each value is new to the previous scrape");
}

#[test]
fn stable_values_are_decided_from_the_cache() {
    let attrs = [attr("d:type=T", "V", int(5)), attr("d:type=U", "V", int(6))];
    let (outs, hits) = scrape_cached("---", &attrs, 3);
    assert_eq!(hits, 4);
    assert!(outs.iter().all(|o| o == &outs[0]));
}

#[test]
fn cache_true_rules_are_reused_whatever_the_value() {
    let cfg = "rules:\n- pattern: 'd<type=(\\w+)><>V'\n  name: m_$1\n  cache: true";
    let config = jmx_core::JmxConfig::from_yaml(cfg).unwrap();
    let mut cache = jmx_core::rules::MatchCache::new();
    let mut last = String::new();
    for v in 0..3 {
        let a = attr("d:type=T", "V", int(v));
        let mut c = jmx_core::Collector::with_cache(&config, &mut cache);
        jmx_core::Receiver::record_bean(&mut c, &a.as_bean_attr());
        last = c.finish();
    }
    assert_eq!(cache.hits(), 2);
    assert!(last.ends_with("m_T 2.0\n"), "{last}");
}

#[test]
fn entries_not_seen_in_a_scrape_are_dropped() {
    let config = jmx_core::JmxConfig::from_yaml("---").unwrap();
    let mut cache = jmx_core::rules::MatchCache::new();
    for name in ["a", "b"] {
        let a = attr(&format!("d:type={name}"), "V", int(1));
        let mut c = jmx_core::Collector::with_cache(&config, &mut cache);
        jmx_core::Receiver::record_bean(&mut c, &a.as_bean_attr());
        c.finish();
    }
    assert_eq!(cache.len(), 1);
}
