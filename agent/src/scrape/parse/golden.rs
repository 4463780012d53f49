//! Regression guards, not oracles: each body in `agent/tests/fixtures/parse/` is parsed and every
//! entry written out, one per line, to compare with the `.expected` file beside it. The expected
//! files were written by this parser (`UPDATE_GOLDEN=1` rewrites them), so they show that output
//! changed, not that it is right; what checks the parser from outside is Prometheus' own tables
//! (`tests_prom3.rs`).

use std::fmt::Write;
use std::path::PathBuf;

use super::{Entry, Format, Parser, series_labels};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse").join(name)
}

/// Every entry of `body`, readable, or the error that stopped it.
fn render(body: &[u8], format: Format) -> String {
    let mut out = String::new();
    let mut p = Parser::new(body, format);
    loop {
        match p.next() {
            Ok(Some(e)) => render_entry(&mut out, &e, &p),
            Ok(None) => break,
            Err(e) => {
                writeln!(out, "ERROR {e}").unwrap();
                break;
            }
        }
    }
    out
}

fn render_entry(out: &mut String, e: &Entry<'_>, p: &Parser<'_>) {
    let _ = match e {
        Entry::Help { name, text } => writeln!(out, "HELP {name} |{text}|"),
        Entry::Type { name, kind } => writeln!(out, "TYPE {name} {kind:?}"),
        Entry::Unit { name, unit } => writeln!(out, "UNIT {name} {unit:?}"),
        Entry::Sample { series, name, value, timestamp_ms } => {
            let series = String::from_utf8_lossy(series);
            let labels = series_labels(series.as_bytes(), p.metric_type())
                .map(|l| l.to_string())
                .unwrap_or_else(|e| e.to_string());
            writeln!(out, "SAMPLE {series} = {value}{}", at(*timestamp_ms)).unwrap();
            writeln!(out, "  name {name}, labels {labels}").unwrap();
            match p.exemplar() {
                Some(x) => writeln!(
                    out,
                    "  exemplar {} = {}{}",
                    String::from_utf8_lossy(x.labels),
                    x.value,
                    at(x.timestamp_ms)
                ),
                None => Ok(()),
            }
        }
    };
}

fn at(ts: Option<i64>) -> String {
    ts.map(|t| format!(" @ {t}")).unwrap_or_default()
}

/// Panics with a line-by-line diff (`-` expected, `+` actual) when they differ.
fn assert_golden(body_file: &str, format: Format) {
    let body = std::fs::read(fixture(body_file)).unwrap();
    let actual = render(&body, format);
    let expected_file = fixture(&format!("{body_file}.expected"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_file, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
    if expected != actual {
        panic!("{body_file}: output differs from {}:\n{}", expected_file.display(), diff(&expected, &actual));
    }
}

fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            x.map(|x| writeln!(out, "{:>4} - {x}", i + 1));
            y.map(|y| writeln!(out, "{:>4} + {y}", i + 1));
        }
    }
    out
}

#[test]
fn node_exporter_text_body_matches_golden() {
    assert_golden("node_exporter.prom", Format::Text);
}

#[test]
fn openmetrics_body_with_units_created_and_exemplars_matches_golden() {
    assert_golden("app.om", Format::OpenMetrics);
}
