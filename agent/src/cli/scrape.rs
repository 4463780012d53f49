//! `scrapelet scrape URL`: scrape once and print what would be sent, `up` included. With
//! `--config` and `--job`, the job's exporter plugin (the job's `exporter:`, or `__exporter__`
//! set by its `relabel_configs`) and transform plugins run as in the agent, loaded from the
//! config's `plugins:`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::config::{Config, PluginConfig, ScrapeConfig};
use crate::http_client::HttpClient;
use crate::labels::Labels;
use crate::scrape::manager::source;
use crate::scrape::scraper::Scraper;
use crate::scrape::target::Target;
use crate::series::now_ms;
use crate::series::{Sample, SeriesFactory};

pub fn main(url: &str, config: Option<&Path>, job: Option<&str>) -> i32 {
    let (job, plugins) = match job_for(url, config, job) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("scrapelet scrape: {e}");
            return 2;
        }
    };
    if let Err(e) = load_plugins(&plugins) {
        eprintln!("scrapelet scrape: {e}");
        return 2;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(scrape_once(url, job))
}

/// Loads the config's plugins as the agent does; one that fails to load is an error here (the
/// agent would log it and fail the scrapes that use it).
fn load_plugins(plugins: &[PluginConfig]) -> Result<(), String> {
    for decl in plugins {
        let loaded = crate::plugin::load_file(decl).map_err(|e| format!("plugin {:?}: {e}", decl.name))?;
        crate::plugin::registry().insert(decl.clone(), loaded);
    }
    Ok(())
}

/// The job the URL is scraped with: the named one from the config (scheme, path and params taken
/// from the URL) with the config's plugins, or an ad-hoc job with Prometheus' defaults.
fn job_for(url: &str, config: Option<&Path>, job: Option<&str>) -> Result<(ScrapeConfig, Vec<PluginConfig>), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let (mut job, plugins) = match (config, job) {
        (Some(path), Some(name)) => {
            let cfg = Config::load(path).map_err(|errs| {
                errs.iter().map(|e| format!("{}:{e}", path.display())).collect::<Vec<_>>().join("\n")
            })?;
            let job = cfg
                .scrape_configs
                .into_iter()
                .find(|j| j.job_name == name)
                .ok_or(format!("no job {name:?} in {}", path.display()))?;
            (job, cfg.plugins)
        }
        _ => (ad_hoc_job(), Vec::new()),
    };
    job.scheme = uri.scheme_str().unwrap_or("http").to_string();
    job.metrics_path = uri.path().to_string();
    job.params = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Ok((job, plugins))
}

pub(super) fn ad_hoc_job() -> ScrapeConfig {
    ScrapeConfig::ad_hoc("scrape")
}

async fn scrape_once(url: &str, job: ScrapeConfig) -> i32 {
    let uri: http::Uri = url.parse().expect("checked above");
    let address = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let job = Arc::new(job);
    let target = match Target::from_labels(&job, Labels::from_pairs([("__address__", address)])) {
        Ok(Some(t)) => t,
        Ok(None) => {
            eprintln!("scrapelet scrape: the target is dropped by the job's relabel_configs");
            return 1;
        }
        Err(e) => {
            eprintln!("scrapelet scrape: {e}");
            return 2;
        }
    };
    let source = HttpClient::new(&job.http).map_err(|e| e.to_string()).and_then(|c| source(&target, c));
    let mut source = match source {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scrapelet scrape: {e}");
            return 2;
        }
    };
    let (t, began, mut body) = (now_ms(), Instant::now(), Vec::new());
    let fetched = source.fetch(&mut body).await;
    let mut scraper = Scraper::new(target, Arc::new(SeriesFactory::default()));
    let (batch, _, error) = scraper.process(fetched.map(|f| (&body[..], f)), t, began.elapsed()).await;
    let mut out = String::new();
    for s in &batch {
        write_sample(&mut out, s, t);
    }
    print!("{out}");
    match error {
        None => 0,
        Some(e) => {
            eprintln!("scrapelet scrape: {}", e.detail());
            1
        }
    }
}

/// One sample in text exposition format (a name that is not a legacy name quoted inside the
/// braces, Prometheus 3's syntax); the timestamp only when it is the target's own.
fn write_sample(out: &mut String, s: &Sample, scrape_t: i64) {
    use std::fmt::Write;
    let labels = s.series.labels();
    let name = labels.get("__name__").unwrap_or("");
    let mut rest = labels.clone();
    rest.remove("__name__");
    if crate::labels::is_legacy_metric_name(name) {
        out.push_str(name);
        if !rest.is_empty() {
            let _ = write!(out, "{rest}");
        }
    } else {
        let mut quoted = String::new();
        let _ = crate::labels::write_escaped(&mut quoted, name);
        let rest = rest.to_string();
        let sep = if rest.len() > 2 { "," } else { "" };
        let _ = write!(out, "{{\"{quoted}\"{sep}{}", &rest[1..]);
    }
    let _ = write!(out, " {}", fmt_float(s.v));
    if s.t != scrape_t {
        let _ = write!(out, " {}", s.t);
    }
    out.push('\n');
}

/// Floats as the exposition format writes them.
pub fn fmt_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}
