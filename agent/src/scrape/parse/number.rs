//! Sample values and timestamps, accepting what Prometheus' parsers accept (Go's `ParseFloat`
//! without hex floats or `_`).

use super::cursor::{Fail, show};

/// The NaN Prometheus stores for a scraped `NaN` (`value.NormalNaN`); never the stale marker.
pub const NORMAL_NAN: u64 = 0x7ff8_0000_0000_0001;

/// Integers up to this many digits convert to `f64` exactly, so they skip the float parser.
const FAST_DIGITS: usize = 15;

/// A sample or exemplar value: decimal floats and integers, `NaN`, `Inf`/`Infinity` with an
/// optional sign, all case-insensitive.
pub(super) fn value(tok: &[u8]) -> Result<f64, Fail> {
    if tok.len() <= FAST_DIGITS
        && !tok.is_empty()
        && let Some(n) = digits(tok)
    {
        return Ok(n as f64);
    }
    slow_value(tok).ok_or_else(|| format!("invalid value {}", show(tok)))
}

fn slow_value(tok: &[u8]) -> Option<f64> {
    // Rust accepts a signed NaN; Go does not.
    if matches!(tok.first(), Some(b'+' | b'-')) && matches!(tok.get(1), Some(b'n' | b'N')) {
        return None;
    }
    let v: f64 = std::str::from_utf8(tok).ok()?.parse().ok()?;
    if v.is_nan() {
        return Some(f64::from_bits(NORMAL_NAN));
    }
    // Go reports overflow (`1e999`) as an error rather than rounding to infinity.
    if v.is_infinite() && !tok.iter().any(|c| matches!(c, b'i' | b'I')) {
        return None;
    }
    Some(v)
}

/// `tok` as an unsigned decimal integer, if it is all ASCII digits and fits in a `u64`.
fn digits(tok: &[u8]) -> Option<u64> {
    tok.iter().try_fold(0u64, |n, &c| {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// A text-format timestamp: integer milliseconds, digits only (no sign), as Prometheus' lexer.
pub(super) fn timestamp_ms(tok: &[u8]) -> Result<i64, Fail> {
    digits(tok)
        .filter(|_| !tok.is_empty())
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| format!("invalid timestamp {}", show(tok)))
}

/// An OpenMetrics timestamp: float seconds, converted to milliseconds truncating toward zero
/// (Prometheus: `int64(ts * 1000)`). NaN and infinities are errors.
pub(super) fn timestamp_seconds(tok: &[u8]) -> Result<i64, Fail> {
    match value(tok) {
        Ok(s) if s.is_finite() => Ok((s * 1000.0) as i64),
        _ => Err(format!("invalid timestamp {}", show(tok))),
    }
}
