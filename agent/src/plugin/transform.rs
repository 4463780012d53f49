//! One transform call: a fresh instance, `init(config)`, `rewrite(batch)`, and checking that the
//! verdicts fit the batch. Runs on its own short-lived thread, so it may be called from async
//! code (WASI's blocking shims must not run on a runtime worker).

use std::time::{Duration, Instant};

use super::PluginError;
use super::bindings::transform::scrapelet::plugin::types;
use super::call::{CallContext, classify, new_store};
use super::fetch::Fetch;
use super::registry::{Loaded, Pre};
use super::state::CallState;

pub type Pairs = Vec<(String, String)>;

/// A transform's decision about one series.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Keep,
    Drop,
    Rewrite(Pairs),
    Rescale { factor: f64, labels: Option<Pairs> },
}

/// Asks the transform about `batch` (label sets); one verdict per series, in order.
pub fn rewrite(
    loaded: &Loaded,
    batch: Vec<Pairs>,
    target: &str,
    timeout: Duration,
) -> Result<Vec<Verdict>, PluginError> {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("plugin-transform".into())
            .spawn_scoped(s, || rewrite_here(loaded, batch, target, timeout));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(PluginError::Trap { plugin: loaded.name.clone(), message: "host thread panicked".into() })
            }),
            Err(e) => Err(PluginError::Trap { plugin: loaded.name.clone(), message: format!("no thread: {e}") }),
        }
    })
}

fn rewrite_here(
    loaded: &Loaded,
    batch: Vec<Pairs>,
    target: &str,
    timeout: Duration,
) -> Result<Vec<Verdict>, PluginError> {
    let Pre::Transform(pre) = &loaded.pre else {
        return Err(PluginError::Failed {
            plugin: loaded.name.clone(),
            message: "an exporter, not a transform".into(),
        });
    };
    let ctx = CallContext::of(loaded, target, timeout, Fetch::Denied, CallState::disabled());
    let timeout = ctx.timeout;
    let n = batch.len();
    let series: Vec<types::Series> = batch.into_iter().map(|labels| types::Series { labels }).collect();
    let began = Instant::now();
    let (mut store, stderr) = new_store(ctx)?;
    let result = (|| {
        let instance = pre.instantiate(&mut store)?;
        if let Err(message) = instance.call_init(&mut store, &loaded.config_json)? {
            return Ok(Err(message));
        }
        instance.call_rewrite(&mut store, &series).map(Ok)
    })();
    loaded.record_call(began.elapsed(), store.data().limiter.peak);
    let verdicts = match result {
        Err(e) => return Err(classify(e, &store, &stderr, &loaded.limits, timeout)),
        Ok(Err(message)) => return Err(PluginError::Failed { plugin: loaded.name.clone(), message }),
        Ok(Ok(v)) => v,
    };
    if verdicts.len() != n {
        let message = format!("{} verdicts for {n} series", verdicts.len());
        return Err(PluginError::BadOutput { plugin: loaded.name.clone(), message });
    }
    Ok(verdicts.into_iter().map(from_wit).collect())
}

fn from_wit(v: types::Verdict) -> Verdict {
    match v {
        types::Verdict::Keep => Verdict::Keep,
        types::Verdict::Drop => Verdict::Drop,
        types::Verdict::Rewrite(l) => Verdict::Rewrite(l),
        types::Verdict::Rescale(r) => Verdict::Rescale { factor: r.factor, labels: r.labels },
    }
}
