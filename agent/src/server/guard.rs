//! The parts of `/targets` about the agent's guards: targets that could not be formed (with the
//! reason, not scraped), each target's limits, and target URLs that are no web address (a
//! `javascript:` or other scheme a relabel rule produced) shown as text, never as a link.

use serde_json::{Value, json};

use super::targets::escape;
use crate::config::ScrapeConfig;
use crate::discovery::unformed;

/// The Limits cell: the target's sample, label and body size limits (its job's, or what its
/// `__*_limit__` labels asked within them).
pub fn limits_html(job: &ScrapeConfig) -> String {
    let or_none = |n: u64| if n == 0 { "none".to_string() } else { n.to_string() };
    let body = if job.body_size_limit == 0 { crate::http_client::body::default_limit() } else { job.body_size_limit };
    format!("samples {}, labels {}, body {} B", or_none(job.sample_limit), or_none(job.label_limit), body)
}

/// The Endpoint cell: a link only for an http(s) URL.
pub fn endpoint_html(url: &str) -> String {
    let scheme = url.split_once("://").map_or("", |(s, _)| s);
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        format!("<a href=\"{url}\">{url}</a>", url = escape(url))
    } else {
        escape(url)
    }
}

/// The table of targets that could not be formed (empty when there are none).
pub fn html() -> String {
    let unformed = unformed::all();
    if unformed.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h2>Targets that could not be created (not scraped)</h2><table><tr><th>Job</th><th>Target</th><th>Reason</th></tr>",
    );
    for u in &unformed {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&u.job),
            escape(&u.source),
            escape(&u.reason)
        ));
    }
    out.push_str("</table>");
    out
}

pub fn json() -> Vec<Value> {
    unformed::all().iter().map(|u| json!({"scrapePool": u.job, "target": u.source, "reason": u.reason})).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(
            endpoint_html("http://a:1/m?x=<b>"),
            "<a href=\"http://a:1/m?x=&lt;b&gt;\">http://a:1/m?x=&lt;b&gt;</a>"
        );
        assert!(endpoint_html("HTTPS://a/m").starts_with("<a href="));
        for url in
            ["javascript://alert(1)//x:80/metrics", "javascript:alert(1)", "data:text/html,x", "//a/m", "vbscript://x"]
        {
            assert!(!endpoint_html(url).contains("<a"), "{url}");
        }
    }
}
