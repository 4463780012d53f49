//! Remote-write hot path: encode 2,000-sample requests from 10,000 series whose labels are already
//! cached, then snappy-compress them. Prints ns per sample at the end.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use scrapelet::labels::Labels;
use scrapelet::remote_write::encode::{RemoteSeries, RequestBuilder, SeriesRules};

const SERIES: usize = 10_000;
const BATCH: usize = 2_000;

/// Series shaped like a typical kubernetes-pods scrape, resolved once (as a remote does per
/// series).
fn cached_series() -> Vec<RemoteSeries> {
    let rules = SeriesRules { external_labels: Labels::from_pairs([("cluster", "prod-eu-1")]), ..Default::default() };
    (0..SERIES)
        .map(|i| {
            let labels = Labels::from_pairs([
                ("__name__", format!("http_server_requests_seconds_bucket_{}", i % 50)),
                ("container", "app".into()),
                ("instance", format!("10.1.{}.{}:8080", i % 200, i % 250)),
                ("job", "kubernetes-pods".into()),
                ("le", format!("{}", (i % 12) as f64 * 0.25)),
                ("namespace", "shop".into()),
                ("pod", format!("checkout-7d9f8b6c5-{:05}", i / 40)),
            ]);
            RemoteSeries::resolve(&labels, &rules).expect("no relabelling")
        })
        .collect()
}

/// Encodes one request from `series[offset..offset + BATCH]` and compresses it.
fn encode(req: &mut RequestBuilder, series: &[RemoteSeries], offset: usize, t: i64) -> usize {
    push(req, series, offset, t);
    req.finish().len()
}

fn push(req: &mut RequestBuilder, series: &[RemoteSeries], offset: usize, t: i64) {
    for (i, s) in series[offset..offset + BATCH].iter().enumerate() {
        req.push(s.series(), t, (i as f64) * 1.5 + t as f64 * 1e-3);
    }
}

fn main() {
    let series = cached_series();
    let mut req = RequestBuilder::default();
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("remote_write");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut n = 0usize;
    g.bench_function("encode_snappy_2000_samples", |b| {
        b.iter(|| {
            n += 1;
            black_box(encode(&mut req, &series, (n * BATCH) % SERIES, 1_700_000_000_000 + n as i64 * 15_000))
        })
    });
    g.finish();
    c.final_summary();
    report(&mut req, &series);
}

/// A plain timing loop, so the figure is printed as ns per sample, split into encoding and snappy.
fn report(req: &mut RequestBuilder, series: &[RemoteSeries]) {
    const ROUNDS: usize = 500;
    let (mut raw, mut compressed) = (0, 0);
    let (mut encoding, mut snappy) = (Duration::ZERO, Duration::ZERO);
    for n in 0..ROUNDS {
        let start = Instant::now();
        push(req, series, (n * BATCH) % SERIES, 1_700_000_000_000 + n as i64 * 15_000);
        let pushed = Instant::now();
        raw += req.raw().len();
        compressed += black_box(req.finish()).len();
        encoding += pushed - start;
        snappy += pushed.elapsed();
    }
    let ns = |d: Duration| d.as_nanos() as f64 / (ROUNDS * BATCH) as f64;
    println!(
        "remote_write: {:.1} ns/sample ({:.1} encode + {:.1} snappy); {} raw -> {} compressed bytes per request",
        ns(encoding + snappy),
        ns(encoding),
        ns(snappy),
        raw / ROUNDS,
        compressed / ROUNDS
    );
}
