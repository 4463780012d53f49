//! One line of the Prometheus text format 0.0.4, as Prometheus' `promlex.l` reads it.
//!
//! Spaces and tabs may surround every token, commas between labels are optional, blank lines
//! and comments other than `HELP`/`TYPE` are skipped. Never allocates on success.

use super::cursor::{Cursor, Fail, show, utf8};
use super::labelset::{Dialect, scan};
use super::number::{timestamp_ms, value};
use super::{Entry, MetricType};

/// The entry on `line` (without its `\n`), or `None` for a blank line or a plain comment.
pub(super) fn line(line: &[u8]) -> Result<Option<Entry<'_>>, Fail> {
    let mut cur = Cursor::new(line);
    cur.skip_blanks();
    match cur.peek() {
        None => Ok(None),
        Some(b'#') => comment(cur),
        Some(_) => sample(cur).map(Some),
    }
}

fn comment(mut cur: Cursor<'_>) -> Result<Option<Entry<'_>>, Fail> {
    cur.eat(b'#');
    let before = cur.i;
    cur.skip_blanks();
    if cur.i == before {
        return Ok(None);
    }
    let help = keyword(&mut cur, b"HELP");
    if !help && !keyword(&mut cur, b"TYPE") {
        return Ok(None);
    }
    let what = if help { "HELP" } else { "TYPE" };
    cur.skip_blanks();
    let name = cur.metric_name().ok_or_else(|| format!("expected metric name after {what}"))?;
    // Prometheus drops exactly one character after the name, whatever it is.
    let text = cur.rest().get(1..).unwrap_or_default();
    if help {
        return Ok(Some(Entry::Help { name, text: utf8(text, "HELP text")? }));
    }
    Ok(Some(Entry::Type { name, kind: metric_type(text)? }))
}

/// Consumes `word` followed by at least one blank.
fn keyword(cur: &mut Cursor<'_>, word: &[u8]) -> bool {
    let hit = cur.rest().starts_with(word) && matches!(cur.rest().get(word.len()), Some(b' ' | b'\t'));
    if hit {
        cur.i += word.len();
    }
    hit
}

fn metric_type(text: &[u8]) -> Result<MetricType, Fail> {
    Ok(match text {
        b"counter" => MetricType::Counter,
        b"gauge" => MetricType::Gauge,
        b"histogram" => MetricType::Histogram,
        b"summary" => MetricType::Summary,
        b"untyped" => MetricType::Unknown,
        _ => return Err(format!("invalid metric type {}", show(text))),
    })
}

fn sample(mut cur: Cursor<'_>) -> Result<Entry<'_>, Fail> {
    let start = cur.i;
    let name = cur.metric_name().ok_or_else(|| format!("expected metric name, got {}", show(cur.rest())))?;
    let mut end = cur.i;
    cur.skip_blanks();
    if cur.eat(b'{') {
        scan(&mut cur, Dialect::Text, |_, _| Ok(()))?;
        end = cur.i;
        cur.skip_blanks();
    }
    let series = &cur.b[start..end];
    let tok = cur.token(|c| matches!(c, b' ' | b'\t'));
    if tok.is_empty() {
        return Err("expected value after series".into());
    }
    let value = value(tok)?;
    let timestamp_ms = timestamp(&mut cur)?;
    Ok(Entry::Sample { series, name, value, timestamp_ms })
}

/// The optional timestamp after the value, then the end of the line.
fn timestamp(cur: &mut Cursor<'_>) -> Result<Option<i64>, Fail> {
    cur.skip_blanks();
    if cur.at_end() {
        return Ok(None);
    }
    let ts = timestamp_ms(cur.token(|c| matches!(c, b' ' | b'\t')))?;
    cur.skip_blanks();
    if !cur.at_end() {
        return Err(format!("expected end of line after timestamp, got {}", show(cur.rest())));
    }
    Ok(Some(ts))
}
