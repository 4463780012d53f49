//! The relabel engine on typical `metric_relabel_configs` (a drop by name, a replace with a
//! capture group, a labeldrop, a hashmod and a keep) over the label sets of the peer workload's
//! series with target labels merged in. Relabelling runs once per new series (and once per
//! series per WAL segment for `write_relabel_configs`), so this is the cost of a cache miss.
//! Prints ns per series at the end.
//!
//! Run with `cargo bench -p scrapelet --bench relabel`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use scrapelet::config::Config;
use scrapelet::labels::Labels;
use scrapelet::relabel;
use scrapelet::scrape::new_series::merge_target_labels;
use scrapelet::scrape::parse::{Entry, Format, MetricType, Parser, series_labels};

#[path = "common/workload.rs"]
mod workload;

const RULES: &str = r#"scrape_configs:
  - job_name: bench
    metric_relabel_configs:
      - {source_labels: [__name__], regex: "go_gc_.*|process_.*", action: drop}
      - {source_labels: [route], regex: "/api/v1/(\\w+)/.*", target_label: api, replacement: "$1"}
      - {regex: "instance_id|pool", action: labeldrop}
      - {source_labels: [__name__, le], modulus: 8, target_label: __tmp_shard, action: hashmod}
      - {source_labels: [__name__], regex: "app_.*", action: keep}
"#;

fn main() {
    let cfg = Config::from_yaml(RULES).expect("bench config");
    let rules = cfg.scrape_configs[0].metric_relabel_configs.clone();
    let target = Labels::from_pairs([("job", "bench"), ("instance", "10.0.0.1:8080")]);
    let body = workload::body(5000);
    let mut sets = Vec::new();
    let mut p = Parser::new(&body, Format::Text);
    while let Some(e) = p.next().unwrap() {
        if let Entry::Sample { series, .. } = e {
            let mut l = series_labels(series, MetricType::Unknown).unwrap();
            merge_target_labels(&mut l, &target, false);
            sets.push(l);
        }
    }
    let n = sets.len();
    let run = |sets: &[Labels]| {
        let mut kept = 0;
        for l in sets {
            let mut l = l.clone();
            kept += relabel::process(&mut l, &rules) as usize;
            black_box(&l);
        }
        kept
    };
    let mut c = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    let mut g = c.benchmark_group("relabel");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("metric_relabel_5_rules", |b| b.iter(|| run(&sets)));
    g.finish();
    let clone_only = best(n, || sets.iter().for_each(|l| drop(black_box(l.clone()))));
    let full = best(n, || assert_eq!(run(&sets), n));
    println!("{n} series, 5 rules, best of 20:");
    println!("relabel (clone of the set included): {full:.1} ns/series");
    println!("clone of the set alone:              {clone_only:.1} ns/series");
}

fn best(n: usize, mut f: impl FnMut()) -> f64 {
    (0..20)
        .map(|_| {
            let began = Instant::now();
            f();
            began.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::MAX, f64::min)
}
