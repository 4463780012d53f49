//! One plugin call's sandbox: a fresh `Store` with WASI (no env, no sockets, no files but an
//! optional read-only `/data`), a memory limiter, an epoch deadline; and turning what went wrong
//! into a [`PluginError`].
//!
//! Entry points: [`new_store`] and [`classify`].

use std::path::Path;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::engine::{TICK, runtime};
use super::fetch::Fetch;
use super::state::CallState;
use super::{Limits, PluginError};

/// Bytes of a plugin's stderr kept (a panic message lands there).
const STDERR_CAP: usize = 8 << 10;
/// Log lines one call may write.
pub const LOG_BUDGET: u32 = 100;

/// The data of one call's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub fetch: Fetch,
    pub plugin: String,
    pub target: String,
    pub logs_left: u32,
    pub state: CallState,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Refuses memory growth beyond the limit, and remembers that it did.
pub struct MemoryLimiter {
    pub max: usize,
    pub hit: bool,
    /// The most memory the call asked for (what it got, unless `hit`).
    pub peak: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.peak = self.peak.max(desired);
        if desired > self.max {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// What one call needs to know besides the plugin.
pub struct CallContext<'a> {
    pub plugin: &'a str,
    pub target: &'a str,
    pub limits: &'a Limits,
    pub timeout: Duration,
    pub data_dir: Option<&'a Path>,
    pub fetch: Fetch,
    pub state: CallState,
}

impl<'a> CallContext<'a> {
    /// The context of one call of `loaded` for `target`: its own timeout caps the scrape's.
    pub fn of(
        loaded: &'a super::registry::Loaded,
        target: &'a str,
        timeout: Duration,
        fetch: Fetch,
        state: CallState,
    ) -> Self {
        CallContext {
            plugin: &loaded.name,
            target,
            limits: &loaded.limits,
            timeout: loaded.limits.timeout.map_or(timeout, |t| t.min(timeout)),
            data_dir: loaded.data_dir.as_deref(),
            fetch,
            state,
        }
    }
}

/// A store for one call, and the stderr pipe to read a panic message from.
pub fn new_store(ctx: CallContext<'_>) -> Result<(Store<HostState>, MemoryOutputPipe), PluginError> {
    let stderr = MemoryOutputPipe::new(STDERR_CAP);
    let mut wasi = WasiCtxBuilder::new();
    wasi.stderr(stderr.clone()).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
    if let Some(dir) = ctx.data_dir {
        wasi.preopened_dir(dir, "/data", FsPerms::ReadOnly).map_err(|e| PluginError::Load {
            plugin: ctx.plugin.to_string(),
            message: format!("data directory {}: {e}", dir.display()),
        })?;
    }
    let state = HostState {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        limiter: MemoryLimiter { max: ctx.limits.memory as usize, hit: false, peak: 0 },
        fetch: ctx.fetch,
        plugin: ctx.plugin.to_string(),
        target: ctx.target.to_string(),
        logs_left: LOG_BUDGET,
        state: ctx.state,
    };
    let mut store = Store::new(&runtime().engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(ticks(ctx.timeout));
    store.epoch_deadline_trap();
    Ok((store, stderr))
}

/// The call's deadline in epoch ticks (at least one tick).
fn ticks(timeout: Duration) -> u64 {
    (timeout.as_nanos() / TICK.as_nanos()).max(1) as u64 + 1
}

/// Names what went wrong in a failed call.
pub fn classify(
    err: wasmtime::Error,
    store: &Store<HostState>,
    stderr: &MemoryOutputPipe,
    limits: &Limits,
    timeout: Duration,
) -> PluginError {
    let plugin = store.data().plugin.clone();
    if store.data().limiter.hit {
        return PluginError::Memory { plugin, limit: limits.memory };
    }
    if let Some(Trap::Interrupt) = err.downcast_ref::<Trap>() {
        return PluginError::Timeout { plugin, limit: timeout };
    }
    let printed = String::from_utf8_lossy(&stderr.contents()).into_owned();
    if let Some(at) = printed.find("panicked at") {
        let message = printed[at..].lines().take(3).collect::<Vec<_>>().join(" ");
        return PluginError::Panic { plugin, message };
    }
    let message = err.downcast_ref::<Trap>().map_or_else(|| format!("{err:#}"), |t| t.to_string());
    PluginError::Trap { plugin, message: message.lines().next().unwrap_or_default().to_string() }
}
