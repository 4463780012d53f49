//! How many shards a remote sends with: Prometheus' queue manager calculation
//! (`storage/remote/queue_manager.go`, `calculateDesiredShards` and `shouldReshard`), every
//! [`UPDATE_INTERVAL`], from exponentially weighted rates of the samples read, sent and dropped,
//! the time spent sending, and how far the newest sent timestamp trails the newest scraped one.
//!
//! Entry points: [`Throughput`] (the shards and the pump count into it with atomic adds) and
//! [`Throughput::next_shards`]. A series goes to shard `hash(labels) % shards`, so its samples stay
//! in order on one shard; resharding first drains every shard (see `queue`), as Prometheus does.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// How often the shard count is reconsidered (Prometheus' `shardUpdateDuration`).
pub const UPDATE_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest interval [`Throughput::early_shards`] measures.
pub const EARLY_AFTER: Duration = Duration::from_secs(1);
/// How many times faster than an update [`Throughput::early_shards`] plans to send the backlog.
const EARLY_CATCH_UP: f64 = 4.0;
/// The weight of the newest interval in a rate (`ewmaWeight`).
const EWMA_WEIGHT: f64 = 0.2;
/// A change smaller than this fraction of the current count is not made (`shardToleranceFraction`).
const TOLERANCE: f64 = 0.3;

/// An exponentially weighted rate of events per second, ticked every [`UPDATE_INTERVAL`]
/// (Prometheus' `ewmaRate`): the first interval with events sets it, later ones move it by
/// [`EWMA_WEIGHT`] of the difference.
#[derive(Debug, Default)]
pub struct EwmaRate {
    new_events: AtomicU64,
    rate: Mutex<Option<f64>>,
}

impl EwmaRate {
    pub fn incr(&self, n: u64) {
        self.new_events.fetch_add(n, Ordering::Relaxed);
    }

    pub fn tick(&self) {
        let instant = self.new_events.swap(0, Ordering::Relaxed) as f64 / UPDATE_INTERVAL.as_secs_f64();
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        match *rate {
            Some(r) => *rate = Some(r + EWMA_WEIGHT * (instant - r)),
            None if instant > 0.0 => *rate = Some(instant),
            None => {}
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or(0.0)
    }

    /// The events since the last tick, per second over `elapsed` (the tick is not taken).
    fn since_tick(&self, elapsed: Duration) -> f64 {
        self.new_events.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
    }
}

/// What one remote's queue measures for its shard count.
#[derive(Debug)]
pub struct Throughput {
    /// Samples appended to the WAL (scraped), for every remote alike (Prometheus' `samplesIn`).
    pub data_in: EwmaRate,
    /// The WAL's appended count at the last update.
    appended: AtomicU64,
    /// Samples in requests that ended (accepted, or rejected and dropped).
    pub data_out: EwmaRate,
    /// Samples this remote's write relabelling dropped.
    pub data_dropped: EwmaRate,
    /// Nanoseconds spent in requests that ended, retries included, summed over shards.
    pub data_out_duration: EwmaRate,
    /// Milliseconds after `start` of the last request that ended with an answer (`i64::MIN`: none).
    last_send: AtomicI64,
    /// Milliseconds after `start` until which a retry forbids resharding.
    reshard_disabled_until: AtomicI64,
    /// Milliseconds after `start` of the last tick.
    last_tick: AtomicI64,
    start: Instant,
}

impl Default for Throughput {
    fn default() -> Self {
        Throughput {
            data_in: EwmaRate::default(),
            appended: AtomicU64::new(0),
            data_out: EwmaRate::default(),
            data_dropped: EwmaRate::default(),
            data_out_duration: EwmaRate::default(),
            last_send: AtomicI64::new(i64::MIN),
            reshard_disabled_until: AtomicI64::new(i64::MIN),
            last_tick: AtomicI64::new(0),
            start: Instant::now(),
        }
    }
}

/// The inputs of one calculation, as rates per second (see [`desired_shards`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    pub data_in: f64,
    pub data_out: f64,
    pub data_dropped: f64,
    /// Seconds spent sending per second.
    pub data_out_duration: f64,
    /// Newest scraped timestamp minus newest sent one, in seconds.
    pub delay: f64,
}

