//! The top-level `wal:` section (a scrapelet key; Prometheus has no such section).
//!
//! ```yaml
//! wal:
//!   max_wal_bytes: 1GiB     # oldest segments are dropped (counted, reason wal_full) beyond this,
//!                           # the open segment included (it is closed at half of this)
//!   max_wal_age: 0s         # 0s = no age limit; older segments are dropped (reason wal_age)
//!   segment_bytes: 128MiB   # a new segment starts after this many bytes of samples (+ its series)
//!   fsync_interval: 1s      # the head segment is fsynced this often, and on every rotation
//! ```
//!
//! Entry point: [`WalConfig::parse`].

use std::time::Duration;

use crate::config::yaml::{Errors, MapReader, Node};

#[derive(Clone, Debug, PartialEq)]
pub struct WalConfig {
    /// Default 1GiB; 0 = unlimited.
    pub max_wal_bytes: u64,
    /// Default none.
    pub max_wal_age: Option<Duration>,
    /// Default 128MiB, and at most a quarter of `max_wal_bytes` so the limit drops in small steps.
    /// Every segment repeats the series records of the series it holds, so a small segment with
    /// hundreds of thousands of series would be mostly series records (500k series of ~100 bytes
    /// of labels are 50MB of series records per segment).
    pub segment_bytes: u64,
    /// Default 1s.
    pub fsync_interval: Duration,
}

pub fn default_max_wal_bytes() -> u64 {
    1 << 30
}

pub fn default_segment_bytes() -> u64 {
    128 << 20
}

pub fn default_fsync_interval() -> Duration {
    Duration::from_secs(1)
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            max_wal_bytes: default_max_wal_bytes(),
            max_wal_age: None,
            segment_bytes: default_segment_bytes(),
            fsync_interval: default_fsync_interval(),
        }
    }
}

impl WalConfig {
    /// Reads `wal:` (absent: the defaults).
    pub fn parse(node: Option<&Node>, errors: &mut Errors) -> WalConfig {
        let Some(node) = node else { return WalConfig::default() };
        let mut r = MapReader::new(node, "wal", errors);
        let max_wal_bytes = r.bytes("max_wal_bytes").unwrap_or_else(default_max_wal_bytes);
        let max_wal_age = r.duration("max_wal_age").filter(|d| !d.is_zero());
        let segment_bytes = r.bytes("segment_bytes").filter(|n| *n > 0).unwrap_or_else(default_segment_bytes);
        let fsync_interval =
            r.duration("fsync_interval").filter(|d| !d.is_zero()).unwrap_or_else(default_fsync_interval);
        r.finish();
        WalConfig { max_wal_bytes, max_wal_age, segment_bytes, fsync_interval }
    }

    /// The segment size actually used: `segment_bytes`, capped at a quarter of `max_wal_bytes`.
    pub fn effective_segment_bytes(&self) -> u64 {
        match self.max_wal_bytes {
            0 => self.segment_bytes,
            max => self.segment_bytes.min(max / 4).max(4096),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    #[test]
    fn reads_keys_and_defaults() {
        let node = yaml::parse("max_wal_bytes: 64MiB\nmax_wal_age: 2h\nsegment_bytes: 32MiB\n").unwrap();
        let mut errors = Errors::default();
        let c = WalConfig::parse(Some(&node), &mut errors);
        assert!(errors.is_empty());
        assert_eq!((c.max_wal_bytes, c.max_wal_age), (64 << 20, Some(Duration::from_secs(7200))));
        assert_eq!(c.effective_segment_bytes(), 16 << 20);
        assert_eq!(WalConfig::parse(None, &mut errors), WalConfig::default());
        let bad = yaml::parse("max_wal_bytes: lots\nwat: 1\n").unwrap();
        WalConfig::parse(Some(&bad), &mut errors);
        assert_eq!(errors.into_sorted().len(), 2);
    }
}
