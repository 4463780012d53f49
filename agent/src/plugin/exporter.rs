//! One exporter call: a fresh instance, `init(config)`, `collect(target labels)`, and the output
//! size check, run on the plugin pool within the call's deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::call::{CallContext, classify, new_store};
use super::fetch::Fetch;
use super::pool;
use super::registry::{Loaded, Pre};
use super::state::CallState;
use super::stats::Usage;
use super::{PluginError, sanitize};

/// What one `collect` is asked with.
pub struct CollectRequest {
    /// The target's labels as the plugin sees them.
    pub labels: Vec<(String, String)>,
    /// The target, for the plugin's log lines.
    pub target: String,
    pub fetch: Fetch,
    pub state: CallState,
}

/// What a successful `collect` produced.
pub struct Collected {
    /// Text exposition.
    pub body: Vec<u8>,
    /// The target's new state, if the call set one.
    pub state: Option<Vec<u8>>,
}

/// Runs `collect` for one scrape on the plugin pool, within `timeout` (or the plugin's own
/// `limits.timeout`, if shorter).
pub async fn collect(loaded: Arc<Loaded>, req: CollectRequest, timeout: Duration) -> Result<Collected, PluginError> {
    let limit = loaded.limits.call_timeout(timeout);
    let (stats, queue) = (loaded.stats.clone(), loaded.limits.queue);
    pool::run(&stats, queue, limit, move |usage, deadline| collect_here(loaded, req, deadline, limit, usage)).await
}

async fn collect_here(
    loaded: Arc<Loaded>,
    req: CollectRequest,
    deadline: Instant,
    limit: Duration,
    usage: Arc<Usage>,
) -> Result<Collected, PluginError> {
    let Pre::Exporter(pre) = &loaded.pre else {
        return Err(PluginError::Failed {
            plugin: loaded.name.clone(),
            message: "a transform, not an exporter".into(),
        });
    };
    let ctx = CallContext { target: req.target, deadline, fetch: req.fetch, state: req.state, usage };
    let (mut store, stderr) = new_store(&loaded, ctx)?;
    let result = async {
        let instance = pre.instantiate_async(&mut store).await?;
        if let Err(message) = instance.call_init(&mut store, &loaded.config_json).await? {
            return Ok(Err(message));
        }
        instance.call_collect(&mut store, &req.labels).await
    }
    .await;
    let body = match result {
        Err(e) => return Err(classify(e, &store, &stderr, limit)),
        Ok(Err(message)) => {
            return Err(PluginError::Failed { plugin: loaded.name.clone(), message: sanitize(&message) });
        }
        Ok(Ok(body)) => body,
    };
    if body.len() as u64 > loaded.limits.output {
        let (size, limit) = (body.len() as u64, loaded.limits.output);
        return Err(PluginError::Output { plugin: loaded.name.clone(), size, limit });
    }
    let state = std::mem::replace(&mut store.data_mut().state, CallState::disabled()).into_output();
    Ok(Collected { body, state })
}
