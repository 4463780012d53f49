//! The scrape path in steady state on the peer workload's body (5,100 samples, every series
//! known): `Scraper::process` per sample (parse, series-cache lookup, batch), the parse + lookup
//! loop with and without the known-series fast path, and the series cache alone. Prints ns per
//! sample at the end.
//!
//! Run with `cargo bench -p scrapelet --bench series_cache`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures::executor::block_on;
use scrapelet::config::Config;
use scrapelet::labels::Labels;
use scrapelet::scrape::Target;
use scrapelet::scrape::cache::{Lookup, SeriesCache};
use scrapelet::scrape::parse::{Entry, Format, Known, Parser};
use scrapelet::scrape::scraper::Scraper;
use scrapelet::series::SeriesFactory;

#[path = "common/workload.rs"]
mod workload;

fn scraper() -> Scraper {
    let cfg = Config::from_yaml("scrape_configs:\n  - job_name: bench\n").expect("bench config");
    let job = Arc::new(cfg.scrape_configs[0].clone());
    let t = Target::from_labels(&job, Labels::from_pairs([("__address__", "10.0.0.1:8080")])).unwrap().unwrap();
    Scraper::new(t, Arc::new(SeriesFactory::default()))
}

/// The raw series of a body, in order.
fn raw_series(body: &[u8]) -> Vec<&[u8]> {
    let mut p = Parser::new(body, Format::Text);
    let mut out = Vec::new();
    while let Some(e) = p.next().unwrap() {
        if let Entry::Sample { series, .. } = e {
            out.push(series);
        }
    }
    out
}

/// Best of rounds, ns per sample.
fn best(rounds: usize, samples: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let began = Instant::now();
            f();
            began.elapsed().as_nanos() as f64 / samples as f64
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let body = workload::body(5000);
    let raws = raw_series(&body);
    let n = raws.len();
    let mut s = scraper();
    let mut t = 1_000;
    block_on(s.process(Ok((&body, Format::Text)), t, Duration::ZERO));
    let mut cache = SeriesCache::default();
    cache.begin();
    raws.iter().for_each(|r| cache.insert(r, None, false));

    let mut c = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    let mut g = c.benchmark_group("series_cache");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("scrape_process_known_series", |b| {
        b.iter(|| {
            t += 5_000;
            black_box(block_on(s.process(Ok((&body, Format::Text)), t, Duration::ZERO)));
        })
    });
    g.bench_function("cache_lookup_known_series", |b| {
        b.iter(|| {
            cache.begin();
            for r in &raws {
                black_box(matches!(cache.lookup(r), Lookup::Hit(..)));
            }
        })
    });
    g.finish();

    let process = best(20, n, || {
        t += 5_000;
        let (batch, stats, err) = block_on(s.process(Ok((&body, Format::Text)), t, Duration::ZERO));
        assert!(err.is_none() && stats.series_added == 0);
        black_box(batch);
    });
    let lookup = best(20, n, || {
        cache.begin();
        raws.iter().for_each(|r| assert!(matches!(cache.lookup(r), Lookup::Hit(..))));
    });
    // The loop before `next_known`: every line parsed in full (label set scanned), then looked up.
    let full_parse = best(20, n, || {
        cache.begin();
        let mut p = Parser::new(&body, Format::Text);
        while let Some(e) = p.next().unwrap() {
            if let Entry::Sample { series, value, .. } = e {
                black_box((matches!(cache.lookup(series), Lookup::Hit(..)), value));
            }
        }
    });
    let fast_parse = best(20, n, || {
        cache.begin();
        let mut p = Parser::new(&body, Format::Text);
        while let Some(k) = p.next_known(|raw| matches!(cache.lookup(raw), Lookup::Hit(..)).then_some(())).unwrap() {
            black_box(matches!(k, Known::Cached(..)));
        }
    });
    println!("{n} known series per scrape, best of 20:");
    println!("parse in full + cache lookup:           {full_parse:.1} ns/sample");
    println!("next_known (fast path) + cache lookup:  {fast_parse:.1} ns/sample");
    println!("scrape process (parse + cache + batch): {process:.1} ns/sample");
    println!("series cache lookup alone:              {lookup:.1} ns/sample");
}
