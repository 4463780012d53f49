//! `scrapelet plugin run TRANSFORM.wasm --series FILE`: the series of FILE (a saved exposition,
//! or one series a line) through the agent's own transform stage, one verdict a line.
//!
//! Entry point: [`run`]. FILE is read with the agent's exposition parser, so what a scrape would
//! accept is accepted here (comments, `HELP`/`TYPE`, values, timestamps, quoted UTF-8 names);
//! a line that is not exposition may be a bare series, `name{a="b"}` or `{__name__="m"}`. Errors
//! name the file and line.

use std::path::Path;
use std::time::Duration;

use futures::executor::block_on;

use crate::labels::Labels;
use crate::scrape::parse::{Entry, Format, MetricType, Parser, series_labels};
use crate::scrape::transforms::TransformStage;
use crate::series::SeriesFactory;

/// Runs transform `plugin` (already in the registry) as a job's only transform would run.
pub fn run(plugin: &str, path: &Path, timeout: Duration) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sets = read_series(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    let names = [plugin.to_string()];
    let mut stage = TransformStage::new(&names, &path.display().to_string(), timeout).ok_or("no transform")?;
    let outcomes = block_on(stage.resolve(sets.clone())).map_err(|e| e.to_string())?;
    let factory = SeriesFactory::default();
    let mut made: Vec<crate::series::Series> = Vec::new();
    let mut out = String::new();
    for (set, outcome) in sets.iter().zip(outcomes) {
        let line = match outcome {
            None => format!("drop    {set}"),
            Some((labels, factor)) => {
                let series = stage.series_for(labels.clone(), &factory);
                if made.iter().any(|s| s.id() == series.id()) {
                    format!("drop    {set} (a duplicate: an earlier series already has {labels})")
                } else {
                    made.push(series);
                    describe(set, &labels, factor)
                }
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The label sets of `text`, in order; `Err("line N: ...")` at the first line that is neither
/// exposition nor a bare series.
fn read_series(text: &str) -> Result<Vec<Labels>, String> {
    let mut kind = MetricType::Unknown;
    let mut sets = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut parser = Parser::new(line.as_bytes(), Format::Text);
        let labels = match parser.next() {
            Ok(None) | Ok(Some(Entry::Help { .. } | Entry::Unit { .. })) => continue,
            Ok(Some(Entry::Type { kind: k, .. })) => {
                kind = k;
                continue;
            }
            Ok(Some(Entry::Sample { series, .. })) => series_labels(series, kind).map_err(|e| e.message),
            Err(e) => super::relabel::parse_series(line.trim()).map_err(|_| e.message),
        };
        sets.push(labels.map_err(|message| format!("line {}: {message}", i + 1))?);
    }
    Ok(sets)
}

fn describe(set: &Labels, labels: &Labels, factor: f64) -> String {
    match (labels == set, factor == 1.0) {
        (true, true) => format!("keep    {set}"),
        (false, true) => format!("rewrite {set} -> {labels}"),
        _ => format!("rescale {set} -> {labels} x{factor}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_saved_exposition_and_bare_series() {
        let text = "# HELP a_seconds Help.\n# TYPE a_seconds histogram\na_seconds_bucket{le=\"1\"} 3 1700000000000\n\n\
                    b{x=\"y\"}\n{__name__=\"c\",z=\"1\"}\n{\"d.e\"} NaN\n# EOF\n";
        let sets: Vec<String> = read_series(text).unwrap().iter().map(|l| l.to_string()).collect();
        assert_eq!(
            sets,
            [
                r#"{__name__="a_seconds_bucket",le="1.0"}"#,
                r#"{__name__="b",x="y"}"#,
                r#"{__name__="c",z="1"}"#,
                r#"{__name__="d.e"}"#
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = read_series("ok 1\n# a comment\nbad{x=\"1\" 2\n").unwrap_err();
        assert!(e.starts_with("line 3: "), "{e}");
    }
}
