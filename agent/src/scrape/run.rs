//! The scrape loop of one target: waits for its jittered slot, fetches, processes and appends,
//! every interval, until stopped; on a stop that means "the target went away", it sends
//! staleness markers for everything the target reported; on a hand-over (a reload replaced it)
//! it passes its state to the loop that replaces it and sends nothing. A scrape that panics is
//! caught: logged, counted (`scrapelet_scrape_panics_total`), shown on the targets page, and the
//! loop goes on with a fresh series cache.

use std::hash::BuildHasher;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::FutureExt;
use tokio::sync::oneshot;
use tracing::{debug, error, warn};

use super::error::ScrapeError;
use super::fetch::Source;
use super::scraper::Scraper;
use crate::metrics;
use crate::series::Appender;
use crate::series::now_ms;

/// What the targets page shows about one target.
#[derive(Clone, Debug, Default)]
pub struct Health {
    pub scrapes: u64,
    pub up: bool,
    pub last_scrape: Option<SystemTime>,
    pub last_duration: Duration,
    pub last_error: Option<String>,
    pub last_samples: u64,
    /// Repeated series dropped in the last scrape (the first sample of each was kept).
    pub last_duplicates: u64,
    /// Repeats with an older timestamp dropped in the last scrape.
    pub last_out_of_order: u64,
    /// Set while the job has more targets than its `target_limit` (targets, limit): every
    /// scrape then fails without fetching, as in Prometheus.
    pub forced: Option<(usize, u64)>,
}

/// How a loop should end.
pub enum StopMode {
    /// The target went away: send staleness markers.
    Stale,
    /// The agent is shutting down: the series just stop (Prometheus does the same).
    Quiet,
    /// A reload replaced the loop: hand the scraper (its series cache) to the new one.
    Handover(oneshot::Sender<Scraper>),
}

/// What a loop that replaces another one waits for before its first scrape.
pub struct Handover {
    pub previous: oneshot::Receiver<Scraper>,
    /// Whether the old cache stays valid (see [`Scraper::take_over`]).
    pub reuse: bool,
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
/// With a `handover`, it first takes over the state of the loop it replaces.
pub async fn run<A: Appender>(
    mut scraper: Scraper,
    mut fetcher: Source,
    appender: Arc<A>,
    health: Arc<Mutex<Health>>,
    mut stop: oneshot::Receiver<StopMode>,
    handover: Option<Handover>,
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
    if let Some(h) = handover {
        tokio::select! {
            old = h.previous => if let Ok(old) = old { scraper.take_over(old, h.reuse) },
            mode = &mut stop => return end(mode.ok(), scraper, &*appender).await,
        }
    }
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            mode = &mut stop => return end(mode.ok(), scraper, &*appender).await,
        }
        let step = AssertUnwindSafe(async {
            let (t, began) = (now_ms(), Instant::now());
            let mut body = Vec::with_capacity(body_hint);
            let forced = lock(&health).forced;
            let fetched = match forced {
                Some((targets, limit)) => Err(ScrapeError::TargetLimit { targets, limit }),
                None => fetcher.fetch(&mut body).await,
            };
            if let (Err(e), Some(file)) = (&fetched, &target.job.scrape_failure_log_file) {
                log_failure(file, &job, &target.url, e);
            }
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
            if stats.duplicates + stats.out_of_order > 0 {
                metrics::get().samples_duplicate.with(&[&job]).add(stats.duplicates);
                metrics::get().samples_out_of_order.with(&[&job]).add(stats.out_of_order);
                debug!(target = %target.url, duplicates = stats.duplicates, out_of_order = stats.out_of_order, "repeated series dropped");
            }
            record(&health, &stats, took, error.map(|e| e.to_string()));
            appended.add(batch.len() as u64);
            appender.append(batch).await;
        });
        if let Err(why) = supervised(step).await {
            error!(target = %target.url, job = %job, panic = %why, "scrape panicked; the loop goes on with a new series cache");
            metrics::get().scrape_panics.with(&[&job]).inc();
            let mut h = lock(&health);
            (h.up, h.last_scrape, h.last_error) =
                (false, Some(SystemTime::now()), Some(format!("internal error: {why}")));
            drop(h);
            scraper = scraper.renewed();
        }
    }
}

/// Runs one scrape, catching a panic (its message comes back as the error).
async fn supervised(step: impl std::future::Future<Output = ()>) -> Result<(), String> {
    AssertUnwindSafe(step).catch_unwind().await.map_err(|panic| {
        let text =
            panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
        format!("scrape panicked: {}", text.as_deref().unwrap_or("(no message)"))
    })
}

fn lock(health: &Mutex<Health>) -> std::sync::MutexGuard<'_, Health> {
    health.lock().unwrap_or_else(|e| e.into_inner())
}

/// `scrape_failure_log_file`: one JSON line per failed fetch, as Prometheus' JSON file logger
/// writes it (`time`, `level`, `msg`, `job_name`, `target`). A file that cannot be written is
/// logged and skipped: it never fails the scrape.
fn log_failure(file: &std::path::Path, job: &str, url: &str, e: &ScrapeError) {
    use std::io::Write;
    let ms = now_ms();
    let line = serde_json::json!({
        "time": rfc3339_ms(ms),
        "level": "ERROR",
        "msg": e.to_string(),
        "job_name": job,
        "target": url,
    });
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(file).and_then(|mut f| writeln!(f, "{line}"));
    if let Err(err) = written {
        warn!(file = %file.display(), error = %err, "cannot write scrape_failure_log_file");
    }
}

/// `2026-01-02T03:04:05.678Z` for Unix milliseconds (promslog's time format).
pub fn rfc3339_ms(ms: i64) -> String {
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{milli:03}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// How a loop ends: staleness markers when its target went away, its scraper handed to the loop
/// that replaces it, or nothing (shutdown; a dropped sender counts as shutdown).
async fn end<A: Appender>(mode: Option<StopMode>, mut scraper: Scraper, appender: &A) {
    match mode {
        Some(StopMode::Stale) => appender.append(scraper.stop(now_ms())).await,
        Some(StopMode::Handover(to)) => {
            let _ = to.send(scraper);
        }
        Some(StopMode::Quiet) | None => {}
    }
}

fn record(health: &Mutex<Health>, stats: &super::scraper::Stats, took: Duration, error: Option<String>) {
    let mut h = lock(health);
    h.scrapes += 1;
    h.up = error.is_none();
    h.last_scrape = Some(SystemTime::now());
    h.last_duration = took;
    h.last_error = error;
    h.last_samples = stats.post_relabel;
    h.last_duplicates = stats.duplicates;
    h.last_out_of_order = stats.out_of_order;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_scrape_is_caught_with_its_message() {
        assert_eq!(supervised(async {}).await, Ok(()));
        let boom = supervised(async { panic!("index {} out of range", 7) }).await;
        assert_eq!(boom, Err("scrape panicked: index 7 out of range".to_string()));
        let fixed = supervised(async { std::panic::panic_any(5u8) }).await;
        assert_eq!(fixed, Err("scrape panicked: (no message)".to_string()));
    }

    #[test]
    fn failure_log_times_are_rfc3339_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn initial_delay_is_within_the_interval_and_stable_per_target() {
        let i = Duration::from_secs(15);
        assert!(initial_delay("a", i) < i);
        let (x, y) = (initial_delay("a", i), initial_delay("a", i));
        assert!(x.abs_diff(y) < Duration::from_millis(50));
    }
}
