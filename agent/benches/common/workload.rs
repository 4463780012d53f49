//! The peer benchmark's scrape body (`tests/bench/workload.py`), generated in Rust for the micro
//! benchmarks: histograms with `le` buckets, counters with four labels, gauges, long HELP lines.

/// The body `workload.py SERIES` writes (about `target` samples).
pub fn body(target: usize) -> Vec<u8> {
    let (mut out, mut n, mut family) = (String::new(), 0, 0);
    let buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
    let help = "a long help text as real exporters write them, ".repeat(3);
    while n < target {
        let name = format!("app_family_{family}");
        let help = format!("Synthetic family {family} for the peer benchmark: {help}");
        match family % 3 {
            0 => {
                out += &format!("# HELP {name}_seconds {help}\n# TYPE {name}_seconds histogram\n");
                for route in 0..8 {
                    let labels = format!("method=\"GET\",route=\"/api/v1/resource/{route}\",code=\"200\"");
                    for (i, le) in buckets.iter().enumerate() {
                        out += &format!("{name}_seconds_bucket{{{labels},le=\"{le}\"}} {}\n", route * 100 + i * 7);
                    }
                    out += &format!("{name}_seconds_sum{{{labels}}} {}\n", route as f64 * 3.25 + 0.5);
                    out += &format!("{name}_seconds_count{{{labels}}} {}\n", route * 100 + 77);
                    n += buckets.len() + 2;
                }
            }
            1 => {
                out += &format!("# HELP {name}_total {help}\n# TYPE {name}_total counter\n");
                for i in 0..40 {
                    let method = ["GET", "POST", "PUT", "DELETE"][i % 4];
                    out += &format!(
                        "{name}_total{{method=\"{method}\",status=\"{}\",instance_id=\"worker-{i}\",region=\"eu-west-1\"}} {}\n",
                        200 + i % 5,
                        i * 1234 + family
                    );
                    n += 1;
                }
            }
            _ => {
                out += &format!("# HELP {name}_bytes {help}\n# TYPE {name}_bytes gauge\n");
                for i in 0..20 {
                    out += &format!("{name}_bytes{{pool=\"pool-{i}\",area=\"heap\"}} {}\n", i as f64 * 1048576.5);
                    n += 1;
                }
            }
        }
        family += 1;
    }
    out.into_bytes()
}
