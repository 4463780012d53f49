//! Per-target scrape limits, a scrapelet extension: relabelling may set `__sample_limit__`,
//! `__label_limit__` and `__body_size_limit__` on a target (the shipped job sets defaults for
//! every pod and takes `scrapelet.io/sample-limit`, `label-limit`, `body-size-limit` annotations
//! over them), and the job's own `sample_limit`, `label_limit` and `body_size_limit` are the
//! operator's caps: a target never gets more than its job allows. Like the other `__` labels
//! they are gone from the target's labels after relabelling.
//!
//! Entry points: [`from_labels`] reads them (a value that does not parse makes the target
//! unusable, as a bad `__scrape_interval__` does); [`apply`] gives the target a job with those
//! limits (shared by every target with the same ones).

use std::sync::{Arc, Mutex, Weak};

use crate::config::ScrapeConfig;
use crate::config::yaml::parse_size;
use crate::labels::Labels;

pub const SAMPLE_LIMIT: &str = "__sample_limit__";
pub const LABEL_LIMIT: &str = "__label_limit__";
pub const BODY_SIZE_LIMIT: &str = "__body_size_limit__";

/// A target's limits (0: none, as in Prometheus; for the body, the agent's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub sample: u64,
    pub label: u64,
    pub body_size: u64,
}

impl Limits {
    pub fn of(job: &ScrapeConfig) -> Limits {
        Limits { sample: job.sample_limit, label: job.label_limit, body_size: job.body_size_limit }
    }
}

/// What a target asks for, never above the job's cap (a cap of 0 is none; asking 0 is the cap).
fn within(cap: u64, asked: u64) -> u64 {
    match (cap, asked) {
        (0, asked) => asked,
        (cap, 0) => cap,
        (cap, asked) => asked.min(cap),
    }
}

/// The limits of a target from its labels after relabelling, within its job's.
pub fn from_labels(job: &ScrapeConfig, lset: &Labels) -> Result<Limits, String> {
    let read = |name: &str, parse: fn(&str) -> Option<u64>| -> Result<Option<u64>, String> {
        match lset.get(name) {
            None | Some("") => Ok(None),
            Some(v) => parse(v).map(Some).ok_or_else(|| format!("error parsing {name} {v:?}")),
        }
    };
    let cap = Limits::of(job);
    let body_cap = if cap.body_size == 0 { crate::http_client::body::default_limit() } else { cap.body_size };
    Ok(Limits {
        sample: read(SAMPLE_LIMIT, |v| v.parse().ok())?.map_or(cap.sample, |n| within(cap.sample, n)),
        label: read(LABEL_LIMIT, |v| v.parse().ok())?.map_or(cap.label, |n| within(cap.label, n)),
        body_size: read(BODY_SIZE_LIMIT, parse_size)?.map_or(cap.body_size, |n| within(body_cap, n)),
    })
}

type Derived = (Weak<ScrapeConfig>, Limits, Arc<ScrapeConfig>);

/// `job` with `limits`: the job itself when they are its own, else one copy per distinct set
/// of limits, shared by the targets that have them.
pub fn apply(job: &Arc<ScrapeConfig>, limits: Limits) -> Arc<ScrapeConfig> {
    if limits == Limits::of(job) {
        return job.clone();
    }
    static DERIVED: Mutex<Vec<Derived>> = Mutex::new(Vec::new());
    let mut derived = DERIVED.lock().unwrap();
    // Forget copies no target holds any more and copies of replaced jobs.
    derived.retain(|(base, _, copy)| base.strong_count() > 0 && Arc::strong_count(copy) > 1);
    let base = Arc::as_ptr(job);
    if let Some((_, _, copy)) = derived.iter().find(|(b, l, _)| std::ptr::eq(b.as_ptr(), base) && *l == limits) {
        return copy.clone();
    }
    // Other limits are other settings: a target whose limits change is restarted.
    let fingerprint = {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(job.fingerprint).hash_one((limits.sample, limits.label, limits.body_size))
    };
    let copy = Arc::new(ScrapeConfig {
        fingerprint,
        sample_limit: limits.sample,
        label_limit: limits.label,
        body_size_limit: limits.body_size,
        ..(**job).clone()
    });
    derived.push((Arc::downgrade(job), limits, copy.clone()));
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::scrape::Target;

    fn job(yaml_limits: &str) -> Arc<ScrapeConfig> {
        let yaml = format!("scrape_configs:\n  - job_name: j\n{yaml_limits}    static_configs: [{{targets: [a:1]}}]\n");
        Arc::new(Config::from_yaml(&yaml).unwrap().scrape_configs.remove(0))
    }

    fn target(job: &Arc<ScrapeConfig>, labels: &[(&str, &str)]) -> Result<Target, String> {
        let mut l = Labels::from_pairs(labels.iter().copied());
        l.set("__address__".into(), "10.0.0.5:80".into());
        Target::from_labels(job, l).map(Option::unwrap)
    }

    #[test]
    fn a_target_gets_what_it_asks_within_the_jobs_caps() {
        let j = job("    sample_limit: 1000\n    label_limit: 30\n    body_size_limit: 10MB\n");
        let t = target(&j, &[(SAMPLE_LIMIT, "500"), (LABEL_LIMIT, "100"), (BODY_SIZE_LIMIT, "20MiB")]).unwrap();
        assert_eq!(Limits::of(&t.job), Limits { sample: 500, label: 30, body_size: 10 << 20 });
        assert!(t.labels.get(SAMPLE_LIMIT).is_none(), "a __ label is not a target label");
        // Asking for none gets the cap; asking nothing keeps the job as it is.
        let t = target(&j, &[(SAMPLE_LIMIT, "0")]).unwrap();
        assert_eq!(t.job.sample_limit, 1000);
        assert!(Arc::ptr_eq(&target(&j, &[]).unwrap().job, &j));
        // No cap: what the target asks.
        let open = job("");
        assert_eq!(target(&open, &[(SAMPLE_LIMIT, "70")]).unwrap().job.sample_limit, 70);
        let body = target(&open, &[(BODY_SIZE_LIMIT, "1TB")]).unwrap().job.body_size_limit;
        assert_eq!(body, crate::http_client::body::default_limit(), "never above the agent's default");
    }

    #[test]
    fn targets_with_the_same_limits_share_one_job() {
        let j = job("    sample_limit: 1000\n");
        let (a, b) = (target(&j, &[(SAMPLE_LIMIT, "5")]).unwrap(), target(&j, &[(SAMPLE_LIMIT, "5")]).unwrap());
        assert!(Arc::ptr_eq(&a.job, &b.job));
        assert_eq!(a.key(), b.key());
        let c = target(&j, &[(SAMPLE_LIMIT, "6")]).unwrap();
        assert_ne!(a.job.fingerprint, c.job.fingerprint, "other limits are other settings");
        assert_ne!(a.job.fingerprint, j.fingerprint);
    }

    #[test]
    fn a_limit_label_that_does_not_parse_makes_the_target_unusable() {
        let j = job("");
        let err = target(&j, &[(BODY_SIZE_LIMIT, "lots")]).unwrap_err();
        assert_eq!(err, "error parsing __body_size_limit__ \"lots\"");
        assert!(target(&j, &[(SAMPLE_LIMIT, "-1")]).is_err());
    }
}
