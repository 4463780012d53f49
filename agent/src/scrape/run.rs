//! The scrape loop of one target: waits for its jittered slot, fetches, processes and appends,
//! every interval, until stopped; on a stop that means "the target went away", it sends
//! staleness markers for everything the target reported.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::fetch::Source;
use super::scraper::Scraper;
use crate::metrics;
use crate::series::Appender;

/// What the targets page shows about one target.
#[derive(Clone, Debug, Default)]
pub struct Health {
    pub scrapes: u64,
    pub up: bool,
    pub last_scrape: Option<SystemTime>,
    pub last_duration: Duration,
    pub last_error: Option<String>,
    pub last_samples: u64,
}

/// How a loop should end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopMode {
    /// The target went away: send staleness markers.
    Stale,
    /// The agent is shutting down: the series just stop (Prometheus does the same).
    Quiet,
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The delay until this target's next slot: a stable phase within the interval, derived from
/// the target's identity so restarts and many agents spread scrapes evenly.
fn initial_delay(key: &str, interval: Duration) -> Duration {
    let interval_ms = interval.as_millis().max(1) as u64;
    let phase = foldhash::fast::FixedState::with_seed(0x5c4a_9e1e).hash_one(key) % interval_ms;
    let now = now_ms() as u64 % interval_ms;
    Duration::from_millis((phase + interval_ms - now) % interval_ms)
}

/// Runs the loop until `stop` fires (or its sender is dropped, which means [`StopMode::Quiet`]).
pub async fn run<A: Appender>(
    mut scraper: Scraper,
    mut fetcher: Source,
    appender: Arc<A>,
    health: Arc<Mutex<Health>>,
    mut stop: oneshot::Receiver<StopMode>,
) {
    let target = scraper.target.clone();
    let job = target.job.job_name.clone();
    let (scrapes, appended) = (metrics::get().scrapes.with(&[&job]), metrics::get().samples_appended.with(&[&job]));
    let start = tokio::time::Instant::now() + initial_delay(&target.key(), target.interval);
    let mut ticker = tokio::time::interval_at(start, target.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The body lives for one scrape only (a target's body is ~100 bytes a series: kept between
    // scrapes, 100 bodies would outweigh the series state); the last size presizes the next.
    let mut body_hint = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            mode = &mut stop => {
                if mode == Ok(StopMode::Stale) {
                    appender.append(scraper.stop(now_ms())).await;
                }
                return;
            }
        }
        let (t, began) = (now_ms(), Instant::now());
        let mut body = Vec::with_capacity(body_hint);
        let fetched = fetcher.fetch(&mut body).await;
        let took = began.elapsed();
        let (batch, stats, error) = scraper.process(fetched.map(|f| (&body[..], f)), t, took).await;
        body_hint = body.len() + body.len() / 16;
        drop(body);
        scrapes.inc();
        if let Some(e) = &error {
            metrics::get().scrape_failures.with(&[&job, e.reason()]).inc();
            warn!(target = %target.url, job = %job, error = %e, "scrape failed");
        } else {
            debug!(target = %target.url, samples = stats.post_relabel, ?took, "scraped");
        }
        record(&health, &stats, took, error.map(|e| e.to_string()));
        appended.add(batch.len() as u64);
        appender.append(batch).await;
    }
}

fn record(health: &Mutex<Health>, stats: &super::scraper::Stats, took: Duration, error: Option<String>) {
    let mut h = health.lock().unwrap();
    h.scrapes += 1;
    h.up = error.is_none();
    h.last_scrape = Some(SystemTime::now());
    h.last_duration = took;
    h.last_error = error;
    h.last_samples = stats.post_relabel;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_delay_is_within_the_interval_and_stable_per_target() {
        let i = Duration::from_secs(15);
        assert!(initial_delay("a", i) < i);
        let (x, y) = (initial_delay("a", i), initial_delay("a", i));
        assert!(x.abs_diff(y) < Duration::from_millis(50));
    }
}
