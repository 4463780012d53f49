//! Prometheus' value notations in config files: durations (`1m30s`) and sizes (`10MiB`).
//!
//! Entry points: [`parse_duration`], [`parse_base2_bytes`] (what `body_size_limit` takes, Go's
//! `units.Base2Bytes`) and [`parse_size`] (scrapelet's own keys, which also take bare bytes).

use std::time::Duration;

/// Parses a Prometheus duration: `[0-9]+(ms|s|m|h|d|w|y)` units, largest first, e.g. `1h30m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s;
    let mut total_ms: u64 = 0;
    let mut last_rank = usize::MAX;
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("ms", 1),
        ("m", 60_000),
        ("s", 1000),
    ];
    const RANK: [usize; 7] = [6, 5, 4, 3, 0, 2, 1];
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (i, (unit, ms)) = UNITS.iter().enumerate().find(|(_, (u, _))| rest.starts_with(u))?;
        if RANK[i] >= last_rank {
            return None;
        }
        last_rank = RANK[i];
        rest = &rest[unit.len()..];
        total_ms = total_ms.checked_add(n.checked_mul(*ms)?)?;
    }
    Some(Duration::from_millis(total_ms))
}

/// Go's `units.ParseBase2Bytes`, as Prometheus reads `body_size_limit`: `0`, or one or more
/// `<number><unit>` parts (`512KB`, `1.5MiB`, `1GB512MB`) with units B, KB/KiB ... EB/EiB, all
/// powers of 1024; a bare number has no unit and is an error.
pub fn parse_base2_bytes(s: &str) -> Option<u64> {
    if s == "0" {
        return Some(0);
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let power = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
            .iter()
            .zip(["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"])
            .position(|(a, b)| *a == &rest[..unit_len] || b == &rest[..unit_len])?;
        rest = &rest[unit_len..];
        total += n * 1024f64.powi(power as i32);
    }
    (total <= u64::MAX as f64).then_some(total as u64)
}

/// Parses a size with Prometheus' units (B, KB, MB, GB, TB, KiB, ...; powers of 1024 for both).
pub fn parse_size(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    let n: u64 = s[..digits].parse().ok()?;
    let mult: u64 = match &s[digits..] {
        "" | "B" => 1,
        "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_prometheus_units() {
        assert_eq!(parse_duration("15s"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("30s1m"), None);
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("1.5s"), None);
    }

    #[test]
    fn body_size_limits_read_like_go_units() {
        assert_eq!(parse_base2_bytes("10MB"), Some(10 << 20));
        assert_eq!(parse_base2_bytes("1.5KiB"), Some(1536));
        assert_eq!(parse_base2_bytes("1GB512MB"), Some((1 << 30) + (512 << 20)));
        assert_eq!(parse_base2_bytes("0"), Some(0));
        assert_eq!(parse_base2_bytes("100"), None, "Prometheus: units: unknown unit  in 100");
        assert_eq!(parse_base2_bytes("1 MB"), None);
    }

    #[test]
    fn sizes_accept_prometheus_units() {
        assert_eq!(parse_size("10MB"), Some(10 << 20));
        assert_eq!(parse_size("512KiB"), Some(512 << 10));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("1 MB"), None);
    }
}
