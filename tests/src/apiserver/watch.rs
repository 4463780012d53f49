//! One watch stream: `?watch=1` answered with chunked `WatchEvent` lines (ADDED, MODIFIED,
//! DELETED, BOOKMARK, ERROR) computed from the store's history through the watcher's filter.
//!
//! Entry: [`serve`]. A pod that stops matching the filter is DELETED for this watcher, one that
//! starts matching is ADDED, as the real API server's watch cache does. Never holds the store
//! lock while writing to the socket.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::selectors::Filter;
use super::store::{Change, Expired, Store};
use super::wire;
use super::{Shared, lock};

/// What the watch request asked for.
#[derive(Debug)]
pub struct WatchSpec {
    pub filter: Filter,
    /// `resourceVersion`; None for "" or "0" (start now, with the current state as ADDED).
    pub resource_version: Option<u64>,
    /// `sendInitialEvents=true`: the current state as ADDED, then a bookmark ending it.
    pub send_initial_events: bool,
    pub bookmarks: bool,
    pub timeout: Duration,
}

/// Streams events until the timeout (clean end), a `drop_watches` (abrupt end) or a write error.
pub fn serve(shared: &Shared, out: &mut TcpStream, spec: &WatchSpec) -> io::Result<()> {
    let every = *lock(&shared.bookmark_every);
    let (generation, start) = {
        let store = lock(&shared.store);
        (store.generation, begin(&store, spec))
    };
    wire::start_chunked(out)?;
    let (cursor, initial) = match start {
        Ok(start) => start,
        Err(e) => {
            wire::write_chunk(out, &expired_event(&e))?;
            return wire::end_chunked(out);
        }
    };
    for pod in initial {
        wire::write_chunk(out, &json!({"type": "ADDED", "object": pod}))?;
    }
    if spec.send_initial_events && spec.bookmarks {
        wire::write_chunk(out, &bookmark(cursor, true))?;
    }
    follow(shared, out, spec, generation, cursor, every)
}

/// Where the stream starts and the synthetic ADDED events it opens with.
fn begin(store: &Store, spec: &WatchSpec) -> Result<(u64, Vec<Value>), Expired> {
    let current = || store.pods().filter(|p| spec.filter.matches(p)).cloned().collect();
    match spec.resource_version {
        None => Ok((store.resource_version(), current())),
        Some(_) if spec.send_initial_events => Ok((store.resource_version(), current())),
        Some(rv) => store.changes_since(rv).map(|_| (rv, Vec::new())),
    }
}

fn follow(
    shared: &Shared,
    out: &mut TcpStream,
    spec: &WatchSpec,
    generation: u64,
    mut cursor: u64,
    every: Duration,
) -> io::Result<()> {
    let deadline = Instant::now() + spec.timeout;
    let mut next_bookmark = Instant::now() + every;
    loop {
        let mut store = lock(&shared.store);
        let batch = loop {
            if store.generation != generation {
                drop(store);
                return out.shutdown(Shutdown::Both);
            }
            let pending = store.changes_for_open_watch(cursor);
            if !matches!(&pending, Ok(changes) if changes.is_empty()) {
                break pending.map(|cs| events(&cs, &spec.filter));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(store);
                return wire::end_chunked(out);
            }
            if spec.bookmarks && now >= next_bookmark {
                break Ok((cursor, Vec::new()));
            }
            let wake = if spec.bookmarks { deadline.min(next_bookmark) } else { deadline };
            store = shared.changed.wait_timeout(store, wake - now).unwrap_or_else(PoisonError::into_inner).0;
        };
        drop(store);
        match batch {
            Err(e) => {
                wire::write_chunk(out, &expired_event(&e))?;
                return wire::end_chunked(out);
            }
            Ok((last, evs)) => {
                cursor = last;
                for ev in evs {
                    wire::write_chunk(out, &ev)?;
                }
            }
        }
        if spec.bookmarks && Instant::now() >= next_bookmark {
            wire::write_chunk(out, &bookmark(cursor, false))?;
            next_bookmark = Instant::now() + every;
        }
    }
}

/// The events this watcher sees for `changes`, and the version they bring it to.
fn events(changes: &[&Change], filter: &Filter) -> (u64, Vec<Value>) {
    let last = changes.last().map_or(0, |c| c.rv);
    (last, changes.iter().filter_map(|c| event_for(c, filter)).collect())
}

/// One change through one filter: leaving the filter reads as DELETED (the object as it was,
/// at the change's version), entering it as ADDED.
pub fn event_for(change: &Change, filter: &Filter) -> Option<Value> {
    let old = change.old.as_ref().filter(|o| filter.matches(o));
    let new = change.new.as_ref().filter(|n| filter.matches(n));
    let (kind, object) = match (old, new) {
        (Some(_), Some(n)) => ("MODIFIED", n.clone()),
        (None, Some(n)) => ("ADDED", n.clone()),
        (Some(o), None) => {
            let mut o = o.clone();
            o["metadata"]["resourceVersion"] = json!(change.rv.to_string());
            ("DELETED", o)
        }
        (None, None) => return None,
    };
    Some(json!({"type": kind, "object": object}))
}

fn bookmark(rv: u64, initial_events_end: bool) -> Value {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1", "metadata": meta}})
}

fn expired_event(e: &Expired) -> Value {
    let message = format!("too old resource version: {} ({})", e.requested, e.oldest);
    json!({"type": "ERROR", "object": wire::status(410, "Expired", &message)})
}
