//! Plugin costs, printed as plain figures (a benchmark, not a test):
//! - steady-state CPU per sample of a job with a transform plugin vs the same job without
//!   (verdicts are cached with the series, so the plugin is not called once the series are
//!   known); the budget is under 10% more;
//! - the first scrape with the transform (every series new: one plugin call for the batch);
//! - an exporter plugin (JSON exporter, payload replayed) per scrape, vs parsing the same
//!   samples natively.
//!
//! Builds the plugins from `plugins/` first (needs the `wasm32-wasip2` target).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scrapelet::config::Config;
use scrapelet::labels::Labels;
use scrapelet::plugin::{CallState, Fetch, exporter, registry};
use scrapelet::scrape::Target;
use scrapelet::scrape::parse::Format;
use scrapelet::scrape::scraper::Scraper;
use scrapelet::series::SeriesFactory;

const SERIES: usize = 10_000;
const ROUNDS: usize = 7;

fn build(plugin: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let ok = std::process::Command::new("cargo")
        .current_dir(&dir)
        .args(["build", "--quiet", "--target", "wasm32-wasip2", "--release", "-p", plugin])
        .status()
        .expect("cargo")
        .success();
    assert!(ok, "building {plugin}");
    dir.join(format!("target/wasm32-wasip2/release/{}.wasm", plugin.replace('-', "_")))
}

fn body() -> Vec<u8> {
    let mut out = String::from("# TYPE http_requests_total counter\n");
    for i in 0..SERIES {
        out.push_str(&format!(
            "http_requests_total{{method=\"GET\",handler=\"/api/v1/items/{}\",code=\"{}\",pod=\"web-{}\"}} {}\n",
            i / 40,
            200 + i % 40,
            i % 7,
            i * 3
        ));
    }
    out.into_bytes()
}

fn target(yaml: &str) -> Target {
    let cfg = Config::from_yaml(yaml).expect("bench config");
    registry().apply(&cfg.plugins);
    let job = Arc::new(cfg.scrape_configs[0].clone());
    Target::from_labels(&job, Labels::from_pairs([("__address__", "127.0.0.1:9")])).unwrap().unwrap()
}

/// Best-of-rounds ns per sample of steady-state `process` calls.
fn steady_ns_per_sample(scraper: &mut Scraper, body: &[u8]) -> f64 {
    scraper.process(Ok((body, Format::Text)), 1, Duration::ZERO);
    let mut best = f64::MAX;
    for round in 0..ROUNDS {
        let began = Instant::now();
        for i in 0..10 {
            let (batch, stats, err) =
                scraper.process(Ok((body, Format::Text)), 2 + (round * 10 + i) as i64, Duration::ZERO);
            assert!(err.is_none() && stats.series_added == 0, "{err:?} {stats:?}");
            black_box(batch);
        }
        best = best.min(began.elapsed().as_nanos() as f64 / (10 * SERIES) as f64);
    }
    best
}

fn transform_figures(wasm: &Path, body: &[u8]) {
    let plain = target("scrape_configs:\n  - job_name: bench\n");
    let yaml = format!(
        "plugins:\n  - name: t\n    path: {}\n    config: {{drop_labels: [pod], rename: [{{from: http_, to: web_}}]}}\n\
         scrape_configs:\n  - job_name: bench\n    transforms: [t]\n",
        wasm.display()
    );
    let with = target(&yaml);
    let factory = Arc::new(SeriesFactory::default());
    let mut first = Scraper::new(with.clone(), factory.clone());
    let began = Instant::now();
    let (_, stats, err) = first.process(Ok((body, Format::Text)), 1, Duration::ZERO);
    assert!(err.is_none(), "{err:?}");
    let cold = began.elapsed();
    let (mut native_scraper, mut plugin_scraper) = (Scraper::new(plain, factory.clone()), Scraper::new(with, factory));
    let (mut native, mut plugin) = (f64::MAX, f64::MAX);
    // Interleaved, best of many: the machine is shared, so single runs are noisy.
    for _ in 0..10 {
        native = native.min(steady_ns_per_sample(&mut native_scraper, body));
        plugin = plugin.min(steady_ns_per_sample(&mut plugin_scraper, body));
    }
    println!("transform, first scrape ({} new series, one plugin call): {cold:?}", stats.series_added);
    println!("steady state, native job:          {native:.1} ns/sample");
    println!("steady state, job with transform:  {plugin:.1} ns/sample ({:+.1}%)", (plugin / native - 1.0) * 100.0);
}

fn exporter_figures(wasm: &Path) {
    let mut doc = String::from("{\"items\": [");
    for i in 0..1000 {
        doc.push_str(&format!("{}{{\"name\": \"item{i}\", \"depth\": {i}}}", if i > 0 { "," } else { "" }));
    }
    doc.push_str("]}");
    let yaml = format!(
        "plugins:\n  - name: j\n    path: {}\n    config: {{metrics: [{{name: depth, path: \"$.items[*]\", value: \"@.depth\", labels: {{item: \"@.name\"}}}}]}}\n\
         scrape_configs:\n  - job_name: bench\n    exporter: j\n",
        wasm.display()
    );
    target(&yaml);
    let loaded = registry().get("j").unwrap();
    let fetch = Fetch::Replay { body: Arc::new(doc.into_bytes()), content_type: "application/json".into() };
    let mut best = Duration::MAX;
    let mut out = Vec::new();
    for _ in 0..ROUNDS * 3 {
        let began = Instant::now();
        let state = CallState::exporter(Arc::default(), 1 << 20);
        out = exporter::collect(&loaded, &vec![], "bench", Duration::from_secs(10), fetch.clone(), state).unwrap().body;
        best = best.min(began.elapsed());
    }
    let samples = out.iter().filter(|&&b| b == b'\n').count() - 1;
    println!(
        "exporter (JSON, fresh instance + init + collect, 1000 samples): {best:?} per scrape, {:.0} ns/sample",
        best.as_nanos() as f64 / samples as f64
    );
}

fn main() {
    let body = body();
    let (transform, json) = (build("transform-example"), build("json-exporter"));
    transform_figures(&transform, &body);
    exporter_figures(&json);
}
