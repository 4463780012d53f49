//! One transform call: a fresh instance, `init(config)`, `rewrite(batch)`, and checking that the
//! verdicts fit the batch, run on the plugin pool within the call's deadline (so it may be
//! awaited from a scrape loop: nothing of it runs on the agent's own threads).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::transform::scrapelet::plugin::types;
use super::call::{CallContext, classify, new_store};
use super::fetch::Fetch;
use super::pool;
use super::registry::{Loaded, Pre};
use super::state::CallState;
use super::stats::Usage;
use super::{PluginError, sanitize};

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
pub async fn rewrite(
    loaded: Arc<Loaded>,
    batch: Vec<Pairs>,
    target: String,
    timeout: Duration,
) -> Result<Vec<Verdict>, PluginError> {
    let limit = loaded.limits.call_timeout(timeout);
    let (stats, queue) = (loaded.stats.clone(), loaded.limits.queue);
    let call = move |usage, deadline| rewrite_here(loaded, batch, target, deadline, limit, usage);
    pool::run(&stats, queue, limit, call).await
}

async fn rewrite_here(
    loaded: Arc<Loaded>,
    batch: Vec<Pairs>,
    target: String,
    deadline: Instant,
    limit: Duration,
    usage: Arc<Usage>,
) -> Result<Vec<Verdict>, PluginError> {
    let Pre::Transform(pre) = &loaded.pre else {
        return Err(PluginError::Failed {
            plugin: loaded.name.clone(),
            message: "an exporter, not a transform".into(),
        });
    };
    let n = batch.len();
    let series: Vec<types::Series> = batch.into_iter().map(|labels| types::Series { labels }).collect();
    let ctx = CallContext { target, deadline, fetch: Fetch::Denied, state: CallState::disabled(), usage };
    let (mut store, stderr) = new_store(&loaded, ctx)?;
    let result = async {
        let instance = pre.instantiate_async(&mut store).await?;
        if let Err(message) = instance.call_init(&mut store, &loaded.config_json).await? {
            return Ok(Err(message));
        }
        instance.call_rewrite(&mut store, &series).await.map(Ok)
    }
    .await;
    let verdicts = match result {
        Err(e) => return Err(classify(e, &store, &stderr, limit)),
        Ok(Err(message)) => {
            return Err(PluginError::Failed { plugin: loaded.name.clone(), message: sanitize(&message) });
        }
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
