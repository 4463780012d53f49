//! The name and number helpers the JMX exporter and client_java apply to every sample:
//! `toSafeName` and `toSnakeAndLowerCase` (jmx_exporter `JmxCollector.java`, 1.x),
//! `PrometheusNaming.sanitizeMetricName` (client_java, reserved suffixes stripped), and Java's
//! `Double.toString` / `Double.valueOf` for the exposition and for a rule's `value:`.

/// `JmxCollector.toSafeName`: a leading digit gets a `_` prefix; every run of characters outside
/// `[a-zA-Z0-9:_]` and of underscores becomes one `_`.
pub fn to_safe_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    let mut prev_underscore = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == ':' {
            out.push(c);
            prev_underscore = false;
        } else if !prev_underscore {
            out.push('_');
            prev_underscore = true;
        }
    }
    out
}

/// `JmxCollector.toSnakeAndLowerCase`: `_` before an upper-case letter that follows neither an
/// upper-case letter nor `_`; everything lower-cased.
pub fn to_snake_and_lower_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut prev_upper_or_underscore = first.is_uppercase() || first == '_';
    out.extend(first.to_lowercase());
    for c in chars {
        let upper = c.is_uppercase();
        if !prev_upper_or_underscore && upper {
            out.push('_');
        }
        out.extend(c.to_lowercase());
        prev_upper_or_underscore = upper || c == '_';
    }
    out
}

const RESERVED_SUFFIXES: [&str; 8] =
    ["_total", "_created", "_bucket", "_info", ".total", ".created", ".bucket", ".info"];

/// `PrometheusNaming.sanitizeMetricName` (client_java 1.5+, restored in 1.6.x): reserved
/// suffixes are stripped until none is left; a name that is exactly a suffix loses its separator.
pub fn sanitize_metric_name(name: &str) -> String {
    let mut name = name;
    loop {
        if let Some(s) = RESERVED_SUFFIXES.iter().find(|s| **s == name) {
            return s[1..].to_owned();
        }
        match RESERVED_SUFFIXES.iter().find(|s| name.ends_with(**s)) {
            Some(s) => name = &name[..name.len() - s.len()],
            None => return name.to_owned(),
        }
    }
}

/// Java's `Double.toString` (shortest digits that round-trip, as JDK 19+ prints them):
/// plain notation for 1e-3 <= |d| < 1e7, else `d.dddE[-]n`; always one fractional digit.
pub fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{d}");
        return if s.contains('.') { s } else { s + ".0" };
    }
    let sci = format!("{d:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exp}")
}

/// The exposition's value text: client_java's `TextFormatUtil.writeDouble` (`+Inf`, `-Inf`,
/// otherwise `Double.toString`).
pub fn exposition_double(d: f64) -> String {
    match d {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        _ => java_double(d),
    }
}

/// Java's `Double.valueOf(String)` for decimal input: surrounding whitespace and control
/// characters ignored, optional sign, `NaN`/`Infinity`, an optional `d`/`f` type suffix.
/// Hexadecimal floating literals are not supported (rare in rule values).
pub fn java_parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let body = body.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(body);
    let decimal = |c: char| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-');
    if body.is_empty() || !body.chars().all(decimal) || !body.contains(|c: char| c.is_ascii_digit()) {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_name_collapses_runs_and_prefixes_digits() {
        assert_eq!(to_safe_name("hadoop<service=DataNode, "), "hadoop_service_DataNode_");
        assert_eq!(to_safe_name("a__b--c"), "a_b_c");
        assert_eq!(to_safe_name("8080_port"), "_8080_port");
        assert_eq!(to_safe_name("a:b"), "a:b");
    }

    #[test]
    fn snake_case_like_java() {
        assert_eq!(to_snake_and_lower_case("replaceBlockOpMinTime"), "replace_block_op_min_time");
        assert_eq!(to_snake_and_lower_case("HTTPRequests"), "httprequests");
        assert_eq!(to_snake_and_lower_case("bootstraps_Deferred"), "bootstraps_deferred");
        assert_eq!(to_snake_and_lower_case("a1B"), "a1_b");
    }

    /// jmx_exporter `ToSafeNameTest` (@58cbe93fd4d4).
    #[test]
    fn to_safe_name_test_cases() {
        let cases = [
            ("test-test", "test_test"),
            ("test-_test", "test_test"),
            ("test-_-test", "test_test"),
            ("-_-", "_"),
            ("", ""),
            ("---", "_"),
            ("__test", "_test"),
            ("____test", "_test"),
            ("test", "test"),
            ("001", "_001"),
            ("$a_$b___", "_a_b_"),
            ("test_swedish_chars_åäö", "test_swedish_chars_"),
            ("test@test", "test_test"),
            ("test;test", "test_test"),
            ("test:test", "test:test"),
        ];
        for (input, expected) in cases {
            assert_eq!(to_safe_name(input), expected, "{input}");
        }
    }

    /// jmx_exporter `ToSnakeAndLowerCaseTest` (@58cbe93fd4d4).
    #[test]
    fn to_snake_and_lower_case_test_cases() {
        let cases = [
            ("testTest", "test_test"),
            ("testTestTest", "test_test_test"),
            ("test_test", "test_test"),
            ("test1", "test1"),
            ("StartTime_$1_$2", "start_time_$1_$2"),
            ("A", "a"),
            ("AA", "aa"),
            ("TCP", "tcp"),
            ("testTCPTest", "test_tcptest"),
            ("", ""),
            (" ", " "),
            ("testTest\nTest", "test_test\n_test"),
            ("test_Test", "test_test"),
            ("_Test_Test", "_test_test"),
        ];
        for (input, expected) in cases {
            assert_eq!(to_snake_and_lower_case(input), expected, "{input}");
        }
    }

    #[test]
    fn reserved_suffixes_are_stripped_repeatedly() {
        assert_eq!(sanitize_metric_name("tomcat_requestcount_total"), "tomcat_requestcount");
        assert_eq!(sanitize_metric_name("x_info_total"), "x");
        assert_eq!(sanitize_metric_name("_total"), "total");
        assert_eq!(sanitize_metric_name("a_totals"), "a_totals");
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(200.0), "200.0");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(1e-4), "1.0E-4");
        assert_eq!(java_double(1.2345678e7), "1.2345678E7");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(9999999.0), "9999999.0");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(-0.0), "-0.0");
        assert_eq!(exposition_double(f64::INFINITY), "+Inf");
        assert_eq!(java_double(f64::NAN), "NaN");
    }

    #[test]
    fn doubles_parse_like_java() {
        assert_eq!(java_parse_double(" 10 "), Some(10.0));
        assert_eq!(java_parse_double("1.5d"), Some(1.5));
        assert_eq!(java_parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(java_parse_double("inf"), None);
        assert_eq!(java_parse_double("a"), None);
        assert_eq!(java_parse_double("null"), None);
        assert_eq!(java_parse_double(""), None);
        assert_eq!(java_parse_double("1e3"), Some(1000.0));
    }
}
