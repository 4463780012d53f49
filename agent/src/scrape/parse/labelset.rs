//! The `{name="value",...}` part of a series, and [`series_labels`], which turns raw series bytes
//! into a [`Labels`].
//!
//! The scanner is shared by the hot path (which only validates) and by [`series_labels`] (which
//! runs once per new series and is allowed to allocate).

use super::cursor::{Cursor, Fail, show};
use super::normalize::normalize_label_value;
use super::{MetricType, ParseError};
use crate::labels::Labels;

/// Label-set syntax of a format. Text 0.0.4 allows blanks around tokens and omitted commas
/// (as Prometheus' lexer does); OpenMetrics allows neither.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Text,
    OpenMetrics,
}

/// One item of a label set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part<'a> {
    /// A quoted string on its own: the metric name (`{"my.metric",a="b"}`), escapes left in.
    Name(&'a str),
    /// A label name (quoted ones without their quotes) and its raw value, escapes left in.
    Label(&'a str, &'a str),
}

/// Scans a label set whose `{` is already consumed, through its `}`, calling `each` with every
/// part. A quoted string followed by `,` or `}` is the metric name, as in Prometheus 3's
/// lexers; `names` says whether one may appear (not in an exemplar).
pub(super) fn scan<'a>(
    cur: &mut Cursor<'a>,
    dialect: Dialect,
    names: bool,
    mut each: impl FnMut(Part<'a>) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let text = dialect == Dialect::Text;
    loop {
        if text {
            cur.skip_blanks();
        }
        if cur.eat(b'}') {
            return Ok(());
        }
        let (name, quoted) = label_name(cur)?;
        if text {
            cur.skip_blanks();
        }
        if quoted && matches!(cur.peek(), Some(b',' | b'}')) {
            if !names {
                return Err(unexpected(cur, "label name"));
            }
            each(Part::Name(name))?;
            cur.eat(b',');
            continue;
        }
        expect(cur, b'=', "'=' after label name")?;
        if text {
            cur.skip_blanks();
        }
        expect(cur, b'"', "quoted label value")?;
        each(Part::Label(name, cur.quoted("label value")?))?;
        if text {
            cur.skip_blanks();
            cur.eat(b',');
        } else if !cur.eat(b',') && cur.peek() != Some(b'}') {
            return Err(unexpected(cur, "',' or '}' after label value"));
        }
    }
}

/// Takes the metric name of a [`Part::Name`] into `slot`, which holds the name before the `{`
/// if there was one: a series has exactly one name.
pub(super) fn take_name<'a>(slot: &mut Option<&'a str>, part: Part<'a>) -> Result<(), Fail> {
    if let Part::Name(n) = part {
        if slot.is_some() {
            return Err(format!("metric name already set, found {}", show(n)));
        }
        *slot = Some(n);
    }
    Ok(())
}

/// A label name, plain or quoted, and whether it was quoted.
fn label_name<'a>(cur: &mut Cursor<'a>) -> Result<(&'a str, bool), Fail> {
    if cur.eat(b'"') {
        return Ok((cur.quoted("label name")?, true));
    }
    cur.label_name().map(|n| (n, false)).ok_or_else(|| unexpected(cur, "label name or '}'"))
}

fn expect(cur: &mut Cursor<'_>, c: u8, what: &str) -> Result<(), Fail> {
    if cur.eat(c) { Ok(()) } else { Err(unexpected(cur, what)) }
}

/// "expected X, got Y" at the cursor, or "unexpected end of line in label set".
pub(super) fn unexpected(cur: &Cursor<'_>, what: &str) -> Fail {
    if cur.at_end() {
        return "unexpected end of line in label set".into();
    }
    format!("expected {what}, got {}", show(cur.rest()))
}

/// The labels of a raw series (`name{a="b"}` or `{"name",a="b"}`), `__name__` included,
/// unescaped and sorted; `kind` is the metric type the body declared last (Prometheus writes `le`
/// of a histogram and `quantile` of a summary as OpenMetrics floats: `le="1"` becomes `"1.0"`).
///
/// Accepts the syntax of both formats. A label name given twice (`__name__` included) is an
/// error, as it is in Prometheus' scrape loop; labels with empty values are dropped, as
/// [`Labels`] does. Errors carry line 0: the series is not tied to a body here.
pub fn series_labels(series: &[u8], kind: MetricType) -> Result<Labels, ParseError> {
    labels_of(series, kind).map_err(|message| ParseError { line: 0, message })
}

fn labels_of(series: &[u8], kind: MetricType) -> Result<Labels, Fail> {
    let mut cur = Cursor::new(series, 0)?;
    cur.skip_blanks();
    let mut name = cur.metric_name();
    let mut pairs: Vec<(String, String)> = Vec::new();
    cur.skip_blanks();
    if cur.eat(b'{') {
        scan(&mut cur, Dialect::Text, true, |part| {
            if let Part::Label(n, v) = part {
                let (n, v) = (unescape(n), unescape(v));
                let v = normalize_label_value(kind, &n, &v).unwrap_or(v);
                pairs.push((n, v));
            }
            take_name(&mut name, part)
        })?;
    }
    let name = name.ok_or_else(|| format!("metric name not set in {}", show(series)))?;
    pairs.push(("__name__".to_string(), unescape(name)));
    cur.skip_blanks();
    if !cur.at_end() {
        return Err(format!("unexpected {} after series", show(cur.rest())));
    }
    check_unique(&mut pairs)?;
    Ok(Labels::from_pairs(pairs))
}

fn check_unique(pairs: &mut [(String, String)]) -> Result<(), Fail> {
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    match pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        Some(w) => Err(format!("duplicate label name {:?}", w[0].0)),
        None => Ok(()),
    }
}

/// Undoes `\\`, `\"` and `\n`; any other `\x` stays as it is, as in Prometheus.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(e @ ('\\' | '"')) => out.push(e),
            Some(e) => out.extend(['\\', e]),
            None => out.push('\\'),
        }
    }
    out
}
