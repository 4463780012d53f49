//! Sample values and timestamps, accepting what Prometheus' parsers accept (Go's `ParseFloat`
//! without hex floats or `_`).
//!
//! Most exposition values are short decimals; those take an exact fast path (Clinger's: a
//! mantissa below 2^53 times or over a power of ten up to 10^22 rounds correctly in one
//! operation). Everything else goes to the standard library's parser.

use super::cursor::{Fail, show};

/// The NaN Prometheus stores for a scraped `NaN` (`value.NormalNaN`); never the stale marker.
pub const NORMAL_NAN: u64 = 0x7ff8_0000_0000_0001;

/// At most this many mantissa digits keep the mantissa below 2^53.
const FAST_DIGITS: u32 = 15;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A sample or exemplar value: decimal floats and integers, `NaN`, `Inf`/`Infinity` with an
/// optional sign, all case-insensitive.
pub(super) fn value(tok: &str) -> Result<f64, Fail> {
    if let Some(v) = fast_decimal(tok.as_bytes()) {
        return Ok(v);
    }
    slow_value(tok).ok_or_else(|| format!("invalid value {}", show(tok)))
}

fn slow_value(tok: &str) -> Option<f64> {
    // Rust accepts a signed NaN; Go does not.
    if tok.len() > 1 && tok.starts_with(['+', '-']) && tok[1..].starts_with(['n', 'N']) {
        return None;
    }
    let v: f64 = tok.parse().ok()?;
    if v.is_nan() {
        return Some(f64::from_bits(NORMAL_NAN));
    }
    // Go reports overflow (`1e999`) as an error rather than rounding to infinity.
    if v.is_infinite() && !tok.contains(['i', 'I']) {
        return None;
    }
    Some(v)
}

/// `[+-]?digits[.digits][(e|E)[+-]?digits]` with few enough digits to be exact, else `None`.
#[inline]
pub(super) fn fast_decimal(tok: &[u8]) -> Option<f64> {
    let (negative, tok) = match tok.first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let (mut mantissa, mut digits, mut i) = (0u64, 0u32, 0usize);
    let mut scale = 0i32;
    accumulate(tok, &mut i, &mut mantissa, &mut digits);
    if tok.get(i) == Some(&b'.') {
        i += 1;
        let before = digits;
        accumulate(tok, &mut i, &mut mantissa, &mut digits);
        scale -= (digits - before) as i32;
    }
    if digits == 0 || digits > FAST_DIGITS {
        return None;
    }
    if matches!(tok.get(i), Some(b'e' | b'E')) {
        scale += exponent(tok, &mut i)?;
    }
    if i != tok.len() || scale.unsigned_abs() as usize >= POW10.len() {
        return None;
    }
    let m = mantissa as f64;
    let v = if scale < 0 { m / POW10[scale.unsigned_abs() as usize] } else { m * POW10[scale as usize] };
    Some(if negative { -v } else { v })
}

/// Adds the digits at `tok[*i..]` to `mantissa` (wrapping: callers reject more than 15 digits).
#[inline]
fn accumulate(tok: &[u8], i: &mut usize, mantissa: &mut u64, digits: &mut u32) {
    while let Some(d) = tok.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        *digits += 1;
        *i += 1;
    }
}

/// The exponent at `tok[*i..]` (starting at its `e`), at most three digits.
fn exponent(tok: &[u8], i: &mut usize) -> Option<i32> {
    *i += 1;
    let negative = match tok.get(*i) {
        Some(b'-') => true,
        Some(b'+') => false,
        _ => return exponent_digits(tok, i),
    };
    *i += 1;
    exponent_digits(tok, i).map(|e| if negative { -e } else { e })
}

fn exponent_digits(tok: &[u8], i: &mut usize) -> Option<i32> {
    let (mut e, mut digits) = (0u64, 0u32);
    accumulate(tok, i, &mut e, &mut digits);
    (1..=3).contains(&digits).then_some(e as i32)
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
pub(super) fn timestamp_ms(tok: &str) -> Result<i64, Fail> {
    timestamp_digits(tok.as_bytes()).ok_or_else(|| format!("invalid timestamp {}", show(tok)))
}

/// [`timestamp_ms`] of bytes; `None` if invalid.
pub(super) fn timestamp_digits(tok: &[u8]) -> Option<i64> {
    digits(tok).filter(|_| !tok.is_empty()).and_then(|n| i64::try_from(n).ok())
}

/// An OpenMetrics timestamp: float seconds, converted to milliseconds truncating toward zero
/// (Prometheus: `int64(ts * 1000)`). NaN and infinities are errors.
pub(super) fn timestamp_seconds(tok: &str) -> Result<i64, Fail> {
    match value(tok) {
        Ok(s) if s.is_finite() => Ok((s * 1000.0) as i64),
        _ => Err(format!("invalid timestamp {}", show(tok))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_std_parser() {
        let cases = [
            "0",
            "-0",
            "+7",
            "0.1",
            "0.3",
            "1.2345678e+09",
            "123456789012345",
            "1234567890.12345",
            "4.9351e-05",
            "1e22",
            "1e-22",
            "9.999999999999999e22",
            "0.000000000000000000001",
            "5.",
            ".5",
            "1E3",
            "1e+0",
            "17.0",
            "-273.15",
            "2.2250738585072014",
            "0.1e-3",
            "100.0e-5",
        ];
        for tok in cases {
            let want: f64 = tok.parse().unwrap();
            assert_eq!(value(tok).unwrap().to_bits(), want.to_bits(), "{tok}");
        }
    }

    #[test]
    fn fast_path_declines_what_it_cannot_do_exactly() {
        for tok in ["1234567890123456", "1e23", "1e-23", "1e1000", "1.", "", "-", ".", "1e", "1e+", "1ee2", "e5"] {
            let fast = fast_decimal(tok.as_bytes());
            assert!(fast.is_none() || tok == "1.", "{tok}: {fast:?}");
        }
    }
}
