//! What to do after one request: done, retry (network error, 5xx, 429) or give up (other 4xx), and
//! how long to wait before the next try.
//!
//! Entry points: [`classify`] and [`Backoff`]. The waits follow Prometheus'
//! `sendWriteRequestWithBackoff`: start at `min_backoff`, double up to `max_backoff`, retry without
//! a limit until shutdown; a positive `Retry-After` replaces the computed wait (uncapped) and the
//! next computed wait doubles from it. Unlike Prometheus, 429 is always retried (its
//! `retry_on_http_429` is accepted but not needed), and computed waits get jitter so shards that
//! failed together do not retry together.

use std::time::{Duration, SystemTime};

use rand::Rng;

use super::transport::{Response, TransportError};

/// The verdict on one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again, after `retry_after` if the server said so.
    Retry {
        retry_after: Option<Duration>,
    },
    /// The backend refused the batch for good; it is dropped and counted.
    Reject {
        status: u16,
    },
}

pub fn classify(result: &Result<Response, TransportError>) -> Outcome {
    match result {
        Err(_) => Outcome::Retry { retry_after: None },
        Ok(r) if (200..300).contains(&r.status) => Outcome::Sent,
        Ok(r) if r.status == 429 || r.status >= 500 => Outcome::Retry { retry_after: r.retry_after },
        Ok(r) => Outcome::Reject { status: r.status },
    }
}

/// The bounded `status` label of `scrapelet_remote_write_requests_total`.
pub fn status_class(result: &Result<Response, TransportError>) -> &'static str {
    match result {
        Err(_) => "network",
        Ok(r) => match r.status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => "other",
        },
    }
}

/// The wait before each retry of one batch.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff { next: min, max }
    }

    /// The wait before the next try, given the server's `Retry-After` if any.
    pub fn next_wait(&mut self, retry_after: Option<Duration>) -> Duration {
        let (base, wait) = match retry_after {
            Some(d) if !d.is_zero() => (d, d),
            _ => (self.next, jitter(self.next)),
        };
        self.next = base.saturating_mul(2).min(self.max);
        wait
    }
}

/// Somewhere in `[3/4 d, d]`, so a wait never exceeds the configured maximum.
fn jitter(d: Duration) -> Duration {
    let spread = (d / 4).as_nanos() as u64;
    d - Duration::from_nanos(rand::rng().random_range(0..=spread))
}

/// Parses `Retry-After`: delay seconds or an HTTP date (a date in the past means no delay).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, retry_after: Option<u64>) -> Result<Response, TransportError> {
        Ok(Response {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            message: String::new(),
            samples_written: None,
        })
    }

    #[test]
    fn classifies_statuses_like_prometheus_but_always_retries_429() {
        assert_eq!(classify(&resp(204, None)), Outcome::Sent);
        assert_eq!(classify(&resp(500, None)), Outcome::Retry { retry_after: None });
        assert_eq!(classify(&resp(429, Some(3))), Outcome::Retry { retry_after: Some(Duration::from_secs(3)) });
        assert_eq!(classify(&resp(400, None)), Outcome::Reject { status: 400 });
        assert_eq!(classify(&resp(302, None)), Outcome::Reject { status: 302 });
        let net = Err(TransportError::Client("refused".into()));
        assert_eq!((classify(&net), status_class(&net)), (Outcome::Retry { retry_after: None }, "network"));
        assert_eq!(status_class(&resp(503, None)), "5xx");
    }

    #[test]
    fn backoff_doubles_up_to_max_with_jitter_below_the_step() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        for step in [100u64, 200, 400, 500, 500] {
            let w = b.next_wait(None);
            let step = Duration::from_millis(step);
            assert!(w <= step && w >= step * 3 / 4, "{w:?} vs {step:?}");
        }
    }

    #[test]
    fn retry_after_replaces_the_wait_and_the_next_wait_doubles_from_it() {
        let mut b = Backoff::new(Duration::from_millis(30), Duration::from_secs(5));
        assert_eq!(b.next_wait(Some(Duration::from_secs(10))), Duration::from_secs(10));
        assert_eq!(b.next, Duration::from_secs(5));
        let mut b = Backoff::new(Duration::from_millis(30), Duration::from_secs(5));
        assert_eq!(b.next_wait(Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(b.next, Duration::from_secs(2));
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
