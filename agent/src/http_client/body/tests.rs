//! The body limits: on the decompressed size as it grows, Prometheus' `>= limit` rule, the
//! shared budget, and gzip errors.

use std::io::Write as _;

use super::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_gzip_bomb_stops_at_the_limit_without_being_inflated() {
    // 64 MiB of zeros in ~65 kB (the bomb was 256 MiB in 249 kB).
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let mut out = Vec::new();
    let err = gunzip(&bomb, &mut out, 1 << 20).unwrap_err();
    assert!(matches!(err, BodyError::SizeLimit(n) if n == 1 << 20), "{err}");
    assert!(out.capacity() <= 2 << 20, "held {} bytes", out.capacity());
}

#[test]
fn a_body_of_exactly_the_limit_is_over_it_as_in_prometheus() {
    let mut out = Vec::new();
    gunzip(&gzip(&[b'a'; 99]), &mut out, 100).unwrap();
    assert_eq!(out.len(), 99);
    assert!(matches!(gunzip(&gzip(&[b'a'; 100]), &mut out, 100), Err(BodyError::SizeLimit(100))));
}

#[test]
fn corrupt_truncated_or_empty_gzip_is_a_gzip_error() {
    let mut out = Vec::new();
    assert!(matches!(gunzip(b"\x1f\x8bnot gzip", &mut out, 1000), Err(BodyError::Gzip(_))));
    let whole = gzip(b"up 1\nother 2\n");
    assert!(matches!(gunzip(&whole[..whole.len() - 6], &mut out, 1000), Err(BodyError::Gzip(_))));
    assert!(matches!(gunzip(b"", &mut out, 1000), Err(BodyError::Gzip(_))));
    gunzip(&gzip(b""), &mut out, 1000).unwrap();
    assert!(out.is_empty(), "a gzip stream of nothing is an empty body");
    gunzip(&whole, &mut out, 1000).unwrap();
    assert_eq!(out, b"up 1\nother 2\n");
}

#[test]
fn bodies_share_one_budget_and_give_it_back() {
    let budget = Budget { total: 1000, used: AtomicU64::new(0) };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut first = Sink { out: &mut a, limit: u64::MAX, budget: &budget, held: 0 };
    first.write_all(&[1; 600]).unwrap();
    let mut second = Sink { out: &mut b, limit: u64::MAX, budget: &budget, held: 0 };
    let err = second.write_all(&[1; 600]).unwrap_err();
    assert!(matches!(refused(err, false), BodyError::Budget(1000)));
    drop(second);
    drop(first);
    assert_eq!(budget.used.load(Ordering::Relaxed), 0);
}

#[test]
fn the_default_limit_follows_the_memory_limit() {
    let limit = default_limit();
    assert!((1 << 20..=256 << 20).contains(&limit), "{limit}");
    assert_eq!(limit, (memory_limit() / 8).clamp(1 << 20, 256 << 20));
    assert!(budget().total() >= 4 << 20);
}
