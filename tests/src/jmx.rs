//! Support for the `jmx` plugin's tests against a real JVM: [`Stack`] (Prometheus, a Tomcat that
//! served known traffic, and the agent scraping it through the plugin), [`HttpJolokia`] (the plugin core's
//! transport over plain HTTP, so the core runs in-process against a real Jolokia) and
//! [`Samples`], a reader of the text exposition that looks samples up as the JMX exporter's own
//! tests do (`PrometheusRegistryUtils.getSampleValue`: the metric name, without a counter's
//! `_total`, and the exact label set).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::plugins::plugin;
use crate::procs::scratch;
use crate::tomcat::{Options as JvmOptions, rules_for};
use crate::{Prometheus, Scrapelet, Tomcat, http, wait_for};

/// POSTs bulk requests to Jolokia at `addr` + `path` (the tests implement the plugin core's
/// `Jolokia` trait with it; this crate does not depend on the core).
pub struct HttpJolokia {
    pub addr: String,
    pub path: String,
    /// Bytes of requests and replies so far.
    pub bytes: usize,
}

impl HttpJolokia {
    pub fn new(addr: &str, path: &str) -> HttpJolokia {
        HttpJolokia { addr: addr.to_string(), path: path.to_string(), bytes: 0 }
    }

    pub fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        let (status, reply) = http::post_json(&self.addr, &self.path, body).map_err(|e| e.to_string())?;
        self.bytes += body.len() + reply.len();
        if status != 200 {
            return Err(format!("HTTP status {status}"));
        }
        Ok(reply.into_bytes())
    }
}

/// One sample of a text exposition.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The family's name (a counter's without `_total`, as client_java names its snapshot).
    pub family: String,
    /// `COUNTER`, `GAUGE` or `UNKNOWN` (`untyped`), as `PrometheusRegistryUtils.getSampleType`.
    pub kind: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub help: String,
}

/// All samples of an exposition.
#[derive(Debug, Default)]
pub struct Samples(pub Vec<Sample>);

impl Samples {
    pub fn parse(text: &str) -> Samples {
        let (mut family, mut kind, mut help) = (String::new(), String::from("UNKNOWN"), String::new());
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                help = rest.split_once(' ').map_or("", |(_, h)| h).to_string();
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, t) = rest.split_once(' ').unwrap_or((rest, "untyped"));
                kind = match t {
                    "counter" => "COUNTER",
                    "gauge" => "GAUGE",
                    _ => "UNKNOWN",
                }
                .into();
                family = if kind == "COUNTER" { name.trim_end_matches("_total").to_string() } else { name.to_string() };
            } else if !line.starts_with('#') && !line.is_empty() {
                let (series, value) = line.rsplit_once(' ').expect("a sample line");
                let (_, labels) = split_series(series);
                let value = match value {
                    "+Inf" => f64::INFINITY,
                    "-Inf" => f64::NEG_INFINITY,
                    v => v.parse().unwrap_or(f64::NAN),
                };
                out.push(Sample { family: family.clone(), kind: kind.clone(), labels, value, help: help.clone() });
            }
        }
        Samples(out)
    }

    /// `getSampleValue(name, labelNames, labelValues)`: `None` when there is no such sample.
    pub fn value(&self, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.get(family, labels).map(|s| s.value)
    }

    /// `getSampleType`.
    pub fn kind(&self, family: &str, labels: &[(&str, &str)]) -> Option<&str> {
        self.get(family, labels).map(|s| s.kind.as_str())
    }

    pub fn get(&self, family: &str, labels: &[(&str, &str)]) -> Option<&Sample> {
        let mut want: Vec<(String, String)> = labels.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        want.sort();
        self.0.iter().find(|s| s.family == family && s.labels == want)
    }

    /// Every sample whose family starts with `prefix`.
    pub fn starting_with(&self, prefix: &str) -> Vec<&Sample> {
        self.0.iter().filter(|s| s.family.starts_with(prefix)).collect()
    }
}

