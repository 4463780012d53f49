//! Memory per active series, by component, on the peer benchmark's body shape (histograms with
//! `le`, counters with four labels, gauges; see `tests/bench/workload.py`). A counting global
//! allocator measures the heap each stage keeps after steady-state scrapes:
//! - the scrape side: per-target series caches and the `Series` they share;
//! - the WAL writer and remote write: one queue reading the WAL and sending to a discarding
//!   transport (measured together: the queue runs on other threads while batches are appended).
//!
//! `TARGETS` and `SERIES` (per target) set the size; defaults 20 × 5,000. Run with
//! `cargo bench -p scrapelet --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cap_std::fs::Dir;
use futures::executor::block_on;
use scrapelet::config::Config;
use scrapelet::labels::Labels;
use scrapelet::remote_write::{Protocol, RemoteWriter, Response, Transport, TransportError};
use scrapelet::scrape::Target;
use scrapelet::scrape::parse::Format;
use scrapelet::scrape::scraper::Scraper;
use scrapelet::series::SeriesFactory;
use scrapelet::wal::{Wal, WalConfig};

#[path = "common/workload.rs"]
mod workload;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

struct Discard;

impl Transport for Discard {
    async fn send(&self, _body: Bytes, _protocol: Protocol) -> Result<Response, TransportError> {
        Ok(Response { status: 204, retry_after: None, message: String::new(), samples_written: Some(0) })
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn per_series(what: &str, bytes: isize, series: usize) {
    println!("{what:<44} {:>10.1} MB  {:>7.1} bytes/series", bytes as f64 / 1e6, bytes as f64 / series as f64);
}

fn main() {
    let (targets, series) = (env("TARGETS", 20), env("SERIES", 5000));
    let yaml = "scrape_configs:\n  - job_name: bench\nremote_write:\n  - url: http://127.0.0.1:9/write\n";
    let cfg = Config::from_yaml(yaml).expect("bench config");
    let job = Arc::new(cfg.scrape_configs[0].clone());
    let body = workload::body(series);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let path = std::env::temp_dir().join(format!("scrapelet-bench-memory-{}", std::process::id()));
    std::fs::create_dir_all(&path).unwrap();
    let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority()).unwrap();

    let base = live();
    let factory = Arc::new(SeriesFactory::default());
    let mut scrapers: Vec<Scraper> = (0..targets)
        .map(|i| {
            let addr = format!("10.0.{}.{}:8080", i / 250, i % 250);
            let t = Target::from_labels(&job, Labels::from_pairs([("__address__", addr)])).unwrap().unwrap();
            Scraper::new(t, factory.clone())
        })
        .collect();
    let mut active = 0;
    for round in 0..3 {
        for s in &mut scrapers {
            let (batch, stats, err) =
                block_on(s.process(Ok((&body, Format::Text)), 1_000 + round * 5_000, Duration::ZERO));
            assert!(err.is_none(), "{err:?}");
            if round == 0 {
                active += stats.post_relabel as usize;
            }
            drop(batch);
        }
    }
    let scrape = live() - base;

    let base = live();
    let wal = Wal::open(&dir, WalConfig { max_wal_bytes: 0, ..WalConfig::default() }).unwrap();
    let writer = rt.block_on(async {
        RemoteWriter::start_with(&cfg.remote_write, Labels::new(), wal.clone(), |_| Discard).unwrap()
    });
    let started = live() - base;
    let base = live();
    let sent = scrapelet::metrics::get().rw_samples_sent.with(&[&cfg.remote_write[0].name]);
    let mut appended = 0;
    let mut append_rounds = |rounds: i64, wait_each: bool| {
        for round in 0..rounds {
            for s in &mut scrapers {
                let (batch, _, _) =
                    block_on(s.process(Ok((&body, Format::Text)), 20_000 + round * 5_000, Duration::ZERO));
                appended += batch.len() as u64;
                rt.block_on(writer.append(batch));
                // Targets' scrapes are spread over the interval: the remote sends each batch
                // before the next arrives, as it does in the agent.
                while wait_each && sent.get() < appended {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        while sent.get() < appended {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    append_rounds(3, true);
    let total = live() - base;
    // Ten rounds of every target's batch at once, faster than the remote sends them: if it falls
    // behind the writer's queue it reads the rest of its segment from disk, with its own copy of
    // each series until the next segment.
    append_rounds(10, false);
    let behind = live() - base;

    println!("memory per active series: {targets} targets x {series} samples = {active} active series");
    per_series("scrape caches + series (labels)", scrape, active);
    per_series("WAL writer + remote write queue (startup)", started, active);
    per_series("WAL writer + remote write queue (steady)", total, active);
    per_series("... after a burst of 10 rounds at once", behind, active);
    per_series("all of the above", scrape + started + total, active);
    per_series("one scrape body (freed after its scrape)", body.len() as isize, active);
    rt.block_on(writer.shutdown(Duration::from_secs(5)));
    let _ = std::fs::remove_dir_all(&path);
}
