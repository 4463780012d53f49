//! Scalars as the JMX exporter sees them: JSON numbers turned back into the text Java's
//! `toString` prints (`5`, `0.25`, `1.0E-4`), and Jolokia's ISO dates into the epoch seconds
//! `JmxScraper` makes of a `java.util.Date`.

use serde_json::Number;

use crate::AttrValue;

/// A JSON number as the `Long` or `Double` Jolokia serialised (json-simple prints `toString`).
pub fn from_json(n: &Number) -> AttrValue {
    if let Some(i) = n.as_i64() {
        return AttrValue::Number { text: i.to_string(), value: i as f64 };
    }
    if let Some(u) = n.as_u64() {
        return AttrValue::Number { text: u.to_string(), value: u as f64 };
    }
    let v = n.as_f64().unwrap_or(f64::NAN);
    AttrValue::Number { text: java_double(v), value: v }
}

/// Java's `Double.toString`, as the rules engine prints values.
pub use crate::rules::names::java_double;

/// Epoch seconds of Jolokia's date format (`2024-03-01T10:11:12+01:00`, `...Z`), as
/// `Date.getTime() / 1000.0`.
pub fn iso_date_seconds(s: &str) -> Option<f64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (clock, offset) = split_offset(time)?;
    let mut t = clock.splitn(3, ':');
    let h: i64 = t.next()?.parse().ok()?;
    let min: i64 = t.next()?.parse().ok()?;
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    let days = days_from_civil(y, m, day);
    Some((days * 86_400 + h * 3_600 + min * 60 - offset) as f64 + sec)
}

/// `(clock, offset seconds east of UTC)`.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let at = time.rfind(['+', '-'])?;
    let (clock, off) = time.split_at(at);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    Some((clock, sign * (h * 3_600 + m * 60)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> String {
        match from_json(&serde_json::from_str(json).unwrap()) {
            AttrValue::Number { text, .. } => text,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_print_as_java_does() {
        assert_eq!(text("5"), "5");
        assert_eq!(text("-7"), "-7");
        assert_eq!(text("18446744073709551615"), "18446744073709551615");
        assert_eq!(text("0.25"), "0.25");
        assert_eq!(text("5.0"), "5.0");
        assert_eq!(text("1.0E-4"), "1.0E-4");
        assert_eq!(text("0.001"), "0.001");
        assert_eq!(text("1234567.5"), "1234567.5");
        assert_eq!(text("1.2345678E7"), "1.2345678E7");
        assert_eq!(text("7.38983936E9"), "7.38983936E9");
        assert_eq!(text("-2.5E-7"), "-2.5E-7");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1e7), "1.0E7");
    }

    #[test]
    fn iso_dates_become_epoch_seconds() {
        assert_eq!(iso_date_seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(iso_date_seconds("2024-03-01T10:11:12+01:00"), Some(1_709_284_272.0));
        assert_eq!(iso_date_seconds("2024-03-01T09:11:12+0000"), Some(1_709_284_272.0));
        assert_eq!(iso_date_seconds("yesterday"), None);
    }
}
