//! Parser throughput on a generated 10,000-sample body (histograms with `le`, counters with several
//! labels, long HELP lines), in both formats. Reports time per body, samples per second, and a
//! plain ns-per-sample figure at the end.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use scrapelet::scrape::parse::{Entry, Format, Parser};

const SAMPLES: usize = 10_000;
const BUCKETS: [&str; 11] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"];

/// A body of exactly [`SAMPLES`] samples: alternating histogram and counter families.
fn body(format: Format) -> Vec<u8> {
    let mut out = String::new();
    let mut n = 0;
    for family in 0.. {
        if n >= SAMPLES {
            break;
        }
        if family % 2 == 0 {
            histogram(&mut out, family, &mut n);
        } else {
            counter(&mut out, family, &mut n);
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out.into_bytes()
}

fn help(out: &mut String, name: &str, kind: &str) {
    let text = "Duration of HTTP requests served by the handler, partitioned by method, handler and status \
                code; see the \\\"serving\\\" section of the runbook for what each bucket boundary means \\\\ why.";
    out.push_str(&format!("# HELP {name} {text}\n# TYPE {name} {kind}\n"));
}

fn histogram(out: &mut String, family: usize, n: &mut usize) {
    let name = format!("http_server_request_duration_seconds_{family}");
    help(out, &name, "histogram");
    for (i, method) in ["GET", "POST", "PUT", "DELETE"].iter().enumerate() {
        let labels = format!("method=\"{method}\",handler=\"/api/v1/items/{family}\",code=\"200\"");
        for (b, le) in BUCKETS.iter().enumerate() {
            out.push_str(&format!("{name}_bucket{{{labels},le=\"{le}\"}} {}\n", (b + 1) * 137 * (i + 1)));
        }
        out.push_str(&format!("{name}_sum{{{labels}}} {}.{:03}\n", 8123 + family, i * 7));
        out.push_str(&format!("{name}_count{{{labels}}} {}\n", 11 * 137 * (i + 1)));
        *n += BUCKETS.len() + 2;
    }
}

fn counter(out: &mut String, family: usize, n: &mut usize) {
    let name = format!("node_network_receive_bytes_{family}_total");
    help(out, &name, "counter");
    for i in 0..40 {
        out.push_str(&format!(
            "{name}{{device=\"eth{i}\",namespace=\"kube-system\",pod=\"kube-proxy-x7k2p\",container=\"proxy\"}} {}e+09\n",
            1.234_567_8 * (i + 1) as f64
        ));
        *n += 1;
    }
}

/// Parses one body, returning the number of samples.
fn parse(body: &[u8], format: Format) -> usize {
    let mut p = Parser::new(body, format);
    let mut samples = 0;
    while let Some(e) = p.next().expect("generated body parses") {
        if let Entry::Sample { value, .. } = black_box(e) {
            samples += 1;
            black_box(value);
        }
    }
    samples
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (id, format) in [("text", Format::Text), ("openmetrics", Format::OpenMetrics)] {
        let body = body(format);
        assert!(parse(&body, format) >= SAMPLES);
        group.throughput(Throughput::Elements(parse(&body, format) as u64));
        group.bench_function(id, |b| b.iter(|| parse(black_box(&body), format)));
    }
    group.finish();
}

/// A plain figure for reports: ns per sample over `PARSE_BENCH_RUNS` (500) runs, in wall time and
/// (on Linux) in CPU time, which holds up better on a busy machine.
fn ns_per_sample() {
    for (id, format) in [("text", Format::Text), ("openmetrics", Format::OpenMetrics)] {
        let body = body(format);
        let samples = parse(&body, format);
        let runs = std::env::var("PARSE_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(500);
        let (start, cpu_start) = (Instant::now(), cpu_ms());
        for _ in 0..runs {
            black_box(parse(black_box(&body), format));
        }
        let per_sample = |ms: f64| ms * 1e6 / (runs * samples) as f64;
        let wall = per_sample(start.elapsed().as_secs_f64() * 1e3);
        let cpu = cpu_ms().zip(cpu_start).map(|(b, a)| format!(", {:.1} ns CPU", per_sample(b - a)));
        println!(
            "parse/{id}: {wall:.1} ns wall{} per sample ({samples} samples, {} bytes)",
            cpu.unwrap_or_default(),
            body.len()
        );
    }
}

/// This thread's user + system CPU time from `/proc` (clock ticks, assumed 100 Hz).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ns_per_sample();
}
