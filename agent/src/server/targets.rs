//! `/api/v1/targets`: the active and dropped targets as Prometheus' API shapes them, with its
//! `scrapePool` and `state` filters (plus `discovery`, the pod sources' health, and each active
//! target's `lastScrapeDuplicates`, scrapelet extensions); `/targets`: the same for a person.

use std::time::UNIX_EPOCH;

use serde_json::{Map, Value, json};

use crate::discovery::annotations;
use crate::discovery::kubernetes::health::{self, SourceHealth};
use crate::http_client::url::redact;
use crate::labels::Labels;
use crate::scrape::manager::{DroppedView, TargetView};

/// Label values as shown: a `user:pass@` (an address, a URL) has its password masked.
fn labels_json(l: &Labels) -> Value {
    Value::Object(
        l.iter().map(|l| (l.name.clone(), Value::String(redact(&l.value).into_owned()))).collect::<Map<_, _>>(),
    )
}

/// The query parameter `name` of `query` (percent-decoding the few characters job names use).
fn param<'q>(query: &'q str, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    let raw = query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?;
    if !raw.contains(['%', '+']) {
        return Some(raw.into());
    }
    let mut out = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && u8::from_str_radix(&raw[i + 1..i + 3], 16).is_ok() => {
                out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap_or(b'%'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned().into())
}

/// `/api/v1/targets?scrapePool=JOB&state=active|dropped|any`.
pub fn json(targets: &[TargetView], dropped: &DroppedView, query: &str) -> String {
    let pool = param(query, "scrapePool").filter(|p| !p.is_empty());
    let state = param(query, "state").map(|s| s.to_lowercase()).unwrap_or_default();
    let (show_active, show_dropped) = match state.as_str() {
        "" | "any" => (true, true),
        "active" => (true, false),
        "dropped" => (false, true),
        _ => (false, false),
    };
    let in_pool = |job: &str| pool.as_deref().is_none_or(|p| p == job);
    let active: Vec<Value> = targets
        .iter()
        .filter(|v| show_active && in_pool(&v.target.job.job_name))
        .map(|v| {
            let h = &v.health;
            let health = match (h.scrapes, h.up) {
                (0, _) => "unknown",
                (_, true) => "up",
                _ => "down",
            };
            let last = go_time(h.last_scrape);
            let mut target = json!({
                "discoveredLabels": labels_json(&v.target.discovered),
                "labels": labels_json(&v.target.labels),
                "scrapePool": v.target.job.job_name,
                "scrapeUrl": v.target.url,
                "globalUrl": v.target.url,
                "lastError": h.last_error.clone().unwrap_or_default(),
                "lastScrape": last,
                "lastScrapeDuration": h.last_duration.as_secs_f64(),
                "lastScrapeDuplicates": h.last_duplicates,
                "lastScrapeOutOfOrder": h.last_out_of_order,
                "health": health,
                "scrapeInterval": crate::scrape::target::fmt_duration(v.target.interval),
                "scrapeTimeout": crate::scrape::target::fmt_duration(v.target.timeout),
            });
            if let Some(shown) = crate::scrape::plugin_source::endpoint(&v.target) {
                target["exporter"] = json!(shown); // scrapelet's own key: what the plugin fetches from
            }
            target
        })
        .collect();
    let mut dropped_list: Vec<&crate::scrape::target::DroppedTarget> =
        dropped.targets.iter().filter(|d| show_dropped && in_pool(&d.job)).collect();
    dropped_list.sort_by(|a, b| a.job.cmp(&b.job));
    let dropped_json: Vec<Value> = dropped_list
        .iter()
        .map(|d| json!({"discoveredLabels": labels_json(&d.discovered), "scrapePool": d.job}))
        .collect();
    let mut data = json!({"activeTargets": active, "droppedTargets": dropped_json, "droppedTargetCounts": null});
    if show_dropped {
        data["droppedTargetCounts"] = json!(dropped.counts);
    }
    data["discovery"] = health::all().iter().map(source_json).collect();
    data["invalidAnnotations"] = invalid_json().into();
    data["plugins"] = crate::plugin::status::json();
    data["unformedTargets"] = super::guard::json().into();
    json!({"status": "success", "data": data}).to_string()
}

/// A time as Go's JSON writes a `time.Time` (RFC 3339, fraction without trailing zeros);
/// never is Go's zero time, as Prometheus shows a target not scraped yet.
fn go_time(t: Option<std::time::SystemTime>) -> String {
    let Some(ms) = t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64) else {
        return "0001-01-01T00:00:00Z".into();
    };
    let s = crate::scrape::run::rfc3339_ms(ms);
    let (head, frac) = s.trim_end_matches('Z').split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{head}Z") } else { format!("{head}.{frac}Z") }
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

/// The dropped targets' table on `/targets` (empty when there are none): why a pod is not
/// scraped is answered here.
fn dropped_html(dropped: &DroppedView) -> String {
    if dropped.counts.values().all(|&n| n == 0) {
        return String::new();
    }
    let mut out = String::from("<h2>Dropped targets</h2><table><tr><th>Job</th><th>Discovered labels</th></tr>");
    for (job, n) in dropped.counts.iter().filter(|(_, n)| **n > 0) {
        let listed: Vec<_> = dropped.targets.iter().filter(|d| &d.job == job).collect();
        for d in &listed {
            let labels: Vec<String> =
                d.discovered.iter().map(|l| format!("{}=\"{}\"", escape(&l.name), escape(&redact(&l.value)))).collect();
            out.push_str(&format!("<tr><td>{}</td><td><code>{}</code></td></tr>", escape(job), labels.join(", ")));
        }
        if listed.len() < *n {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{} more not listed (keep_dropped_targets)</td></tr>",
                escape(job),
                n - listed.len()
            ));
        }
    }
    out.push_str("</table>");
    out
}

/// `/targets`: one table per job, readable by a person.
pub fn html(targets: &[TargetView], dropped: &DroppedView) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>scrapelet targets</title><style>\
         body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%;margin-bottom:2em}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
         .up{color:#080}.down{color:#c00}.unknown{color:#888}code{font-size:90%}</style></head><body>\
         <h1>Targets</h1>",
    );
    out.push_str(&sources_html());
    out.push_str(&invalid_html());
    out.push_str(&crate::plugin::status::html(escape));
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
    out.push_str(&dropped_html(dropped));
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
        crate::scrape::plugin_source::endpoint(&v.target)
            .map_or_else(|| super::guard::endpoint_html(&v.target.url), |e| escape(&e)),
        labels.join(", "),
        h.last_duration.as_secs_f64(),
        super::guard::limits_html(&v.target.job),
        escape(&error_and_repeats(h)),
    )
}

/// The last error, and the repeated series the last scrape dropped (the target stays up).
fn error_and_repeats(h: &crate::scrape::run::Health) -> String {
    let mut s = h.last_error.clone().unwrap_or_default();
    if h.last_duplicates + h.last_out_of_order > 0 {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&format!(
            "{} repeated series dropped ({} duplicate, {} out of order), first sample kept",
            h.last_duplicates + h.last_out_of_order,
            h.last_duplicates,
            h.last_out_of_order
        ));
    }
    s
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
