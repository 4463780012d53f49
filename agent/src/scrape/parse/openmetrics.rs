//! One line of OpenMetrics 1.0, as Prometheus' `openmetricslex.l` reads it.
//!
//! Single spaces between tokens, no blank lines, no comments but `HELP`/`TYPE`/`UNIT`/`EOF`,
//! float-second timestamps, an optional exemplar after ` # `. Never allocates on success.

use super::cursor::{Cursor, Fail, show};
use super::labelset::{Dialect, scan, take_name, unexpected};
use super::number::{timestamp_seconds, value};
use super::{Entry, Exemplar, MetricType};

/// What one line holds.
pub(super) enum Line<'a> {
    Entry(Entry<'a>, Option<Exemplar<'a>>),
    Eof,
}

/// Parses `line` (without its `\n`).
pub(super) fn line(line: &[u8]) -> Result<Line<'_>, Fail> {
    let cur = Cursor::new(line, 0)?;
    match cur.peek() {
        None => Err("empty line (not allowed in OpenMetrics)".into()),
        Some(b'#') => metadata(cur),
        Some(_) => sample(cur).map(|(e, x)| Line::Entry(e, x)),
    }
}

fn metadata(mut cur: Cursor<'_>) -> Result<Line<'_>, Fail> {
    if cur.rest() == "# EOF" {
        return Ok(Line::Eof);
    }
    let what = if cur.eat_str("# HELP ") {
        "HELP"
    } else if cur.eat_str("# TYPE ") {
        "TYPE"
    } else if cur.eat_str("# UNIT ") {
        "UNIT"
    } else {
        return Err(format!("invalid comment {} (only HELP, TYPE, UNIT and EOF)", show(cur.rest())));
    };
    let name = cur.any_metric_name()?.ok_or_else(|| format!("expected metric name after {what}"))?;
    if !cur.eat(b' ') {
        return Err(format!("expected space and text after metric name in {what}"));
    }
    let text = cur.rest();
    let entry = match what {
        "HELP" => Entry::Help { name, text },
        "TYPE" => Entry::Type { name, kind: metric_type(text)? },
        _ => Entry::Unit { name, unit: unit(name, text)? },
    };
    Ok(Line::Entry(entry, None))
}

fn metric_type(text: &str) -> Result<MetricType, Fail> {
    Ok(match text {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "gaugehistogram" => MetricType::GaugeHistogram,
        "summary" => MetricType::Summary,
        "info" => MetricType::Info,
        "stateset" => MetricType::StateSet,
        "unknown" => MetricType::Unknown,
        _ => return Err(format!("invalid metric type {}", show(text))),
    })
}

/// A non-empty unit must be the `_unit` suffix of the metric name.
fn unit<'a>(name: &str, unit: &'a str) -> Result<&'a str, Fail> {
    let suffixed = name.strip_suffix(unit).is_some_and(|s| s.len() > 1 && s.ends_with('_'));
    if unit.is_empty() || suffixed {
        Ok(unit)
    } else {
        Err(format!("unit {unit:?} is not a suffix of metric {name:?}"))
    }
}

/// `name{labels} value [timestamp] [# exemplar]`; the name may instead be a quoted string inside
/// the braces (`{"my.metric",a="b"}`).
fn sample(mut cur: Cursor<'_>) -> Result<(Entry<'_>, Option<Exemplar<'_>>), Fail> {
    let mut name = cur.metric_name();
    if cur.eat(b'{') {
        scan(&mut cur, Dialect::OpenMetrics, true, |part| take_name(&mut name, part))?;
    } else if name.is_none() {
        return Err(format!("expected metric name, got {}", show(cur.rest())));
    }
    let name = name.ok_or_else(|| format!("metric name not set in {}", show(&cur.b[..cur.i])))?;
    let series = &cur.b[..cur.i];
    let value = value(field(&mut cur).ok_or("expected value after series")?)?;
    let mut timestamp_ms = None;
    if !cur.at_end() && !cur.rest().starts_with(" # ") {
        timestamp_ms = Some(timestamp_seconds(field(&mut cur).ok_or("expected timestamp or exemplar")?)?);
    }
    let exemplar = if cur.at_end() { None } else { Some(exemplar(&mut cur)?) };
    Ok((Entry::Sample { series, name, value, timestamp_ms }, exemplar))
}

/// A single space then a non-empty run of non-space bytes.
fn field<'a>(cur: &mut Cursor<'a>) -> Option<&'a str> {
    if !cur.eat(b' ') {
        return None;
    }
    Some(cur.token(|c| c == b' ')).filter(|t| !t.is_empty())
}

/// ` # {labels} value [timestamp]` through the end of the line.
fn exemplar<'a>(cur: &mut Cursor<'a>) -> Result<Exemplar<'a>, Fail> {
    if !cur.eat_str(" # {") {
        return Err(format!("expected end of line or exemplar, got {}", show(cur.rest())));
    }
    let from = cur.i - 1;
    scan(cur, Dialect::OpenMetrics, false, |_| Ok(()))?;
    let labels = &cur.b[from..cur.i];
    let value = value(field(cur).ok_or("expected value after exemplar labels")?)?;
    let timestamp_ms = match cur.at_end() {
        true => None,
        false => Some(timestamp_seconds(field(cur).ok_or("expected exemplar timestamp")?)?),
    };
    if !cur.at_end() {
        return Err(unexpected(cur, "end of line after exemplar"));
    }
    Ok(Exemplar { labels, value, timestamp_ms })
}
