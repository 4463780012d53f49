//! What the agent offers a plugin: logging, and (exporters only) HTTP to the scraped target.

#[cfg(feature = "exporter")]
pub(crate) use crate::exporter::bindings::scrapelet::plugin::host as wit;
#[cfg(all(feature = "transform", not(feature = "exporter")))]
pub(crate) use crate::transform::bindings::scrapelet::plugin::host as wit;

use serde::de::DeserializeOwned;

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
///
/// Any answer is `Ok`, whatever its status: look at [`Response::status`]. `Err` means there was
/// no answer: the agent refused the request (a path that does not start with a single `/`, a
/// method other than GET or POST, a header the agent sets itself, more than `limits.fetches`
/// requests in one call), or the connection failed, the scrape's deadline passed, or the body
/// went over the job's `body_size_limit` (the error text is the agent's reason; [`get`] and
/// [`post_json`] put `METHOD path:` before it).
pub fn fetch(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    wit::fetch(method, path, &headers, body)
}

/// [`fetch`], with an error that names the request.
fn fetch_named(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
    fetch(method, path, headers, body).map_err(|e| format!("{method} {path}: {e}"))
}

/// `GET path`; a non-2xx status is an `Err` naming the request, the status and the start of the
/// body (`GET /stats: HTTP status 404: not found`), and so is no answer
/// (`GET /stats: connection refused`).
pub fn get(path: &str) -> Result<Response, String> {
    ok("GET", path, fetch_named("GET", path, &[], &[])?)
}

/// `GET path` and parse the body as JSON into your `serde` type (or `serde_json::Value`); errors
/// as [`get`], or `GET /stats: the response is not JSON: ...`.
pub fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = get(path)?;
    serde_json::from_slice(&response.body).map_err(|e| format!("GET {path}: the response is not JSON: {e}"))
}

/// `POST path` with a JSON body; a non-2xx status is an `Err` as for [`get`].
pub fn post_json(path: &str, body: &str) -> Result<Response, String> {
    ok("POST", path, fetch_named("POST", path, &[("content-type", "application/json")], body.as_bytes())?)
}

fn ok(method: &str, path: &str, r: Response) -> Result<Response, String> {
    if (200..300).contains(&r.status) {
        return Ok(r);
    }
    let text = String::from_utf8_lossy(&r.body);
    let mut start: String = text.chars().take(200).collect();
    if start.len() < text.len() {
        start.push_str("...");
    }
    match start.trim() {
        "" => Err(format!("{method} {path}: HTTP status {}", r.status)),
        body => Err(format!("{method} {path}: HTTP status {}: {body}", r.status)),
    }
}
