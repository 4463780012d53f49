//! `/api/v1/targets` as Prometheus' API shapes it (web/api/v1 `TargetDiscovery`): dropped targets
//! with their counts, and the `scrapePool` and `state` filters.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json;
use crate::labels::Labels;
use crate::scrape::manager::DroppedView;
use crate::scrape::target::DroppedTarget;

fn dropped() -> DroppedView {
    let d = |job: &str, addr: &str| DroppedTarget {
        job: job.into(),
        discovered: Labels::from_pairs([("__address__", addr), ("job", job)]),
    };
    DroppedView {
        targets: vec![d("b", "h:2"), d("a", "h:1")],
        counts: BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 3)]),
    }
}

fn get(query: &str) -> Value {
    serde_json::from_str(&json(&[], &dropped(), query)).unwrap()
}

#[test]
fn dropped_targets_are_listed_by_pool_with_all_counts() {
    let v = get("");
    assert_eq!(v["status"], "success");
    let d = &v["data"]["droppedTargets"];
    assert_eq!(d.as_array().unwrap().len(), 2);
    assert_eq!(d[0]["scrapePool"], "a", "sorted by pool");
    assert_eq!(d[0]["discoveredLabels"]["__address__"], "h:1");
    assert_eq!(v["data"]["droppedTargetCounts"], serde_json::json!({"a": 1, "b": 3}));
    assert_eq!(v["data"]["activeTargets"], serde_json::json!([]));
}

#[test]
fn state_and_scrape_pool_filter_as_in_prometheus() {
    let v = get("state=active");
    assert_eq!(v["data"]["droppedTargets"], serde_json::json!([]));
    assert!(v["data"]["droppedTargetCounts"].is_null());
    let v = get("state=Dropped&scrapePool=b");
    let d = v["data"]["droppedTargets"].as_array().unwrap();
    assert_eq!((d.len(), d[0]["scrapePool"].as_str()), (1, Some("b")));
    let v = get("scrapePool=a%20b");
    assert_eq!(v["data"]["droppedTargets"], serde_json::json!([]));
}
