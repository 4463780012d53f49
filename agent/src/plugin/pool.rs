//! The plugin pool: where every plugin call runs, never on the agent's own runtime.
//!
//! A runtime of its own (`plugin-N` threads at a lower CPU priority, `--plugin.threads`) runs
//! the calls as async tasks: a guest yields at every epoch tick, and a WASI `sleep`, `poll` or a
//! `fetch` waits as a future, so the deadline ([`run`]) bounds the whole call, host calls
//! included, and an overrunning call is dropped (instance, memory, handles and all) without
//! keeping a thread. At most `--plugin.max-calls` calls run at once (later ones wait for a slot
//! until their deadline); each plugin may have at most `limits.queue` calls admitted (waiting
//! or running), so one stuck plugin cannot take every slot; all calls together hold at most
//! `--plugin.memory-limit` bytes ([`super::limiter::MemoryBudget`]).
//!
//! Entry points: [`configure`] (once, before the first call) and [`run`].

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, oneshot};
use tracing::warn;

use super::PluginError;
use super::limiter::MemoryBudget;
use super::stats::{CallFigures, PluginStats, Usage};

/// The pool's size, from `scrapelet run`'s flags.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct PoolSettings {
    /// Threads that run plugin calls, at a lower CPU priority than the agent's own (nice 10).
    /// Default: 2, or 1 with a CPU limit of one core or less.
    #[arg(long = "plugin.threads", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Plugin calls in progress at once, all plugins together (calls waiting in a fetch or a
    /// sleep count); later calls wait for a slot until their deadline.
    #[arg(long = "plugin.max-calls", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_calls: u16,
    /// Memory all plugin calls in progress may hold together (linear memory, tables, pending
    /// state); a call that would go beyond it fails with kind `memory`.
    #[arg(long = "plugin.memory-limit", default_value = "128MiB", value_parser = parse_size)]
    pub memory: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { threads: None, max_calls: 16, memory: 128 << 20 }
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    crate::config::yaml::parse_size(s).ok_or_else(|| format!("{s:?} is not a size such as 128MiB"))
}

impl PoolSettings {
    fn threads(&self) -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.threads.map_or(cpus.min(2), usize::from)
    }
}

static SETTINGS: OnceLock<PoolSettings> = OnceLock::new();

/// Sizes the pool; only the first call counts, and only before the first plugin call.
pub fn configure(settings: PoolSettings) {
    if SETTINGS.set(settings.clone()).is_err() && SETTINGS.get() != Some(&settings) {
        warn!("the plugin pool is already running; its new settings apply after a restart");
    }
}

pub(super) struct Pool {
    runtime: tokio::runtime::Runtime,
    slots: Arc<Semaphore>,
    pub memory: Arc<MemoryBudget>,
    pub threads: usize,
    pub max_calls: usize,
}

/// The process's pool, started on first use. It is never shut down: at exit its threads end
/// with the process, whatever a plugin is doing.
pub(super) fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let settings = SETTINGS.get_or_init(PoolSettings::default);
        let threads = settings.threads();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .max_blocking_threads(4) // WASI file reads of /data
            .thread_name("plugin")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()
            .expect("starting the plugin pool's runtime");
        let metrics = crate::metrics::get();
        metrics.plugin_pool_threads.with(&[]).set(threads as f64);
        metrics.plugin_pool_max_calls.with(&[]).set(settings.max_calls as f64);
        metrics.plugin_pool_memory_limit.with(&[]).set(settings.memory as f64);
        Pool {
            runtime,
            slots: Arc::new(Semaphore::new(settings.max_calls.into())),
            memory: Arc::new(MemoryBudget::new(settings.memory)),
            threads,
            max_calls: settings.max_calls.into(),
        }
    })
}

impl Pool {
    /// Slots of the pool in use.
    pub fn busy(&self) -> usize {
        self.max_calls - self.slots.available_permits()
    }

    /// Updates the pool's gauges (calls in progress, memory held).
    fn gauges(&self) {
        let m = crate::metrics::get();
        m.plugin_pool_calls.with(&[]).set(self.busy() as f64);
        m.plugin_pool_memory.with(&[]).set(self.memory.used() as f64);
    }
}

/// Plugin threads yield the CPU to the agent's own threads when both want it.
#[allow(unsafe_code)]
fn lower_priority() {
    // SAFETY: setpriority takes plain integers; on Linux, PRIO_PROCESS with 0 is the calling
    // thread only.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
}

/// Runs `call` on the pool for the plugin of `stats`, within `limit` from now: admitted to the
/// plugin's queue (at most `queue` calls), given a slot of the pool, then run until it returns
/// or the deadline passes (then dropped, and [`PluginError::Timeout`]). If the caller stops
/// waiting (its target went away), the call is dropped too. `call` gets the [`Usage`] it fills
/// in (its figures are recorded however the call ends) and the deadline.
pub async fn run<T, F, Fut>(stats: &Arc<PluginStats>, queue: u32, limit: Duration, call: F) -> Result<T, PluginError>
where
    T: Send + 'static,
    F: FnOnce(Arc<Usage>, Instant) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, PluginError>> + Send + 'static,
{
    let ticket = stats.admit(queue)?;
    let name = stats.name.clone();
    let pool = pool();
    let (stats, slots) = (stats.clone(), pool.slots.clone());
    let deadline = Instant::now() + limit;
    let (mut tx, rx) = oneshot::channel();
    pool.runtime.spawn(async move {
        let _ticket = ticket;
        let at = tokio::time::Instant::from_std(deadline);
        let work = async {
            let Ok(Ok(_slot)) = tokio::time::timeout_at(at, slots.acquire_owned()).await else {
                return Err(PluginError::PoolFull { plugin: stats.name.clone(), slots: pool.max_calls, limit });
            };
            let (usage, began) = (Arc::new(Usage::default()), Instant::now());
            pool.gauges();
            let result = tokio::time::timeout_at(at, call(usage.clone(), deadline)).await;
            let result = result.unwrap_or_else(|_| Err(PluginError::Timeout { plugin: stats.name.clone(), limit }));
            let error = result.as_ref().err().map(PluginError::kind);
            stats.record(CallFigures { took: began.elapsed(), error, ..usage.figures() });
            result
        };
        let mut work = Box::pin(work);
        let done = tokio::select! {
            result = &mut work => Some(result),
            _ = tx.closed() => None,
        };
        drop(work);
        pool.gauges();
        if let Some(result) = done {
            let _ = tx.send(result);
        }
    });
    rx.await
        .unwrap_or_else(|_| Err(PluginError::Trap { plugin: name, message: "the plugin pool dropped the call".into() }))
}
