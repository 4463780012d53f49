//! Unit tests of the parser: accepted syntax, rejected syntax with its message and line, and
//! [`series_labels`].

use super::{Entry, Format, MetricType, NORMAL_NAN, ParseError, Parser, series_labels};

const TEXT: Format = Format::Text;
const OM: Format = Format::OpenMetrics;

fn entries(body: &str, format: Format) -> Result<Vec<Entry<'_>>, ParseError> {
    let mut p = Parser::new(body.as_bytes(), format);
    let mut out = Vec::new();
    while let Some(e) = p.next()? {
        out.push(e);
    }
    Ok(out)
}

/// The only sample of `body` as (series, value, timestamp).
fn sample(body: &str, format: Format) -> (String, f64, Option<i64>) {
    let all = entries(body, format).unwrap_or_else(|e| panic!("{body:?}: {e}"));
    let samples: Vec<_> = all
        .into_iter()
        .filter_map(|e| match e {
            Entry::Sample { series, value, timestamp_ms, .. } => {
                Some((String::from_utf8(series.to_vec()).unwrap(), value, timestamp_ms))
            }
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), 1, "{body:?}");
    samples.into_iter().next().unwrap()
}

fn value(body: &str, format: Format) -> f64 {
    sample(body, format).1
}

/// The error `body` fails with, as displayed.
fn error(body: impl AsRef<[u8]>, format: Format) -> String {
    let mut p = Parser::new(body.as_ref(), format);
    loop {
        match p.next() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("{:?} parsed without error", String::from_utf8_lossy(body.as_ref())),
            Err(e) => return e.to_string(),
        }
    }
}

fn assert_error(body: impl AsRef<[u8]>, format: Format, expected: &str) {
    let got = error(body, format);
    assert!(got.starts_with(expected), "got {got:?}, expected it to start with {expected:?}");
}

// --- text format: accepted syntax ---

#[test]
fn text_accepts_last_line_without_newline() {
    assert_eq!(sample("a 1\n# TYPE b gauge", TEXT).0, "a");
    assert_eq!(sample("a{b=\"c\"} 2", TEXT), ("a{b=\"c\"}".into(), 2.0, None));
}

#[test]
fn text_skips_blank_lines_and_plain_comments() {
    let body = "\n   \n\t\n# just a comment\n#nospace\n# HELPER not help\n#\na 1\n\n";
    assert_eq!(entries(body, TEXT).unwrap().len(), 1);
}

#[test]
fn text_accepts_trailing_comma_and_omitted_commas() {
    assert_eq!(sample("a{b=\"1\",} 1\n", TEXT).0, "a{b=\"1\",}");
    assert_eq!(sample("a{b=\"1\" c=\"2\"} 1\n", TEXT).0, "a{b=\"1\" c=\"2\"}");
}

#[test]
fn text_series_excludes_surrounding_blanks_but_keeps_inner_ones() {
    assert_eq!(sample("  \ta { b = \"1\" , }  \t 3 \t 42 \t\n", TEXT), ("a { b = \"1\" , }".into(), 3.0, Some(42)));
    assert_eq!(sample("a\t5\n", TEXT).0, "a");
}

#[test]
fn text_accepts_value_glued_to_closing_brace_like_prometheus() {
    assert_eq!(sample("a{b=\"1\"}7\n", TEXT).1, 7.0);
}

#[test]
fn text_yields_help_and_type_raw() {
    let e = entries("# HELP a some \\\\ text\\n here\n#\tTYPE\ta\tcounter\n# HELP b\n", TEXT).unwrap();
    assert_eq!(e[0], Entry::Help { name: "a", text: "some \\\\ text\\n here" });
    assert_eq!(e[1], Entry::Type { name: "a", kind: MetricType::Counter });
    assert_eq!(e[2], Entry::Help { name: "b", text: "" });
    assert_eq!(entries("# TYPE x untyped\n", TEXT).unwrap()[0], Entry::Type { name: "x", kind: MetricType::Unknown });
}

#[test]
fn text_accepts_go_float_spellings() {
    for (tok, want) in [
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        (".5", 0.5),
        ("5.", 5.0),
        ("+1", 1.0),
        ("-0", -0.0),
        ("0123", 123.0),
        ("18446744073709551616", 18446744073709551616.0),
        ("+Inf", f64::INFINITY),
        ("Inf", f64::INFINITY),
        ("inf", f64::INFINITY),
        ("-Infinity", f64::NEG_INFINITY),
        ("-inf", f64::NEG_INFINITY),
    ] {
        assert_eq!(value(&format!("a {tok}\n"), TEXT), want, "{tok}");
    }
}

