//! WAL append in steady state: a 10,000-series scrape appended as one batch per "scrape", with
//! segment rotation (and so series records rewritten per segment) included. Prints ns per sample
//! and bytes written per sample (write amplification) at the end.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cap_std::fs::Dir;
use criterion::{BatchSize, Criterion, Throughput};
use scrapelet::labels::Labels;
use scrapelet::series::{Sample, Series, SeriesFactory};
use scrapelet::wal::{Wal, WalConfig};

const SERIES: usize = 10_000;

fn series() -> Vec<Series> {
    let f = SeriesFactory::default();
    (0..SERIES)
        .map(|i| {
            f.make(Labels::from_pairs([
                ("__name__", format!("http_server_requests_seconds_bucket_{}", i % 50)),
                ("container", "app".into()),
                ("instance", format!("10.1.{}.{}:8080", i % 200, i % 250)),
                ("job", "kubernetes-pods".into()),
                ("le", format!("{}", (i % 12) as f64 * 0.25)),
                ("namespace", "shop".into()),
                ("pod", format!("checkout-7d9f8b6c5-{:05}", i / 40)),
            ]))
        })
        .collect()
}

fn batch(series: &[Series], t: i64) -> Vec<Sample> {
    series.iter().enumerate().map(|(i, s)| Sample { series: s.clone(), t, v: (t as f64) * 0.5 + i as f64 }).collect()
}

/// Opens a WAL in a scratch dir; no limits, so retention never deletes during the run.
fn open(path: &std::path::Path) -> Arc<Wal> {
    let _ = std::fs::remove_dir_all(path);
    std::fs::create_dir_all(path).unwrap();
    let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority()).unwrap();
    Wal::open(&dir, WalConfig { max_wal_bytes: 0, ..WalConfig::default() }).unwrap()
}

fn main() {
    let path = std::env::temp_dir().join(format!("scrapelet-bench-wal-{}", std::process::id()));
    let wal = open(&path);
    let s = series();
    let batches: Vec<Vec<Sample>> = (0..16).map(|i| batch(&s, 1_700_000_000_000 + i * 15_000)).collect();
    let m = scrapelet::metrics::get();
    let mut c = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    let mut g = c.benchmark_group("wal");
    g.throughput(Throughput::Elements(SERIES as u64));
    let mut i = 0;
    // The WAL takes the batch (as the scrape side hands it over); cloning it is set-up.
    g.bench_function("append_10k_series_batch", |b| {
        b.iter_batched(
            || {
                i += 1;
                batches[i % batches.len()].clone()
            },
            |batch| wal.append(black_box(batch)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    // Steady state, measured on its own: bytes and time per sample over many scrapes.
    let (bytes0, samples0) = (m.wal_bytes_written.with(&[]).get(), m.wal_samples_written.with(&[]).get());
    let owned: Vec<Vec<Sample>> = (0..200).map(|n| batches[n % batches.len()].clone()).collect();
    let start = Instant::now();
    for batch in owned {
        wal.append(batch).unwrap();
    }
    let elapsed = start.elapsed();
    let bytes = m.wal_bytes_written.with(&[]).get() - bytes0;
    let samples = m.wal_samples_written.with(&[]).get() - samples0;
    println!(
        "wal steady state: {:.1} ns/sample, {:.2} bytes written/sample ({} samples, {} segments rotated in)",
        elapsed.as_nanos() as f64 / samples as f64,
        bytes as f64 / samples as f64,
        samples,
        wal.head().seg,
    );
    let _ = std::fs::remove_dir_all(&path);
}
