//! What the agent offers a plugin: logging, and (exporters only) HTTP to the scraped target.

#[cfg(feature = "exporter")]
pub(crate) use crate::exporter::bindings::scrapelet::plugin::host as wit;
#[cfg(all(feature = "transform", not(feature = "exporter")))]
pub(crate) use crate::transform::bindings::scrapelet::plugin::host as wit;

pub use wit::{Level, Response};

/// Writes to the agent's log, tagged with the plugin and target (the agent escapes newlines and
/// control characters, truncates at 4 KiB and rate-limits each plugin's log bytes).
pub fn log(level: Level, message: &str) {
    wit::log(level, message);
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// HTTP to the target's own `host:port`; `path` starts with `/` (a query may follow).
pub fn fetch(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    wit::fetch(method, path, &headers, body)
}

/// `GET path`; a non-2xx status is an error.
pub fn get(path: &str) -> Result<Response, String> {
    ok(fetch("GET", path, &[], &[])?)
}

/// `POST path` with a JSON body; a non-2xx status is an error.
pub fn post_json(path: &str, body: &str) -> Result<Response, String> {
    ok(fetch("POST", path, &[("content-type", "application/json")], body.as_bytes())?)
}

fn ok(r: Response) -> Result<Response, String> {
    if (200..300).contains(&r.status) { Ok(r) } else { Err(format!("HTTP status {}", r.status)) }
}
