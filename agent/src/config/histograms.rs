//! The native-histogram keys of `global:` and each job. scrapelet parses the text formats only,
//! where histograms are classic (`_bucket`/`_sum`/`_count` series); the protobuf format, which
//! carries native histograms, is not parsed yet. So these keys are read, checked and inherited
//! as in Prometheus 3, and the two that would change what is sent when true are accepted with a
//! warning that says what scrapelet does instead.
//!
//! Entry point: [`read`].

use super::yaml::MapReader;
use super::{GlobalConfig, IgnoredKey};

/// What the histogram keys of a job (or `global:`) resolve to.
pub(super) struct Histograms {
    pub scrape_native: bool,
    pub always_classic: bool,
}

const NATIVE: &str = "accepted, not in effect: native histograms come only in the protobuf format, which scrapelet \
                      does not parse yet; targets are scraped in the text formats and histograms sent as classic series";
const NHCB: &str = "accepted, not in effect: scrapelet does not convert classic histograms to native histograms yet; \
                    they are sent as classic series (_bucket, _sum, _count)";

/// Reads the keys of the mapping `r` (a job, or `global:` with `global` at its defaults), warning
/// about a true value where it is written.
pub(super) fn read(r: &mut MapReader<'_>, global: &GlobalConfig, warnings: &mut Vec<IgnoredKey>) -> Histograms {
    let scrape_native =
        flag(r, "scrape_native_histograms", NATIVE, warnings).unwrap_or(global.scrape_native_histograms);
    let always_classic = r.bool("always_scrape_classic_histograms").unwrap_or(global.always_scrape_classic_histograms);
    let _ = flag(r, "convert_classic_histograms_to_nhcb", NHCB, warnings);
    // Limits on native histograms' buckets: there are none to limit, as in Prometheus for a
    // target that exposes no native histogram.
    let _ = r.u64("native_histogram_bucket_limit");
    let _ = r.f64("native_histogram_min_bucket_factor");
    Histograms { scrape_native, always_classic }
}

/// A boolean key, with a warning when it is set to true here.
fn flag(r: &mut MapReader<'_>, key: &'static str, reason: &str, warnings: &mut Vec<IgnoredKey>) -> Option<bool> {
    let v = r.bool(key);
    if v == Some(true) {
        let line = r.key_line(key).unwrap_or(r.line());
        warnings.push(IgnoredKey { line, path: r.path_of(key), reason: reason.to_string() });
    }
    v
}
