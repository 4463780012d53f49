//! One line of the Prometheus text format 0.0.4, as Prometheus' `promlex.l` reads it.
//!
//! Spaces and tabs may surround every token, commas between labels are optional, blank lines
//! and comments other than `HELP`/`TYPE` are skipped. Never allocates on success.

use super::cursor::{Cursor, Fail, show};
use super::labelset::{Dialect, scan, take_name};
use super::number::{fast_decimal, timestamp_digits, timestamp_ms, value};
use super::{Entry, MetricType};

/// The entry on `line` (without its `\n`), or `None` for a blank line or a plain comment.
pub(super) fn line(line: &[u8]) -> Result<Option<Entry<'_>>, Fail> {
    match line.iter().position(|&c| !is_blank(c)) {
        None => Ok(None),
        Some(hash) if line[hash] == b'#' => comment(line, hash),
        Some(start) => sample(Cursor::new(line, start)?).map(Some),
    }
}

/// The series of a sample line found cheaply, without scanning its label set: from the first
/// non-blank byte up to the line's last `}` if it has a `{`, else up to the first blank. For a
/// valid line this is exactly the series [`line`] returns (values and timestamps hold no `}`);
/// for an invalid line it is never a series [`line`] returns, so a lookup of it among series
/// that [`line`] returned before cannot match.
pub(super) fn quick_series(line: &[u8]) -> Option<(usize, usize)> {
    let start = line.iter().position(|&c| !is_blank(c))?;
    if line[start] == b'#' {
        return None;
    }
    let end = match memchr::memchr(b'{', &line[start..]) {
        Some(_) => memchr::memrchr(b'}', line)? + 1,
        None => start + line[start..].iter().position(|&c| is_blank(c))?,
    };
    (end > start).then_some((start, end))
}

/// The value and optional timestamp after a series that ends at `end`, as [`line`] reads them.
pub(super) fn value_and_timestamp(line: &[u8], end: usize) -> Result<(f64, Option<i64>), Fail> {
    if let Some(parsed) = plain_tail(&line[end..]) {
        return Ok(parsed);
    }
    let mut cur = Cursor::new(line, end)?;
    cur.skip_blanks();
    let tok = cur.token(is_blank);
    if tok.is_empty() {
        return Err("expected value after series".into());
    }
    Ok((value(tok)?, timestamp(&mut cur)?))
}

/// The usual tail, a short decimal and maybe integer milliseconds, read without a UTF-8 pass (it
/// is all ASCII when it matches); `None` leaves anything else to the checked path.
fn plain_tail(mut rest: &[u8]) -> Option<(f64, Option<i64>)> {
    let value = fast_decimal(blank_separated(&mut rest))?;
    let tok = blank_separated(&mut rest);
    if tok.is_empty() {
        return Some((value, None)); // nothing but blanks after the value
    }
    let ts = timestamp_digits(tok)?;
    rest.iter().all(|&c| is_blank(c)).then_some((value, Some(ts)))
}

/// Skips blanks, then takes the bytes up to the next blank (or the end) off the front of `rest`.
fn blank_separated<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let from = rest.iter().position(|&c| !is_blank(c)).unwrap_or(rest.len());
    let len = rest[from..].iter().position(|&c| is_blank(c)).unwrap_or(rest.len() - from);
    let (tok, tail) = rest[from..].split_at(len);
    *rest = tail;
    tok
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `HELP` or `TYPE` metadata; other comments are skipped unread (Prometheus does not check
/// their encoding either).
fn comment(line: &[u8], hash: usize) -> Result<Option<Entry<'_>>, Fail> {
    let blanks = line[hash + 1..].iter().take_while(|&&c| is_blank(c)).count();
    let word = &line[hash + 1 + blanks..];
    let help = keyword(word, b"HELP");
    if blanks == 0 || !(help || keyword(word, b"TYPE")) {
        return Ok(None);
    }
    let what = if help { "HELP" } else { "TYPE" };
    let mut cur = Cursor::new(line, hash + 1 + blanks + 4)?;
    cur.skip_blanks();
    let name = cur.any_metric_name()?.ok_or_else(|| format!("expected metric name after {what}"))?;
    // Prometheus drops exactly one byte after the name, whatever it is.
    let text = match cur.rest() {
        "" => "",
        rest => rest.get(1..).ok_or("invalid UTF-8 in HELP text")?,
    };
    if help {
        return Ok(Some(Entry::Help { name, text }));
    }
    Ok(Some(Entry::Type { name, kind: metric_type(text)? }))
}

/// Whether `s` starts with `word` and a blank.
fn keyword(s: &[u8], word: &[u8]) -> bool {
    s.starts_with(word) && s.get(word.len()).is_some_and(|&c| is_blank(c))
}

fn metric_type(text: &str) -> Result<MetricType, Fail> {
    Ok(match text {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "summary" => MetricType::Summary,
        "untyped" => MetricType::Unknown,
        _ => return Err(format!("invalid metric type {}", show(text))),
    })
}

/// `name{labels} value [timestamp]`, where the name may instead be a quoted string inside the
/// braces (`{"my.metric",a="b"}`).
fn sample(mut cur: Cursor<'_>) -> Result<Entry<'_>, Fail> {
    let start = cur.i;
    let mut name = cur.metric_name();
    let mut end = cur.i;
    cur.skip_blanks();
    if cur.eat(b'{') {
        scan(&mut cur, Dialect::Text, true, |part| take_name(&mut name, part))?;
        end = cur.i;
        cur.skip_blanks();
    } else if name.is_none() {
        return Err(format!("expected metric name, got {}", show(cur.rest())));
    }
    let name = name.ok_or_else(|| format!("metric name not set in {}", show(&cur.b[start..end])))?;
    let series = &cur.b[start..end];
    let tok = cur.token(is_blank);
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
    let ts = timestamp_ms(cur.token(is_blank))?;
    cur.skip_blanks();
    if !cur.at_end() {
        return Err(format!("expected end of line after timestamp, got {}", show(cur.rest())));
    }
    Ok(Some(ts))
}
