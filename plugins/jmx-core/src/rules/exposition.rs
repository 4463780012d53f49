//! Samples to Prometheus text (0.0.4) exactly as jmx_exporter 1.x prints them:
//! `MatchedRuleToMetricSnapshotsConverter.convert` (group by name; one type for the family or
//! `UNKNOWN` when rules disagree; the first sample's help; an `_objectname` label on every
//! point when two share a label set) and client_java's `MetricSnapshot` (points sorted by
//! label names, then values), `MetricSnapshots` (families sorted by name) and
//! `PrometheusTextFormatWriter` (counters print `_total` on HELP, TYPE and samples; `untyped`
//! for unknown; HELP escapes `\` and newline; label values `\`, `"` and newline;
//! values as `Double.toString`).

use super::matcher::Sample;
use super::names::exposition_double;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Renders one scrape's samples (in the order they were recorded).
pub fn render(samples: Vec<Sample>) -> String {
    let mut families: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    for s in samples {
        families.entry(s.name.clone()).or_default().push(s);
    }
    let mut out = String::new();
    for (name, points) in families {
        write_family(&mut out, &name, points);
    }
    out
}

fn write_family(out: &mut String, name: &str, mut points: Vec<Sample>) {
    let kind = family_type(&points);
    let help = points[0].help.clone();
    if !labels_unique(&points) {
        for p in &mut points {
            let object = p.match_name.rfind(':').map_or(&p.match_name[..], |i| &p.match_name[..i]);
            p.labels.push(("_objectname".into(), object.to_owned()));
            p.labels.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
    points.sort_by_cached_key(|p| label_key(&p.labels));
    // client_java throws on these (the whole scrape fails); we drop the offending points.
    points.dedup_by(|b, a| a.labels == b.labels);
    if kind == "counter" {
        points.retain(|p| p.value >= 0.0 || p.value.is_nan());
    }
    if points.is_empty() {
        return; // the writer skips families without points
    }
    let suffix = if kind == "counter" { "_total" } else { "" };
    if !help.is_empty() {
        let _ = writeln!(out, "# HELP {name}{suffix} {}", escape_help(&help));
    }
    let _ = writeln!(out, "# TYPE {name}{suffix} {kind}");
    for p in &points {
        out.push_str(name);
        out.push_str(suffix);
        write_labels(out, &p.labels);
        out.push(' ');
        out.push_str(&exposition_double(p.value));
        out.push('\n');
    }
}

fn family_type(points: &[Sample]) -> &'static str {
    let first = &points[0].metric_type;
    let same = points.iter().all(|p| &p.metric_type == first);
    match (same, first.as_str()) {
        (true, "COUNTER") => "counter",
        (true, "GAUGE") => "gauge",
        _ => "untyped",
    }
}

fn labels_unique(points: &[Sample]) -> bool {
    let mut seen: Vec<&Vec<(String, String)>> = points.iter().map(|p| &p.labels).collect();
    seen.sort();
    seen.windows(2).all(|w| w[0] != w[1])
}

/// `Labels.compareTo`: the names as a list, then the values as a list, each string compared
/// as Java's `String.compareTo` does (UTF-16 code units).
fn label_key(labels: &[(String, String)]) -> (Vec<Vec<u16>>, Vec<Vec<u16>>) {
    let names = labels.iter().map(|(n, _)| java_str(n)).collect();
    let values = labels.iter().map(|(_, v)| java_str(v)).collect();
    (names, values)
}

fn java_str(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// `{name="value",...}` with the text format's value escaping; nothing for no labels.
pub(crate) fn write_labels<N: AsRef<str>>(out: &mut String, labels: &[(N, String)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (n, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(n.as_ref());
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                _ => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Ports of jmx_exporter's `MatchedRuleToMetricSnapshotsConverterTest`, checked on the text.
#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, match_name: &str, kind: &str, labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            name: name.into(),
            match_name: match_name.into(),
            metric_type: kind.into(),
            help: "help".into(),
            labels: labels.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            value,
        }
    }

    #[test]
    fn same_name_aggregates_into_one_family() {
        let out = render(vec![
            rule(
                "jvm_memory_committed_bytes",
                "java.lang<type=Memory><HeapMemoryUsage>committed: 1",
                "UNKNOWN",
                &[("area", "heap")],
                1.6252928E7,
            ),
            rule(
                "jvm_memory_committed_bytes",
                "java.lang<type=Memory><NonHeapMemoryUsage>committed: 2",
                "UNKNOWN",
                &[("area", "nonheap")],
                2.1757952E7,
            ),
        ]);
        let expected = "# HELP jvm_memory_committed_bytes help\n# TYPE jvm_memory_committed_bytes untyped\n\
            jvm_memory_committed_bytes{area=\"heap\"} 1.6252928E7\njvm_memory_committed_bytes{area=\"nonheap\"} 2.1757952E7\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn types_counter_gauge_and_mixed() {
        let counter = render(vec![rule(
            "http_requests",
            "http<name=server>requests: 100",
            "COUNTER",
            &[("method", "get")],
            100.0,
        )]);
        assert_eq!(
            counter,
            "# HELP http_requests_total help\n# TYPE http_requests_total counter\nhttp_requests_total{method=\"get\"} 100.0\n"
        );
        let mixed = render(vec![
            rule("m", "domain<type=Type1>attr: 1", "GAUGE", &[("label1", "value1")], 1.0),
            rule("m", "domain<type=Type2>attr: 2", "COUNTER", &[("label1", "value2")], 2.0),
        ]);
        assert!(mixed.contains("# TYPE m untyped\n"));
        let gauges = render(vec![
            rule("g", "domain<type=Type1>attr: 1", "GAUGE", &[("label1", "value1")], 1.0),
            rule("g", "domain<type=Type2>attr: 2", "GAUGE", &[("label1", "value2")], 2.0),
        ]);
        assert!(gauges.contains("# TYPE g gauge\n") && !gauges.contains("_objectname"));
    }

    #[test]
    fn duplicate_label_sets_get_objectname_on_every_point() {
        let out = render(vec![
            rule("c", "domain1<type=Type>attr: 10", "COUNTER", &[("l", "v")], 10.0),
            rule("c", "domain2<type=Type>attr: 20", "COUNTER", &[("l", "v")], 20.0),
        ]);
        assert!(out.contains("c_total{_objectname=\"domain1<type=Type>attr\",l=\"v\"} 10.0\n"), "{out}");
        assert!(out.contains("c_total{_objectname=\"domain2<type=Type>attr\",l=\"v\"} 20.0\n"), "{out}");
    }

    #[test]
    fn objectname_without_a_colon_is_the_whole_match_name() {
        let out = render(vec![rule("t", "noColon", "GAUGE", &[], 1.0), rule("t", ":x", "GAUGE", &[], 2.0)]);
        assert!(out.contains("t{_objectname=\"\"} 2.0\n") && out.contains("t{_objectname=\"noColon\"} 1.0\n"), "{out}");
    }

    #[test]
    fn no_samples_no_output() {
        assert_eq!(render(Vec::new()), "");
    }
}
