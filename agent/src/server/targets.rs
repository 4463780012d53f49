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

/// `/targets`: one table per job, readable by a person.
pub fn html(targets: &[TargetView]) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>scrapelet targets</title><style>\
         body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%;margin-bottom:2em}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
         .up{color:#080}.down{color:#c00}.unknown{color:#888}code{font-size:90%}</style></head><body>\
         <h1>Targets</h1>",
    );
    let mut job = None;
    for v in targets {
        if job != Some(&v.target.job.job_name) {
            if job.is_some() {
                out.push_str("</table>");
            }
            job = Some(&v.target.job.job_name);
            let n = targets.iter().filter(|t| t.target.job.job_name == v.target.job.job_name).count();
            let up = targets.iter().filter(|t| t.target.job.job_name == v.target.job.job_name && t.health.up).count();
            out.push_str(&format!(
                "<h2>{} ({up}/{n} up)</h2><table><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th>Error</th></tr>",
                escape(&v.target.job.job_name)
            ));
        }
        out.push_str(&row(v));
    }
    if job.is_some() {
        out.push_str("</table>");
    } else {
        out.push_str("<p>No active targets.</p>");
    }
    out.push_str("</body></html>\n");
    out
}

fn row(v: &TargetView) -> String {
    let h = &v.health;
    let state = match (h.scrapes, h.up) {
        (0, _) => "unknown",
        (_, true) => "up",
        _ => "down",
    };
    let ago = h
        .last_scrape
        .and_then(|t| t.elapsed().ok())
        .map(|d| format!("{:.1}s ago", d.as_secs_f64()))
        .unwrap_or_else(|| "never".into());
    let labels: Vec<String> = v.target.labels.iter().map(|l| format!("{}=\"{}\"", l.name, escape(&l.value))).collect();
    format!(
        "<tr><td><a href=\"{url}\">{url}</a></td><td class=\"{state}\">{state}</td><td><code>{}</code></td><td>{ago}</td><td>{:.3}s</td><td>{}</td></tr>",
        labels.join(", "),
        h.last_duration.as_secs_f64(),
        escape(h.last_error.as_deref().unwrap_or("")),
        url = escape(&v.target.url),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
