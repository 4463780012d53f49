//! Why a scrape failed, with a bounded `reason` for self-metrics.
//!
//! The text of an error (`Display`: logs, `/targets`, `/api/v1/targets`) never holds bytes of the
//! response body: a hostile target, or a redirect to an internal endpoint, must not be able to
//! read anything back through the agent's pages. Messages built from the body put what they quote
//! from it between double quotes, Rust's `{:?}` way (the parser's `show`); [`without_quoted`]
//! replaces each such span with `"…"`. [`ScrapeError::detail`] keeps it all, for `scrapelet
//! scrape` on the operator's terminal.

use std::time::Duration;

use super::parse::ParseError;
use crate::http_client::body::BodyError;

#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("server returned HTTP status {0}")]
    HttpStatus(u16),
    #[error("{0}")]
    Network(String),
    #[error("context deadline exceeded: scrape took longer than {0:?}")]
    Timeout(Duration),
    /// Over the body size limit or the shared budget, bad gzip, or the connection failed.
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("{0}")]
    ContentType(String),
    #[error("parsing scrape body: {}", without_quoted(&.0.to_string()))]
    Parse(#[from] ParseError),
    /// Prometheus' `errNameLabelMandatory`: metric relabelling left a series without a name.
    #[error("missing metric name (__name__ label)")]
    MissingMetricName,
    /// A name not valid under the job's `metric_name_validation_scheme` (in Prometheus' words).
    #[error("invalid metric name or label names: {}", without_quoted(.0))]
    InvalidNames(String),
    #[error("target_limit exceeded (number of targets: {targets}, limit: {limit})")]
    TargetLimit { targets: usize, limit: u64 },
    #[error("sample limit exceeded: more than {0} samples after metric relabelling")]
    SampleLimit(u64),
    #[error("{}", without_quoted(.0))]
    LabelLimit(String),
    #[error("{0}")]
    Plugin(#[from] crate::plugin::PluginError),
}

impl ScrapeError {
    /// The message with what it quotes from the body (for the operator's own terminal).
    pub fn detail(&self) -> String {
        match self {
            ScrapeError::Parse(e) => format!("parsing scrape body: {e}"),
            ScrapeError::InvalidNames(s) => format!("invalid metric name or label names: {s}"),
            ScrapeError::LabelLimit(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// The `reason` label of `scrapelet_scrape_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            ScrapeError::HttpStatus(_) => "http_status",
            ScrapeError::Network(_) => "network",
            ScrapeError::Timeout(_) => "timeout",
            ScrapeError::Body(BodyError::SizeLimit(_)) => "body_size_limit",
            ScrapeError::Body(BodyError::Budget(_)) => "body_budget",
            ScrapeError::Body(BodyError::Gzip(_)) => "gzip",
            ScrapeError::Body(BodyError::Read(_)) => "network",
            ScrapeError::ContentType(_) => "content_type",
            ScrapeError::Parse(_) => "parse",
            ScrapeError::MissingMetricName => "missing_metric_name",
            ScrapeError::InvalidNames(_) => "invalid_names",
            ScrapeError::TargetLimit { .. } => "target_limit",
            ScrapeError::SampleLimit(_) => "sample_limit",
            ScrapeError::LabelLimit(_) => "label_limit",
            ScrapeError::Plugin(_) => "plugin",
        }
    }
}

/// `msg` with every double-quoted span (`"..."`, backslash escapes inside) replaced by `"…"`,
/// and the character after "escape sequence \\" dropped: what a message quotes from a body.
pub fn without_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut chars = msg.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str("\"…\"");
                let mut escaped = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => escaped = false,
                    }
                }
            }
            '\\' if out.ends_with("escape sequence ") => {
                chars.next();
                out.push('…');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::parse::{Format, Parser};

    fn parse_error(body: &str) -> ScrapeError {
        let mut p = Parser::new(body.as_bytes(), Format::Text);
        loop {
            match p.next() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("{body:?} parsed"),
                Err(e) => return e.into(),
            }
        }
    }

    /// A body read back through a redirect (a fake cloud metadata answer) or echoing the
    /// request's credentials: the error names the line and what was wrong, never the bytes.
    #[test]
    fn errors_never_quote_the_body() {
        let secrets = ["AKIAFAKEKEY", "wJalrXUtnFEMI", "Bearer s3cret"];
        let bodies = [
            "{\"AccessKeyId\": \"AKIAFAKEKEY\", \"SecretAccessKey\": \"wJalrXUtnFEMI\"}\n",
            "up 1\nauth{h=\"Bearer s3cret\"} x\n",
            "up 1\nx{a=\"AKIAFAKEKEY\"} 1 x\n",
            "# TYPE AKIAFAKEKEY wJalrXUtnFEMI\n",
            "up{Bearer s3cret} 1\n",
        ];
        for body in bodies {
            let text = parse_error(body).to_string();
            assert!(secrets.iter().all(|s| !text.contains(s)), "{body:?}: {text}");
            assert!(text.starts_with("parsing scrape body: line "), "{text}");
        }
        let names = ScrapeError::InvalidNames("{__name__=\"AKIAFAKEKEY\"}".into());
        assert_eq!(names.to_string(), "invalid metric name or label names: {__name__=\"…\"}");
        assert!(names.detail().contains("AKIAFAKEKEY"));
        let text = parse_error("x{a=\"AKIAFAKEKEY\"} 1\nup 1 x\n").to_string();
        assert_eq!(text, "parsing scrape body: line 2: invalid timestamp \"…\"");
    }

    #[test]
    fn quoted_spans_are_replaced_with_their_escapes() {
        assert_eq!(without_quoted(r#"a "b\"c" d "e""#), r#"a "…" d "…""#);
        assert_eq!(
            without_quoted(r"invalid escape sequence \q in label value"),
            "invalid escape sequence … in label value"
        );
        assert_eq!(without_quoted("no quotes"), "no quotes");
    }
}