/// `name{a="b",...}` → name and sorted, unescaped labels.
fn split_series(series: &str) -> (String, Vec<(String, String)>) {
    let Some((name, rest)) = series.split_once('{') else { return (series.to_string(), Vec::new()) };
    let mut labels = Vec::new();
    let mut chars = rest.trim_end_matches('}').chars().peekable();
    loop {
        let label: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if label.is_empty() {
            break;
        }
        chars.next(); // the opening quote
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => {}
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.push((label.trim_start_matches(',').to_string(), value));
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels.sort();
    (name.to_string(), labels)
}

pub const TIMEOUT: Duration = Duration::from_secs(90);

/// Known traffic: (path, how many times, expected status).
pub const TRAFFIC: &[(&str, usize, u16)] =
    &[("/demo/ok?ms=20", 7, 200), ("/demo/fail", 3, 500), ("/demo/session", 2, 200)];
/// How long each `/demo/ok` request sleeps, ms.
pub const SLEEP_MS: f64 = 20.0;

pub fn send_traffic(tomcat: &Tomcat) {
    for &(path, times, status) in TRAFFIC {
        for _ in 0..times {
            assert_eq!(tomcat.get(path).0, status, "GET {path}");
        }
    }
}

/// The requests of [`TRAFFIC`] to `path`.
pub fn sent(path: &str) -> f64 {
    TRAFFIC.iter().filter(|t| t.0 == path).map(|t| t.1 as f64).sum()
}

/// The plugin's read-only data directory (the rules files), removed on drop.
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn with_rules(engine: &str) -> DataDir {
        let dir = scratch("jmx-rules");
        std::fs::write(dir.join("tomcat.yml"), rules_for(engine)).unwrap();
        DataDir(dir)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A real Prometheus, a real Tomcat that has served [`TRAFFIC`], and the agent scraping it
/// through the `jmx` plugin, one job per `(job name, the job's YAML after its name)`.
pub struct Stack {
    pub prom: Prometheus,
    pub tomcat: Tomcat,
    pub agent: Scrapelet,
    _data: DataDir,
}

impl Stack {
    pub fn start(engine: &str, jobs: &[(&str, &str)]) -> Stack {
        Stack::start_with(engine, &JvmOptions::default(), jobs)
    }

    pub fn start_with(engine: &str, options: &JvmOptions, jobs: &[(&str, &str)]) -> Stack {
        let prom = Prometheus::start();
        let tomcat = Tomcat::start_with(engine, crate::free_port(), options);
        send_traffic(&tomcat);
        let data = DataDir::with_rules(engine);
        // A cold JVM took 1.5 s for the plugin's first bulk read (all MBeans and their list,
        // about 0.8 MB), a warm one 0.4-0.7 s.
        let mut config = format!(
            "global:\n  scrape_interval: 3s\n  scrape_timeout: 3s\nplugins:\n  - name: jmx\n    path: {}\n    \
             data_dir: {}\n    config:\n      rules_sets: {{tomcat: tomcat.yml}}\nscrape_configs:\n",
            plugin("jmx").display(),
            data.0.display()
        );
        for (job, rest) in jobs {
            config.push_str(&format!(
                "  - job_name: {job}\n    exporter: jmx\n    {rest}\n    static_configs:\n      \
                 - targets: [\"{}\"]\n",
                tomcat.addr()
            ));
        }
        config.push_str(&format!(
            "remote_write:\n  - url: {}\n    queue_config:\n      batch_send_deadline: 200ms\n",
            prom.write_url()
        ));
        let agent = Scrapelet::start(&config);
        Stack { prom, tomcat, agent, _data: data }
    }

    /// The value of the one series `promql` selects, once there is one.
    pub fn value(&self, promql: &str) -> f64 {
        let got = self.prom.wait_for_series(promql, TIMEOUT);
        assert_eq!(got.len(), 1, "{promql}: {got:?}");
        got[0].1.parse().unwrap_or_else(|_| panic!("{promql}: {got:?}"))
    }

    /// Waits for `up` of `job` to be 1: a cold JVM may take its first reads past the timeout.
    pub fn wait_up(&self, job: &str) {
        let up = format!(r#"up{{job="{job}"}}"#);
        wait_for(&format!("{up} == 1"), TIMEOUT, || (self.value(&up) == 1.0).then_some(()));
    }

    /// The agent's `/api/v1/targets` entry of `job`.
    pub fn target(&self, job: &str) -> Value {
        let targets = self.agent.targets();
        let all = targets["data"]["activeTargets"].as_array().expect("activeTargets").clone();
        all.into_iter().find(|t| t["scrapePool"] == job).unwrap_or_else(|| panic!("no target of {job}: {targets}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_counters_by_their_family_name_and_unescapes_labels() {
        let s = Samples::parse(
            "# HELP c_total h\n# TYPE c_total counter\nc_total{b=\"x\\\"y\",a=\"1,2\"} 3.0\n# TYPE g untyped\ng 1.0E9\n",
        );
        assert_eq!(s.value("c", &[("a", "1,2"), ("b", "x\"y")]), Some(3.0));
        assert_eq!(s.kind("c", &[("b", "x\"y"), ("a", "1,2")]), Some("COUNTER"));
        assert_eq!(s.value("g", &[]), Some(1e9));
        assert_eq!(s.value("g", &[("a", "1")]), None);
    }
}
