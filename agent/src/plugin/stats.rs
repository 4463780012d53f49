//! What the agent keeps about one plugin across its calls and reloads: the calls admitted to the
//! pool (the per-plugin queue limit), the log rate's token bucket, and the last call's figures
//! for `/targets`.
//!
//! Entry point: [`PluginStats`], one per plugin name, owned by the registry and shared by every
//! version of the plugin it loads (a reload does not reset the queue or the log budget).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::PluginError;
use crate::metrics;

/// Figures of one finished (or abandoned) call.
#[derive(Clone, Debug, Default)]
pub struct CallFigures {
    pub took: Duration,
    /// The most memory it held (linear memory, tables, a pending state), bytes.
    pub memory: u64,
    pub fetches: u32,
    /// `None`: it succeeded; else the error kind.
    pub error: Option<&'static str>,
}

/// What a call used, filled in as it runs (readable after it was abandoned).
#[derive(Debug, Default)]
pub struct Usage {
    memory: AtomicU64,
    fetches: AtomicU32,
}

impl Usage {
    /// The call now holds `bytes` (its peak is kept).
    pub fn memory(&self, bytes: u64) {
        self.memory.fetch_max(bytes, Ordering::Relaxed);
    }

    /// One more fetch; returns how many the call made.
    pub fn fetched(&self) -> u32 {
        self.fetches.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn figures(&self) -> CallFigures {
        CallFigures {
            memory: self.memory.load(Ordering::Relaxed),
            fetches: self.fetches.load(Ordering::Relaxed),
            ..CallFigures::default()
        }
    }
}

/// A plugin's shared counters.
#[derive(Debug)]
pub struct PluginStats {
    pub name: String,
    admitted: AtomicU32,
    log: Mutex<LogBucket>,
    last: Mutex<Option<CallFigures>>,
}

/// Holds one admitted call's place in its plugin's queue.
#[derive(Debug)]
pub struct Ticket(Arc<PluginStats>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
        metrics::get().plugin_calls_in_flight.with(&[&self.0.name]).add(-1.0);
    }
}

impl PluginStats {
    pub fn new(name: &str) -> PluginStats {
        PluginStats {
            name: name.to_string(),
            admitted: AtomicU32::new(0),
            log: Mutex::new(LogBucket::default()),
            last: Mutex::new(None),
        }
    }

    /// Admits a call if fewer than `queue` of this plugin's calls wait for or hold a slot.
    pub fn admit(self: &Arc<Self>, queue: u32) -> Result<Ticket, PluginError> {
        let ok = self.admitted.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < queue).then_some(n + 1));
        if ok.is_err() {
            return Err(PluginError::QueueFull { plugin: self.name.clone(), limit: queue });
        }
        metrics::get().plugin_calls_in_flight.with(&[&self.name]).add(1.0);
        Ok(Ticket(self.clone()))
    }

    /// Calls admitted now (waiting for a slot or running).
    pub fn in_flight(&self) -> u32 {
        self.admitted.load(Ordering::Acquire)
    }

    /// Records a call's figures in the plugin's metrics and for `/targets`.
    pub fn record(&self, figures: CallFigures) {
        let m = metrics::get();
        let name = [self.name.as_str()];
        m.plugin_calls.with(&name).inc();
        m.plugin_call_seconds.with(&name).add(figures.took.as_secs_f64());
        m.plugin_memory.with(&name).set(figures.memory as f64);
        m.plugin_fetches.with(&name).add(figures.fetches.into());
        *self.last.lock().unwrap() = Some(figures);
    }

    /// The last call's figures, if there was one.
    pub fn last(&self) -> Option<CallFigures> {
        self.last.lock().unwrap().clone()
    }

    /// Takes `bytes` from the plugin's log budget (`rate` bytes a second, up to `burst`); false:
    /// the line is dropped. The first drop after a while is logged by the agent itself.
    pub fn log_allowed(&self, bytes: u64, rate: u64, burst: u64) -> bool {
        let m = metrics::get();
        let name = [self.name.as_str()];
        let (allowed, notice) = self.log.lock().unwrap().take(bytes, rate, burst, Instant::now());
        if allowed {
            m.plugin_log_bytes.with(&name).add(bytes);
        } else {
            m.plugin_log_dropped.with(&name).inc();
        }
        if notice {
            tracing::warn!(plugin = %self.name, rate, burst, "plugin log rate limit reached; dropping its lines (counted in scrapelet_plugin_log_lines_dropped_total)");
        }
        allowed
    }
}

/// How often the agent says that a plugin's log lines are being dropped.
const NOTICE_EVERY: Duration = Duration::from_secs(60);

/// A token bucket of log bytes.
#[derive(Debug, Default)]
struct LogBucket {
    tokens: f64,
    last: Option<Instant>,
    noticed: Option<Instant>,
}

impl LogBucket {
    /// Whether `bytes` may be logged now, and whether to say that lines are being dropped.
    fn take(&mut self, bytes: u64, rate: u64, burst: u64, now: Instant) -> (bool, bool) {
        let elapsed = self.last.map_or(f64::INFINITY, |l| now.saturating_duration_since(l).as_secs_f64());
        self.tokens = (self.tokens + elapsed * rate as f64).min(burst as f64);
        self.last = Some(now);
        if self.tokens >= bytes as f64 {
            self.tokens -= bytes as f64;
            return (true, false);
        }
        let notice = self.noticed.is_none_or(|n| now.saturating_duration_since(n) >= NOTICE_EVERY);
        if notice {
            self.noticed = Some(now);
        }
        (false, notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_bucket_allows_a_burst_then_the_rate() {
        let mut b = LogBucket::default();
        let t0 = Instant::now();
        assert_eq!(b.take(600, 100, 1000, t0), (true, false));
        assert_eq!(b.take(400, 100, 1000, t0), (true, false));
        assert_eq!(b.take(1, 100, 1000, t0), (false, true), "the burst is spent; the first drop is said");
        assert_eq!(b.take(1, 100, 1000, t0), (false, false), "once a minute");
        assert_eq!(b.take(100, 100, 1000, t0 + Duration::from_secs(1)), (true, false), "a second refills 100");
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(b.take(1000, 100, 1000, later), (true, false), "never more than the burst");
        assert!(!b.take(1, 100, 1000, later).0);
    }

    #[test]
    fn the_queue_admits_up_to_its_limit_and_frees_a_place_per_finished_call() {
        let s = Arc::new(PluginStats::new("queue-test"));
        let (a, b) = (s.admit(2).unwrap(), s.admit(2).unwrap());
        assert!(matches!(s.admit(2), Err(PluginError::QueueFull { limit: 2, .. })));
        drop(a);
        let _c = s.admit(2).unwrap();
        assert_eq!(s.in_flight(), 2);
        drop(b);
        assert_eq!(s.in_flight(), 1);
    }
}
