//! `/api/v1/targets`: the active targets as Prometheus' API shapes them (plus `discovery`, the
//! pod sources' health, a scrapelet extension); `/targets`: the same for a person.

use std::time::UNIX_EPOCH;

use serde_json::{Map, Value, json};

use crate::discovery::annotations;
use crate::discovery::kubernetes::health::{self, SourceHealth};
use crate::labels::Labels;
use crate::scrape::manager::TargetView;
use crate::scrape::url::redact;

/// Label values as shown: a `user:pass@` (an address, a URL) has its password masked.
fn labels_json(l: &Labels) -> Value {
    Value::Object(
        l.iter().map(|l| (l.name.clone(), Value::String(redact(&l.value).into_owned()))).collect::<Map<_, _>>(),
    )
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
    let discovery: Vec<Value> = health::all().iter().map(source_json).collect();
    json!({"status": "success", "data": {"activeTargets": active, "droppedTargets": [], "discovery": discovery, "invalidAnnotations": invalid_json(), "unformedTargets": super::guard::json()}})
        .to_string()
}

fn unix(t: Option<std::time::SystemTime>) -> Option<f64> {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs_f64())
}

fn source_json(h: &SourceHealth) -> Value {
    json!({
        "scrapePool": h.job,
        "source": h.source,
        "endpoint": redact(&h.endpoint),
        "health": h.state(),
        "lastSuccess": unix(h.last_success),
        "lastError": h.last_error.clone().unwrap_or_default(),
        "lastErrorReason": h.last_error_reason.unwrap_or_default(),
        "targets": h.targets,
    })
}

/// One line per pod source, for `/-/ready`'s body.
pub fn sources_text() -> String {
    let line = |h: &SourceHealth| {
        let error = h.last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default();
        format!(
            "pod source {} of job {}: {}, {} targets, last success {}{error}\n",
            h.source,
            h.job,
            h.state(),
            h.targets,
            ago(h.last_success)
        )
    };
    health::all().iter().map(line).collect()
}

fn ago(t: Option<std::time::SystemTime>) -> String {
    t.and_then(|t| t.elapsed().ok()).map(|d| format!("{:.1}s ago", d.as_secs_f64())).unwrap_or_else(|| "never".into())
}

/// The pod sources' table on `/targets` (empty without a polled source).
fn sources_html() -> String {
    let sources = health::all();
    if sources.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h2>Pod discovery</h2><table><tr><th>Job</th><th>Source</th><th>Endpoint</th><th>State</th><th>Targets</th><th>Last success</th><th>Error</th></tr>",
    );
    for h in &sources {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{state}\">{state}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&h.job),
            h.source,
            escape(&redact(&h.endpoint)),
            h.targets,
            ago(h.last_success),
            escape(h.last_error.as_deref().unwrap_or("")),
            state = h.state(),
        ));
    }
    out.push_str("</table>");
    out
}

/// Pods whose annotations cannot be used, with the reason (empty when there are none).
fn invalid_html() -> String {
    let invalid = annotations::all();
    if invalid.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h2>Pods with unusable annotations</h2><table><tr><th>Job</th><th>Pod</th><th>Annotation</th><th>Value</th><th>Reason</th></tr>",
    );
    for p in &invalid {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&p.job),
            escape(&p.pod),
            p.annotation,
            escape(&p.value),
            p.reason
        ));
    }
    out.push_str("</table>");
    out
}

fn invalid_json() -> Vec<Value> {
    annotations::all()
        .iter()
        .map(|p| json!({"job": p.job, "pod": p.pod, "annotation": p.annotation, "value": p.value, "reason": p.reason}))
        .collect()
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
    out.push_str(&sources_html());
    out.push_str(&invalid_html());
    out.push_str(&super::guard::html());
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
                "<h2>{} ({up}/{n} up)</h2><table><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th>Limits</th><th>Error</th></tr>",
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
    let labels: Vec<String> =
        v.target.labels.iter().map(|l| format!("{}=\"{}\"", l.name, escape(&redact(&l.value)))).collect();
    format!(
        "<tr><td>{}</td><td class=\"{state}\">{state}</td><td><code>{}</code></td><td>{ago}</td><td>{:.3}s</td><td>{}</td><td>{}</td></tr>",
        super::guard::endpoint_html(&v.target.url),
        labels.join(", "),
        h.last_duration.as_secs_f64(),
        super::guard::limits_html(&v.target.job),
        escape(h.last_error.as_deref().unwrap_or("")),
    )
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