impl Throughput {
    /// A request ended after `took` with an answer from the backend.
    pub fn sent(&self, samples: usize, took: Duration) {
        self.data_out.incr(samples as u64);
        self.data_out_duration.incr(took.as_nanos() as u64);
        self.last_send.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A retry will wait `wait`: no resharding for twice that (more shards would make a
    /// throttling backend's problem worse).
    pub fn retrying(&self, wait: Duration) {
        let until = self.now_ms() + (2 * wait).as_millis() as i64;
        self.reshard_disabled_until.fetch_max(until, Ordering::Relaxed);
    }

    /// Ticks the rates and returns (the unrounded desired count, the count to run), given the
    /// `current` count, the WAL's `appended` count, `delay` in seconds and the configured bounds.
    pub fn next_shards(&self, current: usize, appended: u64, delay: f64, min: usize, max: usize) -> (f64, usize) {
        let before = self.appended.swap(appended, Ordering::Relaxed);
        self.data_in.incr(appended.saturating_sub(before));
        for r in [&self.data_in, &self.data_out, &self.data_dropped, &self.data_out_duration] {
            r.tick();
        }
        self.last_tick.store(self.now_ms(), Ordering::Relaxed);
        let rates = Rates {
            data_in: self.data_in.rate(),
            data_out: self.data_out.rate(),
            data_dropped: self.data_dropped.rate(),
            data_out_duration: self.data_out_duration.rate() / 1e9,
            delay,
        };
        let (desired, n) = desired_shards(current, &rates, min, max);
        (desired, if self.should_reshard(current, n) { n } else { current })
    }

    /// Between updates, for a queue about to trail the writer by more than it can hold in memory:
    /// the count to run now, if the rates since the last update (at least [`EARLY_AFTER`] of
    /// them) call for more shards than `current`. Rates are not ticked: the next update
    /// weighs this interval as usual. Prometheus waits for the update (it always reads the WAL
    /// from disk); a queue that falls out of the writer's hand-over reads from disk too, which
    /// costs CPU and a table of the segment's series, so the first interval (one shard, with
    /// the default `min_shards`) must not last 10 s at a distance.
    pub fn early_shards(&self, current: usize, appended: u64, delay: f64, min: usize, max: usize) -> Option<usize> {
        let elapsed = Duration::from_millis((self.now_ms() - self.last_tick.load(Ordering::Relaxed)).max(0) as u64);
        if elapsed < EARLY_AFTER {
            return None;
        }
        let secs = elapsed.as_secs_f64();
        let rates = Rates {
            data_in: appended.saturating_sub(self.appended.load(Ordering::Relaxed)) as f64 / secs,
            data_out: self.data_out.since_tick(elapsed),
            data_dropped: self.data_dropped.since_tick(elapsed),
            data_out_duration: self.data_out_duration.since_tick(elapsed) / 1e9,
            // A fifth of the backlog a second, not Prometheus' twentieth: this reader must be back
            // in the hand-over within seconds, or stay behind (and hold its series) for minutes.
            delay: delay * EARLY_CATCH_UP,
        };
        let (_, n) = desired_shards(current, &rates, min, max);
        (n > current && self.should_reshard(current, n)).then_some(n)
    }

    /// Prometheus' `shouldReshard`: not without a request answered in the last interval (the
    /// backend is down: more shards would not help), nor while a retry's wait lasts.
    fn should_reshard(&self, current: usize, desired: usize) -> bool {
        let now = self.now_ms();
        desired != current
            && self.last_send.load(Ordering::Relaxed) >= now - UPDATE_INTERVAL.as_millis() as i64
            && now >= self.reshard_disabled_until.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> i64 {
        self.start.elapsed().as_millis() as i64
    }
}

/// Prometheus' `calculateDesiredShards`: the time one sample takes to send times the samples to
/// send per second (the ingestion rate that is kept, plus 5% of the backlog), rounded up, kept at
/// `current` if within 30% of it or if it would shrink while more than 10 s behind, and clamped
/// to `min..=max`. Returns (the unrounded desired count, the count to run).
pub fn desired_shards(current: usize, r: &Rates, min: usize, max: usize) -> (f64, usize) {
    if r.data_out <= 0.0 {
        return (current as f64, current);
    }
    let kept = r.data_out / (r.data_dropped + r.data_out);
    let pending = r.delay * r.data_in * kept;
    let time_per_sample = r.data_out_duration / r.data_out;
    let desired = time_per_sample * (r.data_in * kept + 0.05 * pending);
    let (lower, upper) = (current as f64 * (1.0 - TOLERANCE), current as f64 * (1.0 + TOLERANCE));
    let rounded = desired.ceil();
    if lower <= rounded && rounded <= upper {
        return (desired, current);
    }
    let n = rounded as usize;
    if n < current && r.delay > 10.0 {
        return (desired, current);
    }
    (desired, n.clamp(min.max(1), max.max(min).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `TestCalculateDesiredShardsDetail` of Prometheus' `storage/remote/queue_manager_test.go`
    /// (commit d15adb9ad7e5d9fbde3a9a8f30200593a5a14d86): (name, previous shards, data in, data
    /// out, dropped, seconds sending per second, backlog in seconds, expected shards).
    #[test]
    fn prometheus_desired_shards_table() {
        type Case = (&'static str, usize, f64, f64, f64, f64, f64, usize);
        let cases: &[Case] = &[
            ("nothing in or out 1", 1, 0.0, 0.0, 0.0, 0.0, 0.0, 1),
            ("nothing in or out 10", 10, 0.0, 0.0, 0.0, 0.0, 0.0, 10),
            ("steady throughput", 1, 10.0, 10.0, 0.0, 1.0, 0.0, 1),
            ("scale down", 10, 10.0, 10.0, 0.0, 5.0, 0.0, 5),
            ("scale down constrained", 7, 10.0, 10.0, 0.0, 5.0, 0.0, 7),
            ("scale up", 1, 10.0, 10.0, 0.0, 10.0, 0.0, 10),
            ("scale up constrained", 8, 10.0, 10.0, 0.0, 10.0, 0.0, 8),
            ("backlogged 20s", 2, 10.0, 10.0, 0.0, 2.0, 20.0, 4),
            ("backlogged 90s", 4, 10.0, 10.0, 0.0, 4.0, 90.0, 22),
            ("backlog reduced", 22, 10.0, 20.0, 0.0, 4.0, 10.0, 3),
            ("backlog eliminated", 3, 10.0, 10.0, 0.0, 2.0, 0.0, 2),
            ("slight slowdown", 1, 10.0, 10.0, 0.0, 1.2, 0.0, 2),
            ("bigger slowdown", 1, 10.0, 10.0, 0.0, 1.4, 0.0, 2),
            ("speed up", 2, 10.0, 10.0, 0.0, 1.2, 0.0, 2),
            ("speed up more", 2, 10.0, 10.0, 0.0, 0.9, 0.0, 1),
            ("marginal decision A", 3, 10.0, 10.0, 0.0, 2.01, 0.0, 3),
            ("marginal decision B", 3, 10.0, 10.0, 0.0, 1.99, 0.0, 2),
        ];
        for &(name, prev, data_in, data_out, data_dropped, data_out_duration, delay, want) in cases {
            let r = Rates { data_in, data_out, data_dropped, data_out_duration, delay };
            // The upstream test runs with the default queue config (min 1, max 50).
            assert_eq!(desired_shards(prev, &r, 1, 50).1, want, "{name}");
        }
    }

    /// `TestCalculateDesiredShards` (same commit): 50,000 samples/s in, nothing sent for two
    /// minutes, then requests of 2,000 samples taking 100 ms each: the count never drops below
    /// barely keeping up, never goes above 200, and the backlog is gone after 15 minutes.
    #[test]
    fn prometheus_desired_shards_catch_up_simulation() {
        let t = Throughput::default();
        let (rate, interval) = (50_000u64, UPDATE_INTERVAL.as_secs());
        let (mut shards, mut pending, mut ts) = (1usize, 0u64, 0u64);
        let mut highest_sent = 0.0;
        let step = |shards: usize, send: bool, ts: u64, pending: &mut u64, highest_sent: &mut f64| {
            *pending += rate * interval;
            t.data_in.incr(rate * interval);
            if send {
                let out = (shards as u64 * 2000 * (interval * 10)).min(*pending);
                *pending -= out;
                t.data_out.incr(out);
                t.data_out_duration.incr(shards as u64 * UPDATE_INTERVAL.as_nanos() as u64);
                *highest_sent = ts as f64 - (*pending / rate) as f64;
            }
            let delay = ts as f64 - *highest_sent;
            // `calculateDesiredShards` without `shouldReshard`, as upstream's test calls it.
            for r in [&t.data_in, &t.data_out, &t.data_dropped, &t.data_out_duration] {
                r.tick();
            }
            let rates = Rates {
                data_in: t.data_in.rate(),
                data_out: t.data_out.rate(),
                data_dropped: t.data_dropped.rate(),
                data_out_duration: t.data_out_duration.rate() / 1e9,
                delay,
            };
            desired_shards(shards, &rates, 1, 50).1
        };
        while ts < 120 {
            shards = step(shards, false, ts, &mut pending, &mut highest_sent);
            assert_eq!(shards, 1);
            ts += interval;
        }
        let barely = (rate / 2000 / 10) as usize;
        while ts < 15 * 60 {
            shards = step(shards, true, ts, &mut pending, &mut highest_sent);
            assert!((barely..=200).contains(&shards), "{shards} shards at {ts}s");
            ts += interval;
        }
        assert_eq!(pending, 0, "never caught up");
    }

    #[test]
    fn no_resharding_without_a_recent_answer_or_while_retrying() {
        let t = Throughput::default();
        t.data_out.incr(1000);
        t.data_out_duration.incr(UPDATE_INTERVAL.as_nanos() as u64);
        // Upstream's `TestShouldReshard`: no successful send in the last interval.
        assert_eq!(t.next_shards(10, 10_000, 0.0, 1, 50).1, 10);
        t.sent(1000, UPDATE_INTERVAL);
        assert_eq!(t.next_shards(10, 110_000, 0.0, 1, 50).1, 28, "answered just now: reshards");
        t.sent(1000, UPDATE_INTERVAL);
        t.retrying(Duration::from_secs(5));
        assert_eq!(t.next_shards(13, 210_000, 0.0, 1, 50).1, 13, "a retry's wait disables resharding");
    }

    /// One shard sending 2,000 samples per 200 ms while 100,000 a second come in: after a
    /// second, not ten, the rates call for 12 shards (0.1 ms a sample × (100,000 + a fifth of
    /// the 100,000 behind)); early updates only ever add shards.
    #[tokio::test(start_paused = true)]
    async fn a_queue_falling_behind_adds_shards_before_the_update_never_fewer() {
        let t = Throughput::default();
        t.sent(2000, Duration::from_millis(200));
        assert_eq!(t.early_shards(1, 20_000, 0.2, 1, 50), None, "less than a second measured");
        tokio::time::advance(EARLY_AFTER).await;
        for _ in 0..4 {
            t.sent(2000, Duration::from_millis(200));
        }
        assert_eq!(t.early_shards(1, 100_000, 1.0, 1, 50), Some(12));
        assert_eq!(t.early_shards(20, 100_000, 1.0, 1, 50), None, "fewer shards wait for the update");
        assert_eq!(t.early_shards(1, 100_000, 1.0, 1, 8), Some(8), "within max_shards");
        t.retrying(Duration::from_secs(1));
        assert_eq!(t.early_shards(1, 100_000, 1.0, 1, 50), None, "not while a retry waits");
    }

    #[test]
    fn ewma_starts_at_the_first_busy_interval_then_moves_a_fifth_of_the_way() {
        let r = EwmaRate::default();
        r.tick();
        assert_eq!(r.rate(), 0.0);
        r.incr(100);
        r.tick();
        assert_eq!(r.rate(), 10.0);
        r.incr(200);
        r.tick();
        assert!((r.rate() - 12.0).abs() < 1e-9);
    }
}