#[test]
fn nan_is_prometheus_normal_nan_in_any_case() {
    for tok in ["NaN", "nan", "NAN"] {
        assert_eq!(value(&format!("a {tok}\n"), TEXT).to_bits(), NORMAL_NAN, "{tok}");
        assert_eq!(value(&format!("a {tok}\n# EOF\n"), OM).to_bits(), NORMAL_NAN, "{tok}");
    }
}

#[test]
fn text_timestamps_are_integer_milliseconds() {
    assert_eq!(sample("a 1 1700000000123\n", TEXT).2, Some(1_700_000_000_123));
    assert_eq!(sample("a 1 0\n", TEXT).2, Some(0));
}

#[test]
fn unknown_escapes_are_kept_as_written_in_both_formats() {
    for format in [TEXT, OM] {
        let (series, ..) = sample("a{path=\"C:\\data\\q\"} 1\n# EOF\n", format);
        let labels = series_labels(series.as_bytes(), MetricType::Unknown).unwrap();
        assert_eq!(labels.get("path"), Some("C:\\data\\q"));
    }
}

#[test]
fn parser_accepts_duplicate_label_names_and_series_labels_rejects_them() {
    let (series, ..) = sample("a{b=\"1\",b=\"2\"} 1\n", TEXT);
    assert_eq!(
        series_labels(series.as_bytes(), MetricType::Unknown).unwrap_err().message,
        "duplicate label name \"b\""
    );
    assert!(series_labels(b"a{__name__=\"x\"}", MetricType::Unknown).is_err());
    assert!(series_labels(b"a{b=\"\",b=\"1\"}", MetricType::Unknown).is_err());
}

#[test]
fn parser_reports_line_numbers() {
    let mut p = Parser::new(b"# HELP a x\n\na 1\nb 2\n", TEXT);
    p.next().unwrap();
    assert_eq!(p.line(), 1);
    p.next().unwrap();
    assert_eq!(p.line(), 3);
    p.next().unwrap();
    assert_eq!(p.line(), 4);
    assert_eq!(p.next(), Ok(None));
}

// --- text format: errors ---

#[test]
fn truncated_line_is_an_error() {
    assert_error("a 1\nb{c=\"d", TEXT, "line 2: unexpected end of line in label value");
    assert_error("a 1\nb{c=\"d\"", TEXT, "line 2: unexpected end of line in label set");
    assert_error("a 1\nb{c=", TEXT, "line 2: unexpected end of line in label set");
    assert_error("a 1\nb{c=\"d\"}", TEXT, "line 2: expected value after series");
    assert_error("a 1\nb", TEXT, "line 2: expected value after series");
}

#[test]
fn backslash_at_end_of_line_in_label_value_is_an_error() {
    assert_error("a{b=\"x\\", TEXT, "line 1: unexpected end of line in escape sequence in label value");
    assert_error("a{b=\"x\\\n\"} 1\n", TEXT, "line 1: unexpected end of line in escape sequence");
}

#[test]
fn raw_newline_in_label_value_is_an_error() {
    assert_error("a{b=\"x\ny\"} 1\n", TEXT, "line 1: unexpected end of line in label value");
}

#[test]
fn invalid_utf8_is_an_error() {
    assert_error(b"a 1\nb{c=\"\xff\"} 1\n", TEXT, "line 2: invalid UTF-8 at column 6");
    assert_error(b"a\xc3 1\n", TEXT, "line 1: invalid UTF-8 at column 2");
    assert_error(b"# HELP a bad \xc3\x28\n", TEXT, "line 1: invalid UTF-8 at column 14");
    assert_error(b"# HELP a\xc3\xbc\n", TEXT, "line 1: invalid UTF-8 in HELP text");
    assert_error(b"a{b=\"\xff\"} 1\n# EOF\n", OM, "line 1: invalid UTF-8 at column 6");
    assert_error(b"# HELP a \xff\n# EOF\n", OM, "line 1: invalid UTF-8 at column 10");
}

#[test]
fn text_skips_plain_comments_without_checking_their_encoding_like_prometheus() {
    assert_eq!(entries(std::str::from_utf8(b"# caf\xc3\xa9\na 1\n").unwrap(), TEXT).unwrap().len(), 1);
    let mut p = Parser::new(b"# \xff\xfe\na 1\n", TEXT);
    assert!(matches!(p.next(), Ok(Some(Entry::Sample { .. }))));
}

#[test]
fn bad_values_are_errors() {
    for tok in ["abc", "1,5", "1_000", "0x1p3", "0x10", "+nan", "-NaN", "1e999", "in", "1.2.3", "1\r"] {
        assert_error(format!("a {tok}\n"), TEXT, &format!("line 1: invalid value {:?}", tok));
    }
}

#[test]
fn bad_timestamps_are_errors() {
    for tok in ["-1", "1.5", "1e3", "99999999999999999999", "12a"] {
        assert_error(format!("a 1 {tok}\n"), TEXT, &format!("line 1: invalid timestamp {:?}", tok));
    }
    assert_error("a 1 2 3\n", TEXT, "line 1: expected end of line after timestamp, got \"3\"");
}

