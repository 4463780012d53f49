//! The `{name="value",...}` part of a series, and [`series_labels`], which turns raw series bytes
//! into a [`Labels`].
//!
//! The scanner is shared by the hot path (which only validates) and by [`series_labels`] (which
//! runs once per new series and is allowed to allocate).

use super::ParseError;
use super::cursor::{Cursor, Fail, show};
use crate::labels::Labels;

/// Label-set syntax of a format. Text 0.0.4 allows blanks around tokens and omitted commas
/// (as Prometheus' lexer does); OpenMetrics allows neither.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Text,
    OpenMetrics,
}

/// Scans a label set whose `{` is already consumed, through its `}`, calling `each` with every
/// label name and raw (still escaped) value.
pub(super) fn scan<'a>(
    cur: &mut Cursor<'a>,
    dialect: Dialect,
    mut each: impl FnMut(&'a str, &'a str) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let text = dialect == Dialect::Text;
    loop {
        if text {
            cur.skip_blanks();
        }
        if cur.eat(b'}') {
            return Ok(());
        }
        let name = label_name(cur)?;
        if text {
            cur.skip_blanks();
        }
        expect(cur, b'=', "'=' after label name")?;
        if text {
            cur.skip_blanks();
        }
        expect(cur, b'"', "quoted label value")?;
        each(name, cur.quoted("label value")?)?;
        if text {
            cur.skip_blanks();
            cur.eat(b',');
        } else if !cur.eat(b',') && cur.peek() != Some(b'}') {
            return Err(unexpected(cur, "',' or '}' after label value"));
        }
    }
}

fn label_name<'a>(cur: &mut Cursor<'a>) -> Result<&'a str, Fail> {
    cur.label_name().ok_or_else(|| unexpected(cur, "label name or '}'"))
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

/// The labels of a raw series (`name{a="b"}`), `__name__` included, unescaped and sorted.
///
/// Accepts the syntax of both formats. A label name given twice (`__name__` included) is an
/// error, as it is in Prometheus' scrape loop; labels with empty values are dropped, as
/// [`Labels`] does. Errors carry line 0: the series is not tied to a body here.
pub fn series_labels(series: &[u8]) -> Result<Labels, ParseError> {
    labels_of(series).map_err(|message| ParseError { line: 0, message })
}

fn labels_of(series: &[u8]) -> Result<Labels, Fail> {
    let mut cur = Cursor::new(series, 0)?;
    cur.skip_blanks();
    let name = cur.metric_name().ok_or_else(|| format!("expected metric name, got {}", show(series)))?;
    let mut pairs = vec![("__name__", name.to_owned())];
    cur.skip_blanks();
    if cur.eat(b'{') {
        scan(&mut cur, Dialect::Text, |n, v| {
            pairs.push((n, unescape(v)));
            Ok(())
        })?;
    }
    cur.skip_blanks();
    if !cur.at_end() {
        return Err(format!("unexpected {} after series", show(cur.rest())));
    }
    check_unique(&mut pairs)?;
    Ok(Labels::from_pairs(pairs))
}

fn check_unique(pairs: &mut [(&str, String)]) -> Result<(), Fail> {
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
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
