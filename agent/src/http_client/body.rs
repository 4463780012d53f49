//! Reading a response body within limits that hold: the body size limit applies to the
//! decompressed bytes as they are produced (a gzip bomb stops at the limit, not after it is
//! inflated), and all bodies being read at once (scrapes, and exporter plugins' fetches from
//! their targets) share one budget derived from the process's memory limit, so many hostile
//! targets at once cannot add up to an OOM kill.
//!
//! Entry points: [`read`] (a response body, gunzipped on the fly if asked), [`default_limit`]
//! (the body size limit of a job that sets none), [`budget`] (the shared budget). A failure is a
//! [`BodyError`] (a scrape's `ScrapeError::Body`, a plugin's fetch error).

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::BodyExt as _;

use crate::metrics;

/// Why a body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("body size limit exceeded: body larger than {0} bytes")]
    SizeLimit(u64),
    #[error("scrape body budget exhausted: the bodies being read hold the agent's {0} bytes for bodies")]
    Budget(u64),
    #[error("decoding gzip body: {0}")]
    Gzip(String),
    /// The connection failed while the body was read.
    #[error("reading body: {0}")]
    Read(String),
}

/// Limits when the process's memory limit is unknown (no cgroup limit, no `/proc/meminfo`).
const FALLBACK_MEMORY: u64 = 2 << 30;

/// The memory the process may use: the cgroup's limit (v2 `memory.max`, v1
/// `memory.limit_in_bytes`), else the machine's memory.
pub fn memory_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let cgroup = read("/sys/fs/cgroup/memory.max")
            .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&n| n > 0 && n < 1 << 60);
        let total = || {
            let info = read("/proc/meminfo")?;
            let kb = info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches(" kB");
            kb.trim().parse::<u64>().ok().map(|kb| kb * 1024)
        };
        cgroup.or_else(total).unwrap_or(FALLBACK_MEMORY)
    })
}

/// The body size limit of a job without `body_size_limit`: an eighth of the memory limit,
/// between 1 MiB and 256 MiB (a 512 MiB container gets 64 MiB).
pub fn default_limit() -> u64 {
    (memory_limit() / 8).clamp(1 << 20, 256 << 20)
}

/// Bytes of bodies being read or parsed at once, every target together.
pub struct Budget {
    total: u64,
    used: AtomicU64,
}

/// The process's budget: a quarter of the memory limit, at least 4 MiB.
pub fn budget() -> &'static Budget {
    static B: OnceLock<Budget> = OnceLock::new();
    B.get_or_init(|| {
        let total = (memory_limit() / 4).max(4 << 20);
        metrics::get().scrape_body_budget.with(&[]).set(total as f64);
        Budget { total, used: AtomicU64::new(0) }
    })
}

impl Budget {
    pub fn total(&self) -> u64 {
        self.total
    }

    fn take(&self, n: u64) -> bool {
        let taken =
            self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| (u + n <= self.total).then_some(u + n));
        if taken.is_ok() {
            metrics::get().scrape_body_bytes.with(&[]).add(n as f64);
        }
        taken.is_ok()
    }

    fn give(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
        metrics::get().scrape_body_bytes.with(&[]).add(-(n as f64));
    }
}

/// The output of one body: fails once it would reach `limit` bytes (Prometheus' rule: a body of
/// `limit` bytes or more is over the limit), holds its buffer's capacity in the budget.
struct Sink<'a> {
    out: &'a mut Vec<u8>,
    limit: u64,
    budget: &'a Budget,
    held: u64,
}

/// Why a [`Sink`] refused bytes (carried through the decoder's `io::Error`).
#[derive(Debug)]
enum Refused {
    Limit(u64),
    Budget(u64),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Refused {}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.out.len() + buf.len()) as u64 >= self.limit {
            return Err(std::io::Error::other(Refused::Limit(self.limit)));
        }
        self.out.reserve(buf.len());
        let capacity = self.out.capacity() as u64;
        if capacity > self.held {
            if !self.budget.take(capacity - self.held) {
                return Err(std::io::Error::other(Refused::Budget(self.budget.total)));
            }
            self.held = capacity;
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.budget.give(self.held);
    }
}

fn refused(e: std::io::Error, gzip: bool) -> BodyError {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Refused>()) {
        Some(Refused::Limit(n)) => BodyError::SizeLimit(*n),
        Some(Refused::Budget(n)) => BodyError::Budget(*n),
        None if gzip => BodyError::Gzip(e.to_string()),
        None => BodyError::Read(e.to_string()),
    }
}

/// Reads `incoming` into `out` (cleared first), gunzipping it on the fly when `gzip`, and stops
/// at `limit` bytes of output or when the shared budget is spent.
pub async fn read(
    mut incoming: hyper::body::Incoming,
    gzip: bool,
    out: &mut Vec<u8>,
    limit: u64,
) -> Result<(), BodyError> {
    let mut writer = Writer::new(out, limit, gzip)?;
    let mut read = 0;
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        if let Some(data) = frame.data_ref() {
            read += data.len();
            writer.write(data)?;
        }
    }
    writer.finish(read)
}

/// Gunzips `compressed` into `out` (cleared first) within `limit`.
#[cfg(test)]
fn gunzip(compressed: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), BodyError> {
    let mut writer = Writer::new(out, limit, true)?;
    writer.write(compressed)?;
    writer.finish(compressed.len())
}

/// Where the chunks of a body go: straight into the sink, or through a gzip decoder.
enum Writer<'a> {
    Plain(Sink<'a>),
    Gzip(Box<flate2::write::MultiGzDecoder<Sink<'a>>>),
}

impl<'a> Writer<'a> {
    fn new(out: &'a mut Vec<u8>, limit: u64, gzip: bool) -> Result<Writer<'a>, BodyError> {
        out.clear();
        let budget = budget();
        // The caller's presized buffer counts too.
        let held = out.capacity() as u64;
        if !budget.take(held) {
            return Err(BodyError::Budget(budget.total));
        }
        let sink = Sink { out, limit, budget, held };
        Ok(if gzip { Writer::Gzip(Box::new(flate2::write::MultiGzDecoder::new(sink))) } else { Writer::Plain(sink) })
    }

    fn write(&mut self, data: &[u8]) -> Result<(), BodyError> {
        match self {
            Writer::Plain(s) => s.write_all(data).map_err(|e| refused(e, false)),
            Writer::Gzip(d) => d.write_all(data).map_err(|e| refused(e, true)),
        }
    }

    /// A gzip stream must be complete (Go's reader fails on a truncated one, and on an empty
    /// body: `EOF`). `read`: the body's bytes as received.
    fn finish(self, read: usize) -> Result<(), BodyError> {
        match self {
            Writer::Plain(_) => Ok(()),
            Writer::Gzip(_) if read == 0 => Err(BodyError::Gzip("EOF".into())),
            Writer::Gzip(mut d) => {
                d.try_finish().map_err(|e| refused(e, true))?;
                d.finish().map_err(|e| refused(e, true)).map(|_| ())
            }
        }
    }
}

#[cfg(test)]
mod tests;
