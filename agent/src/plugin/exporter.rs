//! One exporter call: a fresh instance, `init(config)`, `collect(target labels)`, and the output
//! size check. Blocking; run it on a blocking thread.

use std::time::{Duration, Instant};

use super::PluginError;
use super::call::{CallContext, classify, new_store};
use super::fetch::Fetch;
use super::registry::{Loaded, Pre};
use super::state::CallState;

/// What a successful `collect` produced.
pub struct Collected {
    /// Text exposition.
    pub body: Vec<u8>,
    /// The target's new state, if the call set one.
    pub state: Option<Vec<u8>>,
}

/// Runs `collect` for one scrape and returns the exposition text (and the new state).
pub fn collect(
    loaded: &Loaded,
    labels: &Vec<(String, String)>,
    target: &str,
    timeout: Duration,
    fetch: Fetch,
    state: CallState,
) -> Result<Collected, PluginError> {
    let Pre::Exporter(pre) = &loaded.pre else {
        return Err(PluginError::Failed {
            plugin: loaded.name.clone(),
            message: "a transform, not an exporter".into(),
        });
    };
    let ctx = CallContext::of(loaded, target, timeout, fetch, state);
    let timeout = ctx.timeout;
    let began = Instant::now();
    let (mut store, stderr) = new_store(ctx)?;
    let result = (|| {
        let instance = pre.instantiate(&mut store)?;
        if let Err(message) = instance.call_init(&mut store, &loaded.config_json)? {
            return Ok(Err(message));
        }
        instance.call_collect(&mut store, labels)
    })();
    loaded.record_call(began.elapsed(), store.data().limiter.peak);
    let body = match result {
        Err(e) => return Err(classify(e, &store, &stderr, &loaded.limits, timeout)),
        Ok(Err(message)) => return Err(PluginError::Failed { plugin: loaded.name.clone(), message }),
        Ok(Ok(out)) => out,
    };
    if body.len() as u64 > loaded.limits.output {
        return Err(PluginError::Output {
            plugin: loaded.name.clone(),
            size: body.len() as u64,
            limit: loaded.limits.output,
        });
    }
    let state = std::mem::replace(&mut store.data_mut().state, CallState::disabled()).into_output();
    Ok(Collected { body, state })
}
