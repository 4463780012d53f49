//! Support for the `jmx` plugin's tests against a real JVM: [`HttpJolokia`] (the plugin core's
//! transport over plain HTTP, so the core runs in-process against a real Jolokia) and
//! [`Samples`], a reader of the text exposition that looks samples up as the JMX exporter's own
//! tests do (`PrometheusRegistryUtils.getSampleValue`: the metric name, without a counter's
//! `_total`, and the exact label set).

use crate::http;

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
