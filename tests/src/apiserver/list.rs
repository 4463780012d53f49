//! The `PodList` a list request gets: filtered, paginated with `limit` / `continue` as the real
//! API server does, every page carrying the first page's resourceVersion.
//!
//! Entry: [`pod_list`]. Pages are cut from the current state (not a snapshot at the first
//! page's version); a watch from that version replays what changed in between.

use serde_json::{Value, json};

use super::selectors::Filter;
use super::store::Store;

/// A `continue` token: the version of the first page and the last (namespace, name) served.
struct Continue {
    rv: u64,
    after: (String, String),
}

impl Continue {
    fn parse(token: &str) -> Option<Continue> {
        let mut parts = token.splitn(3, '/');
        let rv = parts.next()?.parse().ok()?;
        let after = (parts.next()?.to_string(), parts.next()?.to_string());
        Some(Continue { rv, after })
    }

    fn encode(&self) -> String {
        format!("{}/{}/{}", self.rv, self.after.0, self.after.1)
    }
}

/// The list body for `filter`, at most `limit` items (None or 0: all), after `token`; the error
/// is the message of a 400.
pub fn pod_list(store: &Store, filter: &Filter, limit: Option<usize>, token: Option<&str>) -> Result<Value, String> {
    let token = match token.filter(|t| !t.is_empty()) {
        Some(t) => Some(Continue::parse(t).ok_or_else(|| format!("invalid continue token: {t}"))?),
        None => None,
    };
    let rv = token.as_ref().map_or(store.resource_version(), |t| t.rv);
    let after = |p: &&Value| token.as_ref().is_none_or(|t| key(p) > t.after);
    let mut matching = store.pods().filter(|p| filter.matches(p)).filter(after);
    let limit = limit.filter(|&l| l > 0).unwrap_or(usize::MAX);
    let items: Vec<Value> = matching.by_ref().take(limit).map(list_item).collect();
    let remaining = matching.count();
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if remaining > 0 {
        let after = items.last().map(key).expect("a full page before the remaining items");
        metadata["continue"] = json!(Continue { rv, after }.encode());
        metadata["remainingItemCount"] = json!(remaining);
    }
    Ok(json!({"kind": "PodList", "apiVersion": "v1", "metadata": metadata, "items": items}))
}

fn key(p: &Value) -> (String, String) {
    let s = |k: &str| p["metadata"][k].as_str().unwrap_or_default().to_string();
    (s("namespace"), s("name"))
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
