//! [`Parser::next_known`] against [`Parser::next`]: with every series known, the same samples
//! and the same errors; with none known, the same entries.

use std::collections::HashSet;

use super::{Entry, Format, Known, ParseError, Parser};

type Sample = (Vec<u8>, u64, Option<i64>);

/// Samples by `next`, or its error.
fn full(body: &str) -> Result<Vec<Sample>, ParseError> {
    let mut p = Parser::new(body.as_bytes(), Format::Text);
    let mut out = Vec::new();
    while let Some(e) = p.next()? {
        if let Entry::Sample { series, value, timestamp_ms, .. } = e {
            out.push((series.to_vec(), value.to_bits(), timestamp_ms));
        }
    }
    Ok(out)
}

/// Samples by `next_known` with `known` as the cache, and how many took the fast path.
fn quick(body: &str, known: &HashSet<Vec<u8>>) -> (Result<Vec<Sample>, ParseError>, usize) {
    let mut p = Parser::new(body.as_bytes(), Format::Text);
    let (mut out, mut cached) = (Vec::new(), 0);
    loop {
        match p.next_known(|raw| known.contains(raw).then(|| raw.to_vec())) {
            Err(e) => return (Err(e), cached),
            Ok(None) => return (Ok(out), cached),
            Ok(Some(Known::Cached(series, v, ts))) => {
                cached += 1;
                out.push((series, v.to_bits(), ts));
            }
            Ok(Some(Known::Parsed(Entry::Sample { series, value, timestamp_ms, .. }))) => {
                out.push((series.to_vec(), value.to_bits(), timestamp_ms))
            }
            Ok(Some(Known::Parsed(_))) => {}
        }
    }
}

const BODY: &str = "# HELP a_total Help with } and { in it\n# TYPE a_total counter\n\
    a_total{method=\"GET\",path=\"/x}\"} 1\n  a_total {method=\"POST\" , path=\"\\\"}\\\\\"}\t2 1700000000000\n\
    \n# a comment }\nbare 3.5\nbare_ts\t+Inf   12\nempty{} NaN\nlast{le=\"0.5\",} 7";

#[test]
fn with_every_series_known_the_fast_path_reads_the_same_samples() {
    let want = full(BODY).unwrap();
    assert_eq!(want.len(), 6);
    let known: HashSet<Vec<u8>> = want.iter().map(|s| s.0.clone()).collect();
    let (got, cached) = quick(BODY, &known);
    assert_eq!(got.unwrap(), want);
    assert_eq!(cached, 6, "every sample line took the fast path");
    let (got, cached) = quick(BODY, &HashSet::new());
    assert_eq!((got.unwrap(), cached), (want, 0));
}

#[test]
fn a_known_series_followed_by_garbage_fails_as_the_full_parse_does() {
    let known: HashSet<Vec<u8>> = [&b"a{b=\"c\"}"[..], b"bare"].iter().map(|s| s.to_vec()).collect();
    for bad in [
        "a{b=\"c\"} 1 2 3",
        "a{b=\"c\"} x",
        "a{b=\"c\"}",
        "a{b=\"c\"} ",
        "a{b=\"c\"} 1 }",
        "ok 1\na{b=\"c\"} 1 \u{0}\u{ff}",
        "bare",
        "bare 1 2 3",
        "a{b=\"c\"}} 1",
        "a{b=\"c\" 1",
    ] {
        let body = format!("x 1\n{bad}\n");
        assert_eq!(quick(&body, &known).0, full(&body), "{bad:?}");
    }
    let invalid_utf8 = b"a{b=\"c\"} 1 \xff\n";
    let mut p = Parser::new(invalid_utf8, Format::Text);
    let fast = p.next_known(|raw| known.contains(raw).then_some(()));
    assert_eq!(fast.unwrap_err(), Parser::new(invalid_utf8, Format::Text).next().unwrap_err());
}
