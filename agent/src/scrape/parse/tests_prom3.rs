//! Prometheus 3's own text-format parser tables, run through this parser: `TestPromParse`,
//! `TestUTF8PromParse`, `TestPromParseErrors`, `TestOpenMetricsParse`,
//! `TestOpenMetricsParse_UTF8` and `TestOpenMetricsParseErrors` of `model/textparse` at
//! prometheus/prometheus v3.14.0 (commit d7598b7141418fa35be2b5ec5d0fefb634199610), ported by
//! `tests/upstream/port_textparse.py` into `testdata/prometheus-3.14-textparse.json`.
//!
//! Each body must give the same entries (help text unescaped as Prometheus' `Help()` does,
//! series labels as `Labels()` builds them, `le`/`quantile` normalised), and each error body
//! must fail. Comments are not compared (this parser skips them); error texts differ in wording.

use serde_json::Value;

use super::{Entry, Format, MetricType, Parser, series_labels};
use crate::labels::Labels;

const TABLE: &str = include_str!("testdata/prometheus-3.14-textparse.json");

fn table() -> Value {
    serde_json::from_str(TABLE).expect("table json")
}

fn body(case: &Value) -> Vec<u8> {
    match case["body"].as_str() {
        Some(b) => b.as_bytes().to_vec(),
        None => {
            let hex = case["body_hex"].as_str().expect("body or body_hex");
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
        }
    }
}

fn format(case: &Value) -> Format {
    if case["format"] == "openmetrics" { Format::OpenMetrics } else { Format::Text }
}

fn json_value(v: f64) -> Value {
    match v {
        v if v.is_nan() => "NaN".into(),
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v => v.into(),
    }
}

fn labels_json(l: &Labels) -> Value {
    Value::Object(l.iter().map(|l| (l.name.clone(), Value::String(l.value.clone()))).collect())
}

/// Prometheus' `Help()`: `\\` and `\n` undone (OpenMetrics also `\"`).
fn help_text(text: &str, format: Format) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('\\')) => out.push('\\'),
            ('\\', Some('n')) => out.push('\n'),
            ('\\', Some('"')) if format == Format::OpenMetrics => out.push('"'),
            _ => {
                out.push(c);
                continue;
            }
        }
        chars.next();
    }
    out
}

fn kind_name(k: MetricType) -> String {
    format!("{k:?}").to_lowercase()
}

/// Every entry of `body` in the table's notation.
fn entries(body: &[u8], format: Format, skip_created: bool) -> Result<Vec<Value>, String> {
    let mut p = Parser::new(body, format);
    let mut out = Vec::new();
    while let Some(e) = p.next().map_err(|e| e.to_string())? {
        let v = match e {
            Entry::Help { name, text } => serde_json::json!({"help": name, "text": help_text(text, format)}),
            Entry::Type { name, kind } => serde_json::json!({"type": name, "kind": kind_name(kind)}),
            Entry::Unit { name, unit } => serde_json::json!({"unit": name, "text": unit}),
            Entry::Sample { series, name, value, timestamp_ms } => {
                let kind = p.metric_type();
                // Prometheus' parser option that skips OpenMetrics `_created` series of counters,
                // summaries and histograms (the scrape loop keeps them, as scrapelet does).
                let st_type = matches!(kind, MetricType::Counter | MetricType::Summary | MetricType::Histogram);
                if skip_created && st_type && name.ends_with("_created") {
                    continue;
                }
                let labels = series_labels(series, kind).map_err(|e| e.to_string())?;
                let mut v = serde_json::json!({
                    "series": String::from_utf8_lossy(series),
                    "value": json_value(value),
                    "labels": labels_json(&labels),
                });
                if let Some(t) = timestamp_ms {
                    v["t"] = t.into();
                }
                if let Some(x) = p.exemplar() {
                    let l = Labels::parse(&String::from_utf8_lossy(x.labels)).map_err(|e| e.to_string())?;
                    v["exemplar"] = serde_json::json!({"labels": labels_json(&l), "value": json_value(x.value)});
                    if let Some(t) = x.timestamp_ms {
                        v["exemplar"]["t"] = t.into();
                    }
                }
                v
            }
        };
        out.push(v);
    }
    Ok(out)
}

#[test]
fn parse_tables_of_prometheus_3() {
    let t = table();
    let cases = t["parse"].as_array().expect("cases");
    assert_eq!(cases.len(), 4, "the table lost cases");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let got =
            entries(&body(case), format(case), case["skip_created"] == true).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = case["entries"].as_array().unwrap();
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{name}: entry {i}");
        }
        assert_eq!(got.len(), want.len(), "{name}: number of entries");
    }
}

#[test]
fn error_tables_of_prometheus_3() {
    let t = table();
    let cases = t["errors"].as_array().expect("cases");
    assert!(cases.len() > 80, "the table lost cases");
    for case in cases {
        let b = body(case);
        // A body fails if the parser stops on it, or a series it returns has no valid label set.
        let result = entries(&b, format(case), false);
        let shown = String::from_utf8_lossy(&b);
        match case["error"].as_str() {
            None => assert!(result.is_ok(), "{}: {shown:?} failed: {:?}", case["name"], result),
            Some(e) => assert!(result.is_err(), "{}: {shown:?} parsed; Prometheus: {e}", case["name"]),
        }
    }
}
