//! The versioned pod store: current pods, a global resourceVersion, and a bounded history of
//! changes that watches resume from (like etcd's revision log and its compaction).
//!
//! Entry type: [`Store`], always used behind the server's mutex. It never talks to a socket.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

/// One change at `rv`: `old` is the object before (None for a create), `new` after (None for a delete).
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Why a watch cannot resume: history before `oldest` has been compacted away.
#[derive(Debug)]
pub struct Expired {
    pub requested: u64,
    pub oldest: u64,
}

#[derive(Debug)]
pub struct Store {
    rv: u64,
    pods: BTreeMap<(String, String), Value>,
    history: VecDeque<Change>,
    /// Watches resuming at any rv >= `oldest` can be served from `history`.
    oldest: u64,
    /// The version `compact` advanced to: open watches in sync just before it carry on.
    compacted_at: Option<u64>,
    history_limit: usize,
    /// Bumped by `drop_watches`: a watch stream started under an older generation closes.
    pub generation: u64,
}

/// The first resourceVersion; arbitrary, but not 0 (which means "any" to the API).
const FIRST_RV: u64 = 1000;

impl Default for Store {
    fn default() -> Self {
        Store {
            rv: FIRST_RV,
            pods: BTreeMap::new(),
            history: VecDeque::new(),
            oldest: FIRST_RV,
            compacted_at: None,
            history_limit: 10_000,
            generation: 0,
        }
    }
}

fn key_of(pod: &Value) -> (String, String) {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    (s("/metadata/namespace"), s("/metadata/name"))
}

fn stamp(pod: &mut Value, rv: u64) {
    pod["metadata"]["resourceVersion"] = json!(rv.to_string());
}

impl Store {
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// Current pods, in (namespace, name) order.
    pub fn pods(&self) -> impl Iterator<Item = &Value> {
        self.pods.values()
    }

    pub fn get(&self, ns: &str, name: &str) -> Option<&Value> {
        self.pods.get(&(ns.to_string(), name.to_string()))
    }

    /// Creates a pod; panics if it exists (a test bug). Returns its resourceVersion.
    pub fn add(&mut self, mut pod: Value) -> u64 {
        let key = key_of(&pod);
        assert!(!key.1.is_empty(), "pod without metadata.name: {pod}");
        assert!(!self.pods.contains_key(&key), "pod {}/{} already exists", key.0, key.1);
        if pod["metadata"].get("namespace").is_none() {
            pod["metadata"]["namespace"] = json!(key.0);
        }
        let rv = self.next_rv();
        stamp(&mut pod, rv);
        self.pods.insert(key, pod.clone());
        self.record(Change { rv, old: None, new: Some(pod) });
        rv
    }

    /// Applies `f` to a pod; panics if it does not exist. Name and namespace must not change.
    pub fn update(&mut self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) -> u64 {
        let key = (ns.to_string(), name.to_string());
        let old = self.pods.get(&key).unwrap_or_else(|| panic!("no pod {ns}/{name} to update")).clone();
        let mut new = old.clone();
        f(&mut new);
        assert_eq!(key_of(&new), key, "update_pod must not rename a pod");
        let rv = self.next_rv();
        stamp(&mut new, rv);
        self.pods.insert(key, new.clone());
        self.record(Change { rv, old: Some(old), new: Some(new) });
        rv
    }

    /// Deletes a pod; panics if it does not exist.
    pub fn delete(&mut self, ns: &str, name: &str) -> u64 {
        let old = self.pods.remove(&(ns.to_string(), name.to_string()));
        let old = old.unwrap_or_else(|| panic!("no pod {ns}/{name} to delete"));
        let rv = self.next_rv();
        self.record(Change { rv, old: Some(old), new: None });
        rv
    }

    /// Drops all history, and advances the version (as other objects in a real cluster do), so
    /// that any watch resuming from a version seen before is answered 410 Gone. Open watches
    /// that had seen every change carry on, as they do on a real server.
    pub fn compact(&mut self) {
        if self.history.is_empty() && self.compacted_at == Some(self.rv) {
            return;
        }
        self.rv += 1;
        self.history.clear();
        self.oldest = self.rv;
        self.compacted_at = Some(self.rv);
    }

    /// Keeps at most `n` changes of history; older resumes get 410.
    pub fn set_history_limit(&mut self, n: usize) {
        self.history_limit = n;
        self.trim();
    }

    /// The changes after `rv` for a watch that starts (resumes) there, or why they are gone.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<&Change>, Expired> {
        if rv < self.oldest {
            return Err(Expired { requested: rv, oldest: self.oldest });
        }
        Ok(self.history.iter().filter(|c| c.rv > rv).collect())
    }

    /// The same for a watch stream already open at `cursor`: a compaction right after it
    /// cost it nothing, since the version compaction took carries no change.
    pub fn changes_for_open_watch(&self, cursor: u64) -> Result<Vec<&Change>, Expired> {
        match self.compacted_at {
            Some(c) if c == cursor + 1 => self.changes_since(c),
            _ => self.changes_since(cursor),
        }
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(&mut self, change: Change) {
        self.history.push_back(change);
        self.trim();
    }

    fn trim(&mut self) {
        while self.history.len() > self.history_limit {
            let dropped = self.history.pop_front().expect("non-empty history");
            self.oldest = dropped.rv;
        }
    }
}