#[test]
fn invalid_metric_and_label_names_are_errors() {
    assert_error("1a 1\n", TEXT, "line 1: expected metric name, got \"1a 1\"");
    assert_error("{b=\"1\"} 1\n", TEXT, "line 1: metric name not set");
    assert_error("a{\"b\"} 1\n", TEXT, "line 1: metric name already set");
    assert_error("{\"a\",\"b\"} 1\n", OM, "line 1: metric name already set");
    assert_error("a{1b=\"1\"} 1\n", TEXT, "line 1: expected label name or '}', got \"1b");
    assert_error("a{b:c=\"1\"} 1\n", TEXT, "line 1: expected '=' after label name, got \":c");
    assert_error("a{b=1} 1\n", TEXT, "line 1: expected quoted label value, got \"1} 1\"");
    assert_error("a{,} 1\n", TEXT, "line 1: expected label name or '}'");
    assert_error("# HELP 1a x\n", TEXT, "line 1: expected metric name after HELP");
}

#[test]
fn invalid_metric_type_is_an_error() {
    assert_error("# TYPE a gaugehistogram\n", TEXT, "line 1: invalid metric type \"gaugehistogram\"");
    assert_error("# TYPE a counter \n", TEXT, "line 1: invalid metric type \"counter \"");
    assert_error("# TYPE a\n", TEXT, "line 1: invalid metric type \"\"");
}

#[test]
fn parser_is_exhausted_after_an_error() {
    let mut p = Parser::new(b"a x\nb 1\n", TEXT);
    assert!(p.next().is_err());
    assert_eq!(p.next(), Ok(None));
}

// --- OpenMetrics ---

#[test]
fn openmetrics_requires_eof() {
    assert_error("a 1\n", OM, "line 2: unexpected end of input: missing # EOF");
    assert_error("", OM, "line 1: unexpected end of input: missing # EOF");
    assert_error("a 1\n# EOF2\n", OM, "line 2: invalid comment");
    assert_eq!(entries("# EOF", OM).unwrap(), vec![]);
}

#[test]
fn openmetrics_rejects_anything_after_eof() {
    assert_error("a 1\n# EOF\nb 1\n", OM, "line 3: unexpected data after # EOF");
    assert_error("# EOF\n\n", OM, "line 2: unexpected data after # EOF");
    assert_error("# EOF \n", OM, "line 1: invalid comment");
}

#[test]
fn openmetrics_truncated_body_is_an_error() {
    assert_error("a 1\na{b=\"c", OM, "line 2: unexpected end of line in label value");
    assert_error("a 1\nb 2", OM, "line 2: unexpected end of input: line not terminated");
}

#[test]
fn openmetrics_rejects_blank_lines_comments_and_loose_whitespace() {
    assert_error("a 1\n\n# EOF\n", OM, "line 2: empty line");
    assert_error("# hello\n# EOF\n", OM, "line 1: invalid comment");
    assert_error("a  1\n# EOF\n", OM, "line 1: expected value after series");
    assert_error("a\t1\n# EOF\n", OM, "line 1: expected value after series");
    assert_error("a 1 \n# EOF\n", OM, "line 1: expected timestamp or exemplar");
    assert_error("a{b=\"1\", c=\"2\"} 1\n# EOF\n", OM, "line 1: expected label name or '}', got \" c");
    assert_error("a{b=\"1\" c=\"2\"} 1\n# EOF\n", OM, "line 1: expected ',' or '}' after label value");
    assert_error(" a 1\n# EOF\n", OM, "line 1: expected metric name");
}

#[test]
fn openmetrics_accepts_trailing_comma_like_prometheus() {
    assert_eq!(sample("a{b=\"1\",} 1\n# EOF\n", OM).0, "a{b=\"1\",}");
}

#[test]
fn openmetrics_timestamps_are_float_seconds_truncated_to_ms() {
    assert_eq!(sample("a 1 1700000000.1239\n# EOF\n", OM).2, Some(1_700_000_000_123));
    assert_eq!(sample("a 1 -1.5\n# EOF\n", OM).2, Some(-1500));
    assert_eq!(sample("a 1 1e3\n# EOF\n", OM).2, Some(1_000_000));
    for tok in ["NaN", "+Inf", "x", "1,5"] {
        assert_error(format!("a 1 {tok}\n# EOF\n"), OM, &format!("line 1: invalid timestamp {tok:?}"));
    }
}

