//! Prometheus 3's `normalizeFloatsInLabelValues`: the `le` label of a histogram's series and the
//! `quantile` label of a summary's are rewritten as OpenMetrics floats on scrape (`le="1"` is
//! stored as `le="1.0"`, `quantile="0"` as `"0.0"`), so that the text and OpenMetrics spellings
//! of one bucket are one series.
//!
//! Entry point: [`normalize_label_value`], run once per new series (never per sample).

use super::MetricType;

/// The normalised value of label `name` of a series of a `kind` metric, or `None` when it stays
/// as it is (another label, another type, or not a float).
pub(super) fn normalize_label_value(kind: MetricType, name: &str, value: &str) -> Option<String> {
    let applies =
        (kind == MetricType::Summary && name == "quantile") || (kind == MetricType::Histogram && name == "le");
    if !applies {
        return None;
    }
    let f = go_parse_float(value)?;
    Some(format_openmetrics_float(f)).filter(|v| v != value)
}

/// Go's `strconv.ParseFloat` for what label values hold: decimals, `Inf`/`Infinity` and `NaN`
/// in any case, with an optional sign on the infinities; `None` for anything else.
fn go_parse_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case("nan") {
        return (unsigned.len() == s.len()).then_some(f64::NAN);
    }
    let digits_ok = unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let inf = unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity");
    if !(digits_ok || inf) || unsigned.is_empty() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    // Go reports an out-of-range literal as an error (`1e999`), not infinity.
    (inf || v.is_finite()).then_some(v)
}

/// Prometheus' `labels.FormatOpenMetricsFloat`: Go's shortest `%g`, with `.0` appended when the
/// result holds neither a `.` nor an `e`.
pub fn format_openmetrics_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let mut s = go_format_g(f);
    if !s.contains(['.', 'e']) {
        s.push_str(".0");
    }
    s
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` for a finite `f`: the shortest digits that read
/// back as `f`, in `%e` form when the exponent is below -4 or at least 6 (Go decides with
/// precision 6 when printing the shortest digits), else in `%f` form.
fn go_format_g(f: f64) -> String {
    // Rust's `{:e}` prints the shortest round-tripping digits: `-1.2345e-7`, `1e6`, `0e0`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let out = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    };
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings from Go's `strconv.FormatFloat(f, 'g', -1, 64)` and Prometheus'
    /// `TestFormatOpenMetricsFloat` (model/labels/float_test.go).
    #[test]
    fn formats_floats_like_prometheus() {
        let cases = [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-1.0, "-1.0"),
            (0.25, "0.25"),
            (10.0, "10.0"),
            (100000.0, "100000.0"),
            (1e6, "1e+06"),
            (1.5e6, "1.5e+06"),
            (123456789.0, "1.23456789e+08"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (0.1, "0.1"),
            (0.3333333333333333, "0.3333333333333333"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(format_openmetrics_float(f), want, "{f}");
        }
    }

    #[test]
    fn only_le_of_histograms_and_quantile_of_summaries_change() {
        use MetricType::*;
        assert_eq!(normalize_label_value(Histogram, "le", "1").as_deref(), Some("1.0"));
        assert_eq!(normalize_label_value(Histogram, "le", "+Inf"), None);
        assert_eq!(normalize_label_value(Histogram, "le", "inf").as_deref(), Some("+Inf"));
        assert_eq!(normalize_label_value(Histogram, "le", "1e3").as_deref(), Some("1000.0"));
        assert_eq!(normalize_label_value(Histogram, "le", "x"), None);
        assert_eq!(normalize_label_value(Summary, "quantile", "0").as_deref(), Some("0.0"));
        assert_eq!(normalize_label_value(Summary, "le", "1"), None);
        assert_eq!(normalize_label_value(Histogram, "quantile", "1"), None);
        assert_eq!(normalize_label_value(Gauge, "le", "1"), None);
        assert_eq!(normalize_label_value(GaugeHistogram, "le", "1"), None);
    }
}
