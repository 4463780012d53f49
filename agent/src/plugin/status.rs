//! What `/targets` and `/api/v1/targets` show about plugins: the pool (threads, calls in
//! progress, memory held against its cap) and, per plugin, every limit, the calls admitted and
//! the last call's figures.
//!
//! Entry points: [`json`] and [`html`].

use serde_json::{Value, json};

use super::pool::pool;
use super::registry::registry;
use crate::metrics;

/// The plugin section of `/api/v1/targets` (`null` when no plugin is declared).
pub fn json() -> Value {
    let plugins = registry().all();
    if plugins.is_empty() {
        return Value::Null;
    }
    let list: Vec<Value> = plugins
        .iter()
        .map(|(decl, loaded)| {
            let Some(l) = loaded else { return json!({"name": decl.name, "loaded": false}) };
            let limits: serde_json::Map<String, Value> = l.limits.named().into_iter().map(|(k, v)| (k.into(), json!(v))).collect();
            let last = l.stats.last().map(|f| {
                json!({"seconds": f.took.as_secs_f64(), "memoryBytes": f.memory, "fetches": f.fetches, "error": f.error})
            });
            json!({
                "name": l.name, "loaded": true, "world": l.world().name(), "contract": l.inspection.version,
                "sha256": l.sha256, "limits": limits, "callsInFlight": l.stats.in_flight(), "lastCall": last,
                "stateBytes": metrics::get().plugin_state_bytes.with(&[&l.name]).get(),
            })
        })
        .collect();
    let p = pool();
    json!({
        "pool": {"threads": p.threads, "maxCalls": p.max_calls, "calls": p.busy(),
                 "memoryLimitBytes": p.memory.cap(), "memoryBytes": p.memory.used()},
        "plugins": list,
    })
}

/// The plugin tables of `/targets` (empty when no plugin is declared); `escape` escapes HTML.
pub fn html(escape: fn(&str) -> String) -> String {
    let plugins = registry().all();
    if plugins.is_empty() {
        return String::new();
    }
    let p = pool();
    let mut out = format!(
        "<h2>Plugins</h2><p>Pool: {} threads, {}/{} calls in progress, {} of {} bytes of memory held.</p>\
         <table><tr><th>Plugin</th><th>World</th><th>Limits</th><th>Calls in flight</th><th>Last call</th><th>State bytes</th></tr>",
        p.threads,
        p.busy(),
        p.max_calls,
        p.memory.used(),
        p.memory.cap()
    );
    for (decl, loaded) in &plugins {
        let Some(l) = loaded else {
            out.push_str(&format!("<tr><td>{}</td><td colspan=\"5\">not loaded</td></tr>", escape(&decl.name)));
            continue;
        };
        let limits: Vec<String> = l.limits.named().iter().map(|(k, v)| format!("{k}={v}")).collect();
        let last = l.stats.last().map_or_else(
            || "none yet".to_string(),
            |f| {
                let outcome = f.error.unwrap_or("ok");
                format!("{outcome}, {:.3}s, {} bytes, {} fetches", f.took.as_secs_f64(), f.memory, f.fetches)
            },
        );
        out.push_str(&format!(
            "<tr><td>{}</td><td>{} (contract {})</td><td><code>{}</code></td><td>{}/{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.name),
            l.world().name(),
            escape(&l.inspection.version),
            limits.join(" "),
            l.stats.in_flight(),
            l.limits.queue,
            escape(&last),
            metrics::get().plugin_state_bytes.with(&[&l.name]).get(),
        ));
    }
    out.push_str("</table>");
    out
}
