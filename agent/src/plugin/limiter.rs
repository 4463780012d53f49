//! Memory accounting of plugin calls: each call's own limit (`limits.memory`) and the pool's
//! global cap on the memory of all concurrent calls (`--plugin.memory-limit`).
//!
//! Entry points: [`MemoryBudget`] (one per process, in the pool) and [`MemoryLimiter`] (one per
//! call's store: wasmtime asks it before a linear memory or table grows; a pending
//! `state-set` is charged through it too). What a call took goes back to the budget when its
//! store is dropped, whether the call finished, trapped or was abandoned at its deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::ResourceLimiter;

use super::stats::Usage;

/// Bytes a table element is counted as.
const TABLE_ELEMENT: usize = 16;

/// The global cap on memory held by plugin calls at once.
#[derive(Debug)]
pub struct MemoryBudget {
    cap: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    pub fn new(cap: u64) -> MemoryBudget {
        MemoryBudget { cap, used: AtomicU64::new(0) }
    }

    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Bytes held by calls now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn try_take(&self, n: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| u.checked_add(n).filter(|&t| t <= self.cap))
            .is_ok()
    }

    fn give(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// Which memory limit a call hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryHit {
    /// Its own `limits.memory`.
    Call,
    /// The pool's cap on all concurrent calls.
    Pool,
}

/// One call's memory: refuses growth beyond its limit or the pool's budget, and remembers why.
pub struct MemoryLimiter {
    max: u64,
    budget: Arc<MemoryBudget>,
    /// Bytes this call holds of the budget (memories, tables, a pending state).
    taken: u64,
    /// Bytes of a pending `state-set`, part of `taken`.
    state: u64,
    pub hit: Option<MemoryHit>,
    /// The most this call held.
    pub peak: u64,
    usage: Arc<Usage>,
}

impl MemoryLimiter {
    pub fn new(max: u64, budget: Arc<MemoryBudget>, usage: Arc<Usage>) -> MemoryLimiter {
        MemoryLimiter { max, budget, taken: 0, state: 0, hit: None, peak: 0, usage }
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// Takes `n` more bytes, within the call's limit and the budget.
    fn grow(&mut self, n: u64) -> bool {
        if self.taken + n > self.max {
            self.hit = Some(MemoryHit::Call);
            return false;
        }
        if !self.budget.try_take(n) {
            self.hit = Some(MemoryHit::Pool);
            return false;
        }
        self.taken += n;
        self.peak = self.peak.max(self.taken);
        self.usage.memory(self.peak);
        true
    }

    /// Charges a pending state of `bytes` in place of the previous one (kept if this fails);
    /// `Err` says which limit.
    pub fn charge_state(&mut self, bytes: u64) -> Result<(), String> {
        let old = self.state;
        if bytes <= old {
            self.release(old - bytes);
            self.state = bytes;
            return Ok(());
        }
        if self.grow(bytes - old) {
            self.state = bytes;
            return Ok(());
        }
        let which = match self.hit.take() {
            Some(MemoryHit::Pool) => format!("the plugin pool's memory limit of {} bytes", self.budget.cap),
            _ => format!("the call's memory limit of {} bytes", self.max),
        };
        Err(format!("a state of {bytes} bytes does not fit in {which}"))
    }

    fn release(&mut self, n: u64) {
        self.taken -= n;
        self.budget.give(n);
    }
}

impl Drop for MemoryLimiter {
    fn drop(&mut self) {
        let n = self.taken;
        self.release(n);
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.grow(desired.saturating_sub(current) as u64))
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.grow((desired.saturating_sub(current) * TABLE_ELEMENT) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_share_the_budget_and_give_it_back_when_dropped() {
        let budget = Arc::new(MemoryBudget::new(100));
        let mut a = MemoryLimiter::new(80, budget.clone(), Arc::default());
        assert!(a.memory_growing(0, 60, None).unwrap());
        assert!(!a.memory_growing(60, 90, None).unwrap(), "over the call's own limit");
        assert_eq!(a.hit, Some(MemoryHit::Call));
        let mut b = MemoryLimiter::new(80, budget.clone(), Arc::default());
        assert!(!b.memory_growing(0, 50, None).unwrap(), "60 + 50 is over the pool's 100");
        assert_eq!(b.hit, Some(MemoryHit::Pool));
        assert!(b.memory_growing(0, 40, None).unwrap());
        assert_eq!(budget.used(), 100);
        drop(a);
        assert_eq!(budget.used(), 40);
        assert!(b.charge_state(30).is_ok());
        assert!(b.charge_state(50).unwrap_err().contains("call's memory limit of 80"));
        assert_eq!((budget.used(), b.peak), (70, 70), "the state that fitted stays charged");
        assert!(b.charge_state(10).is_ok());
        assert_eq!(budget.used(), 50);
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
