//! One plugin call's sandbox: a fresh `Store` with WASI (no env, no sockets, no files but an
//! optional read-only `/data`), a bounded resource table, a memory limiter, epoch yields with a
//! deadline; and turning what went wrong into a [`PluginError`] that keeps the cause.
//!
//! Entry points: [`new_store`] and [`classify`].

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{ResourceTable, ResourceTableError};
use wasmtime::{Store, Trap, UpdateDeadline, WasmBacktrace};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::engine::runtime;
use super::fetch::Fetch;
use super::limiter::{MemoryHit, MemoryLimiter};
use super::pool::pool;
use super::registry::Loaded;
use super::state::CallState;
use super::stats::{PluginStats, Usage};
use super::stderr::Tail;
use super::{Limits, PluginError, sanitize};

/// Bytes one `get-random-bytes` may ask for (wasmtime's default, 64 MiB, is a memory bomb).
const RANDOM_BYTES: u64 = 64 << 10;

/// The data of one call's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub fetch: Fetch,
    pub plugin: Arc<PluginStats>,
    pub limits: Limits,
    pub target: String,
    pub state: CallState,
    pub usage: Arc<Usage>,
    /// Whether a refused fetch of this call was logged (only the first is).
    pub refusal_logged: bool,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// What one call needs to know besides the plugin's code.
pub struct CallContext {
    pub target: String,
    pub deadline: Instant,
    pub fetch: Fetch,
    pub state: CallState,
    pub usage: Arc<Usage>,
}

/// A store for one call of `loaded`, and the stderr to read a panic message from.
pub fn new_store(loaded: &Loaded, ctx: CallContext) -> Result<(Store<HostState>, Tail), PluginError> {
    let stderr = Tail::default();
    let mut wasi = WasiCtxBuilder::new();
    wasi.stderr(stderr.clone()).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
    wasi.max_random_size(RANDOM_BYTES);
    if let Some(dir) = data_dir(loaded) {
        wasi.preopened_dir(dir, "/data", FsPerms::ReadOnly).map_err(|e| PluginError::Load {
            plugin: loaded.name.clone(),
            message: format!("data directory {}: {e}", dir.display()),
        })?;
    }
    let mut table = ResourceTable::new();
    table.set_max_capacity(loaded.limits.handles as usize);
    let state = HostState {
        wasi: wasi.build(),
        table,
        limiter: MemoryLimiter::new(loaded.limits.memory, pool().memory.clone(), ctx.usage.clone()),
        fetch: ctx.fetch,
        plugin: loaded.stats.clone(),
        limits: loaded.limits.clone(),
        target: ctx.target,
        state: ctx.state,
        usage: ctx.usage,
        refusal_logged: false,
    };
    let mut store = Store::new(&runtime().engine, state);
    store.limiter(|s| &mut s.limiter);
    // Every tick the guest yields to the pool (so the deadline's timer can fire and other calls
    // run); past the deadline it traps, should nobody be left to drop it.
    let deadline = ctx.deadline;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if Instant::now() >= deadline { Ok(UpdateDeadline::Interrupt) } else { Ok(UpdateDeadline::Yield(1)) }
    });
    Ok((store, stderr))
}

fn data_dir(loaded: &Loaded) -> Option<&Path> {
    loaded.data_dir.as_deref()
}

/// Names what went wrong in a failed call, keeping the host's reason (a full resource table, a
/// limit of WASI's) rather than wasmtime's backtrace header.
pub fn classify(err: wasmtime::Error, store: &Store<HostState>, stderr: &Tail, limit: Duration) -> PluginError {
    let data = store.data();
    let plugin = data.plugin.name.clone();
    match data.limiter.hit {
        Some(MemoryHit::Call) => return PluginError::Memory { plugin, limit: data.limiter.max() },
        Some(MemoryHit::Pool) => return PluginError::PoolMemory { plugin, limit: pool().memory.cap() },
        None => {}
    }
    if let Some(Trap::Interrupt) = err.downcast_ref::<Trap>() {
        return PluginError::Timeout { plugin, limit };
    }
    let full = matches!(err.downcast_ref::<ResourceTableError>(), Some(ResourceTableError::Full));
    if full || err.chain().any(|e| e.to_string() == ResourceTableError::Full.to_string()) {
        return PluginError::Handles { plugin, limit: data.limits.handles };
    }
    let printed = stderr.text();
    if let Some(at) = printed.rfind("panicked at") {
        let message = printed[at..].lines().take(3).collect::<Vec<_>>().join(" ");
        return PluginError::Panic { plugin, message: sanitize(&message) };
    }
    PluginError::Trap { plugin, message: sanitize(&cause(&err)) }
}

/// The error's chain without wasmtime's backtrace context, on one line.
fn cause(err: &wasmtime::Error) -> String {
    let backtrace = err.downcast_ref::<WasmBacktrace>().map(ToString::to_string);
    let parts: Vec<String> = err
        .chain()
        .map(|e| e.to_string())
        .filter(|text| Some(text) != backtrace.as_ref() && !text.starts_with("error while executing at wasm backtrace"))
        .map(|text| text.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() { err.to_string().lines().next().unwrap_or_default().to_string() } else { parts.join(": ") }
}

#[cfg(test)]
mod tests {
    use super::cause;

    #[test]
    fn the_cause_is_kept_and_the_backtrace_header_dropped() {
        let err = wasmtime::Error::msg("resource table has no free keys")
            .context("error while executing at wasm backtrace:\n    0: 0x1f - <unknown>!open")
            .context("opening /data/x");
        assert_eq!(cause(&err), "opening /data/x: resource table has no free keys");
        let bare = wasmtime::Error::msg("error while executing at wasm backtrace:");
        assert_eq!(cause(&bare), "error while executing at wasm backtrace:");
    }
}
