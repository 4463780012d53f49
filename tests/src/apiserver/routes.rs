//! Request routing for the test API server: pods list / get / watch under `/api/v1`, scripted
//! failures, and the request log tests assert on.
//!
//! Entry: [`handle`], one call per connection (every response closes it).

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use super::selectors::Filter;
use super::watch::{self, WatchSpec};
use super::wire::{self, HttpRequest};
use super::{Request, RequestKind, Shared};

/// kube-rs' default watch timeout, used when `timeoutSeconds` is absent.
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(290);

pub fn handle(shared: &Shared, mut stream: TcpStream) -> io::Result<()> {
    let req = wire::read_request(&stream)?;
    let route = Route::of(&req);
    shared.requests.lock().unwrap().push(record(&req, &route));
    if let Some(code) = shared.failures.lock().unwrap().pop_front() {
        let retry = if code == 429 { "Retry-After: 1\r\n" } else { "" };
        let body = wire::status(code, wire::status_reason(code), "injected failure (fail_next)");
        return wire::write_json(&mut stream, code, &body, retry);
    }
    if req.method != "GET" {
        return error(&mut stream, 405, &format!("method {} not allowed", req.method));
    }
    match route {
        Route::Pods { namespace, name: None } => pods(shared, &mut stream, &req, namespace.as_deref()),
        Route::Pods { namespace: Some(ns), name: Some(name) } => get(shared, &mut stream, &ns, &name),
        _ => error(&mut stream, 404, &format!("the server could not find the requested resource ({})", req.path)),
    }
}

/// The resources this server knows.
#[derive(Debug)]
enum Route {
    Pods { namespace: Option<String>, name: Option<String> },
    Unknown,
}

impl Route {
    fn of(req: &HttpRequest) -> Route {
        let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let owned = |s: &str| Some(s.to_string());
        match segs[..] {
            ["api", "v1", "pods"] => Route::Pods { namespace: None, name: None },
            ["api", "v1", "namespaces", ns, "pods"] => Route::Pods { namespace: owned(ns), name: None },
            ["api", "v1", "namespaces", ns, "pods", name] => Route::Pods { namespace: owned(ns), name: owned(name) },
            _ => Route::Unknown,
        }
    }
}

fn record(req: &HttpRequest, route: &Route) -> Request {
    let kind = match route {
        Route::Pods { name: Some(_), .. } => RequestKind::Get,
        Route::Pods { .. } if req.flag("watch") => RequestKind::Watch,
        Route::Pods { .. } => RequestKind::List,
        Route::Unknown => RequestKind::Other,
    };
    let param = |k: &str| req.param(k).map(str::to_string);
    Request {
        kind,
        path: req.path.clone(),
        namespace: match route {
            Route::Pods { namespace, .. } => namespace.clone(),
            Route::Unknown => None,
        },
        field_selector: param("fieldSelector"),
        label_selector: param("labelSelector"),
        resource_version: param("resourceVersion"),
        query: req.query.clone(),
        authorization: req.header("Authorization").map(str::to_string),
    }
}

fn pods(shared: &Shared, out: &mut TcpStream, req: &HttpRequest, ns: Option<&str>) -> io::Result<()> {
    let filter = match Filter::parse(ns, req.param("fieldSelector"), req.param("labelSelector")) {
        Ok(f) => f,
        Err(msg) => return error(out, 400, &msg),
    };
    if !req.flag("watch") {
        return list(shared, out, &filter);
    }
    let resource_version = match req.param("resourceVersion").unwrap_or("") {
        "" | "0" => None,
        rv => match rv.parse() {
            Ok(rv) => Some(rv),
            Err(_) => return error(out, 400, &format!("invalid resource version: {rv}")),
        },
    };
    let timeout = req.param("timeoutSeconds").and_then(|t| t.parse().ok()).map(Duration::from_secs);
    let spec = WatchSpec {
        filter,
        resource_version,
        send_initial_events: req.flag("sendInitialEvents"),
        bookmarks: req.flag("allowWatchBookmarks"),
        timeout: timeout.unwrap_or(DEFAULT_WATCH_TIMEOUT),
    };
    watch::serve(shared, out, &spec)
}

/// The whole matching list in one page (`limit` is accepted, `continue` always empty), at the
/// current version, whatever `resourceVersion` / `resourceVersionMatch` asked.
fn list(shared: &Shared, out: &mut TcpStream, filter: &Filter) -> io::Result<()> {
    let (rv, items) = {
        let store = shared.store.lock().unwrap();
        let items: Vec<Value> = store.pods().filter(|p| filter.matches(p)).map(list_item).collect();
        (store.resource_version(), items)
    };
    let body = json!({
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": rv.to_string()},
        "items": items,
    });
    wire::write_json(out, 200, &body, "")
}

/// Items in a real list carry no `kind` / `apiVersion` of their own.
fn list_item(pod: &Value) -> Value {
    let mut p = pod.clone();
    if let Some(m) = p.as_object_mut() {
        m.remove("kind");
        m.remove("apiVersion");
    }
    p
}

fn get(shared: &Shared, out: &mut TcpStream, ns: &str, name: &str) -> io::Result<()> {
    let pod = shared.store.lock().unwrap().get(ns, name).cloned();
    match pod {
        Some(p) => wire::write_json(out, 200, &p, ""),
        None => error(out, 404, &format!("pods \"{name}\" not found")),
    }
}

fn error(out: &mut TcpStream, code: u16, message: &str) -> io::Result<()> {
    wire::write_json(out, code, &wire::status(code, wire::status_reason(code), message), "")
}
