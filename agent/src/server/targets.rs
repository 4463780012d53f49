//! `/api/v1/targets`: the active targets as Prometheus' API shapes them.

use std::time::UNIX_EPOCH;

use serde_json::{Map, Value, json};

use crate::labels::Labels;
use crate::scrape::manager::TargetView;

fn labels_json(l: &Labels) -> Value {
    Value::Object(l.iter().map(|l| (l.name.clone(), Value::String(l.value.clone()))).collect::<Map<_, _>>())
}

pub fn json(targets: &[TargetView]) -> String {
    let active: Vec<Value> = targets
        .iter()
        .map(|v| {
            let h = &v.health;
            let health = match (h.scrapes, h.up) {
                (0, _) => "unknown",
                (_, true) => "up",
                _ => "down",
            };
            let last = h.last_scrape.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs_f64());
            json!({
                "discoveredLabels": labels_json(&v.target.discovered),
                "labels": labels_json(&v.target.labels),
                "scrapePool": v.target.job.job_name,
                "scrapeUrl": v.target.url,
                "globalUrl": v.target.url,
                "lastError": h.last_error.clone().unwrap_or_default(),
                "lastScrape": last,
                "lastScrapeDuration": h.last_duration.as_secs_f64(),
                "health": health,
                "scrapeInterval": crate::scrape::target::fmt_duration(v.target.interval),
                "scrapeTimeout": crate::scrape::target::fmt_duration(v.target.timeout),
            })
        })
        .collect();
    json!({"status": "success", "data": {"activeTargets": active, "droppedTargets": []}}).to_string()
}
