//! Backoff for a crash-looping plugin: after a few crashes in a row, skip an exponentially
//! growing number of calls (up to a cap) before trying a fresh instance again.

/// Crashes in a row before calls are skipped.
const FREE_CRASHES: u32 = 3;
/// The most calls skipped between two attempts.
const MAX_SKIP: u32 = 32;

#[derive(Debug, Default)]
pub struct Backoff {
    crashes: u32,
    skip: u32,
}

impl Backoff {
    /// Whether to skip this call (and how many crashes led to it).
    pub fn should_skip(&mut self) -> Option<u32> {
        if self.skip == 0 {
            return None;
        }
        self.skip -= 1;
        Some(self.crashes)
    }

    pub fn record(&mut self, crashed: bool) {
        if !crashed {
            *self = Backoff::default();
            return;
        }
        self.crashes += 1;
        if self.crashes >= FREE_CRASHES {
            self.skip = (1u32 << (self.crashes - FREE_CRASHES).min(5)).min(MAX_SKIP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_grow_after_repeated_crashes_and_reset_on_success() {
        let mut b = Backoff::default();
        for _ in 0..FREE_CRASHES {
            assert!(b.should_skip().is_none());
            b.record(true);
        }
        assert_eq!(b.should_skip(), Some(3));
        assert!(b.should_skip().is_none());
        b.record(true);
        assert!(b.should_skip().is_some() && b.should_skip().is_some() && b.should_skip().is_none());
        b.record(false);
        assert!(b.should_skip().is_none());
    }
}