#[test]
fn openmetrics_exemplar_is_parsed_and_kept_out_of_the_series() {
    let body = b"a_total{b=\"1\"} 2 3 # {trace_id=\"x\\\"y\",span=\"z\"} 0.5 1.25\nc 1\n# EOF\n";
    let mut p = Parser::new(body, OM);
    let Some(Entry::Sample { series, timestamp_ms, .. }) = p.next().unwrap() else { panic!() };
    assert_eq!((series, timestamp_ms), (&b"a_total{b=\"1\"}"[..], Some(3000)));
    let x = p.exemplar().unwrap();
    assert_eq!((x.labels, x.value, x.timestamp_ms), (&b"{trace_id=\"x\\\"y\",span=\"z\"}"[..], 0.5, Some(1250)));
    p.next().unwrap();
    assert_eq!(p.exemplar(), None);
    assert_eq!(sample("a 2 # {} 1\n# EOF\n", OM), ("a".into(), 2.0, None));
}

#[test]
fn openmetrics_bad_exemplars_are_errors() {
    assert_error("a 1 # {b=\"1\"}\n# EOF\n", OM, "line 1: expected value after exemplar labels");
    assert_error("a 1 # {b=\"1\"} x\n# EOF\n", OM, "line 1: invalid value \"x\"");
    assert_error("a 1 # {b=\"1\"} 1 NaN\n# EOF\n", OM, "line 1: invalid timestamp");
    assert_error("a 1 # {b=\"1\"} 1 2 3\n# EOF\n", OM, "line 1: expected end of line after exemplar");
    assert_error("a 1 # {b}\n# EOF\n", OM, "line 1: expected '=' after label name");
    assert_error("a 1 # b\n# EOF\n", OM, "line 1: expected end of line or exemplar, got \" # b\"");
}

#[test]
fn openmetrics_metadata() {
    let body = "# TYPE a_seconds stateset\n# UNIT a_seconds seconds\n# HELP a_seconds x \\\" y\n# UNIT b \n# EOF\n";
    let e = entries(body, OM).unwrap();
    assert_eq!(e[0], Entry::Type { name: "a_seconds", kind: MetricType::StateSet });
    assert_eq!(e[1], Entry::Unit { name: "a_seconds", unit: "seconds" });
    assert_eq!(e[2], Entry::Help { name: "a_seconds", text: "x \\\" y" });
    assert_eq!(e[3], Entry::Unit { name: "b", unit: "" });
    for (t, kind) in [("gaugehistogram", MetricType::GaugeHistogram), ("info", MetricType::Info)] {
        assert_eq!(entries(&format!("# TYPE a {t}\n# EOF\n"), OM).unwrap()[0], Entry::Type { name: "a", kind });
    }
}

#[test]
fn openmetrics_metadata_errors() {
    assert_error(
        "# UNIT a_seconds bytes\n# EOF\n",
        OM,
        "line 1: unit \"bytes\" is not a suffix of metric \"a_seconds\"",
    );
    assert_error("# UNIT seconds seconds\n# EOF\n", OM, "line 1: unit \"seconds\" is not a suffix");
    assert_error("# TYPE a untyped\n# EOF\n", OM, "line 1: invalid metric type \"untyped\"");
    assert_error("# HELP a\n# EOF\n", OM, "line 1: expected space and text after metric name in HELP");
    assert_error("# HELP  a x\n# EOF\n", OM, "line 1: expected metric name after HELP");
}

// --- content type, series_labels ---

#[test]
fn series_labels_unescapes_sorts_and_names() {
    let l = series_labels(br#"req{z="a\\b",a="q\"uote",n="line\nbreak",w="C:\\data"}"#, MetricType::Unknown).unwrap();
    assert_eq!(l.get("__name__"), Some("req"));
    assert_eq!(l.get("z"), Some("a\\b"));
    assert_eq!(l.get("a"), Some("q\"uote"));
    assert_eq!(l.get("n"), Some("line\nbreak"));
    assert_eq!(l.get("w"), Some("C:\\data"));
    let names: Vec<_> = l.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["__name__", "a", "n", "w", "z"]);
}

#[test]
fn series_labels_accepts_both_formats_and_drops_empty_values() {
    let want = series_labels(b"a{b=\"1\",c=\"2\"}", MetricType::Unknown).unwrap();
    assert_eq!(series_labels(b"a { c = \"2\" b=\"1\" , }", MetricType::Unknown).unwrap(), want);
    assert_eq!(series_labels(b"a{b=\"1\",c=\"2\",d=\"\"}", MetricType::Unknown).unwrap(), want);
    assert_eq!(series_labels(b"a", MetricType::Unknown).unwrap().to_string(), "{__name__=\"a\"}");
}

#[test]
fn series_labels_rejects_malformed_series() {
    assert_eq!(
        series_labels(b"a{b=\"1\"} 1", MetricType::Unknown).unwrap_err().to_string(),
        "line 0: unexpected \"1\" after series"
    );
    assert!(series_labels(b"", MetricType::Unknown).is_err());
    assert!(series_labels(b"a{b=\"1\"", MetricType::Unknown).is_err());
}
