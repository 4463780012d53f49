//! Request routing for the test API server: pods list / get / watch under `/api/v1`, scripted
//! failures, and the request log tests assert on.
//!
//! Entry: [`handle`], one call per connection (every response closes it).

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use super::list;
use super::selectors::Filter;
use super::watch::{self, WatchSpec};
use super::wire::{self, HttpRequest};
use super::{Request, RequestKind, Shared, lock};

/// kube-rs' default watch timeout, used when `timeoutSeconds` is absent.
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(290);

pub fn handle(shared: &Shared, mut stream: TcpStream) -> io::Result<()> {
    let req = wire::read_request(&stream)?;
    let route = Route::of(&req);
    lock(&shared.requests).push(record(&req, &route));
    if let Some(code) = lock(&shared.failures).pop_front() {
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
        return list(shared, out, req, &filter);
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

/// One page of the matching pods, whatever `resourceVersion` / `resourceVersionMatch` asked.
fn list(shared: &Shared, out: &mut TcpStream, req: &HttpRequest, filter: &Filter) -> io::Result<()> {
    let limit = req.param("limit").and_then(|l| l.parse().ok());
    let body = list::pod_list(&lock(&shared.store), filter, limit, req.param("continue"));
    match body {
        Ok(body) => wire::write_json(out, 200, &body, ""),
        Err(msg) => error(out, 400, &msg),
    }
}

fn get(shared: &Shared, out: &mut TcpStream, ns: &str, name: &str) -> io::Result<()> {
    let pod = lock(&shared.store).get(ns, name).cloned();
    match pod {
        Some(p) => wire::write_json(out, 200, &p, ""),
        None => error(out, 404, &format!("pods \"{name}\" not found")),
    }
}

fn error(out: &mut TcpStream, code: u16, message: &str) -> io::Result<()> {
    wire::write_json(out, code, &wire::status(code, wire::status_reason(code), message), "")
}
