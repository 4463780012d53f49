//! The Prometheus 3 scrape keys that `global:` and each job share: name validation and escaping,
//! scrape protocols, and how a job's values follow from the global ones.
//!
//! Entry points: the readers ([`validation`], [`escaping`], [`protocols`], [`fallback`]) and
//! [`resolve`], which applies Prometheus' `ScrapeConfig.Validate` rules for these keys.

use super::GlobalConfig;
use super::yaml::{MapReader, Node};
use crate::labels::NameValidation;
use crate::scrape::protocols::{self, DEFAULT_PROTOCOLS, NameEscaping, ScrapeProtocol};

/// `metric_name_validation_scheme`; `None` when unset or empty.
pub(super) fn validation(r: &mut MapReader<'_>) -> Option<NameValidation> {
    let n = r.get("metric_name_validation_scheme")?;
    let text = r.string("metric_name_validation_scheme")?;
    NameValidation::parse(&text).unwrap_or_else(|e| {
        r.error(n, "metric_name_validation_scheme", e);
        None
    })
}

/// `metric_name_escaping_scheme`; `None` when unset or empty.
pub(super) fn escaping(r: &mut MapReader<'_>) -> Option<NameEscaping> {
    let n = r.get("metric_name_escaping_scheme")?;
    let text = r.string("metric_name_escaping_scheme")?;
    NameEscaping::parse(&text).unwrap_or_else(|_| {
        let msg = format!(
            "unknown name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {text:?}"
        );
        r.error(n, "metric_name_escaping_scheme", msg);
        None
    })
}

/// `scrape_protocols`, validated; `None` when unset. `what` names the section in errors.
pub(super) fn protocols(r: &mut MapReader<'_>, what: &str) -> Option<Vec<ScrapeProtocol>> {
    let n = r.get("scrape_protocols")?;
    let names = r.strings("scrape_protocols");
    let mut list = Vec::new();
    for name in &names {
        match ScrapeProtocol::parse(name) {
            Ok(p) => list.push(p),
            Err(e) => {
                r.error(n, "scrape_protocols", format!("scrape_protocols: {e} for {what}"));
                return None;
            }
        }
    }
    if let Err(e) = protocols::validate_protocols(&list) {
        r.error(n, "scrape_protocols", format!("{e} for {what}"));
        return None;
    }
    Some(list)
}

/// `fallback_scrape_protocol`.
pub(super) fn fallback(r: &mut MapReader<'_>, job: &str) -> Option<ScrapeProtocol> {
    let n = r.get("fallback_scrape_protocol")?;
    let text = r.string("fallback_scrape_protocol")?;
    if text.is_empty() {
        return None;
    }
    ScrapeProtocol::parse(&text)
        .map_err(|e| {
            let msg = format!("invalid fallback_scrape_protocol for scrape config with job name {job:?}: {e}");
            r.error(n, "fallback_scrape_protocol", msg)
        })
        .ok()
}

/// A job's validation, escaping and protocols from its own keys and the global ones, as
/// Prometheus' `ScrapeConfig.Validate` derives them; an error is reported at `node`.
pub(super) struct Resolved {
    pub validation: NameValidation,
    pub escaping: NameEscaping,
    pub protocols: Vec<ScrapeProtocol>,
}

pub(super) fn resolve(r: &mut MapReader<'_>, node: &Node, global: &GlobalConfig, job: &str) -> Resolved {
    let local_validation = validation(r);
    let local_escaping = escaping(r);
    let validation = local_validation.or(global.validation).unwrap_or_default();
    let global_escaping = global.escaping.unwrap_or(match global.validation.unwrap_or_default() {
        NameValidation::Legacy => NameEscaping::Underscores,
        NameValidation::Utf8 => NameEscaping::AllowUtf8,
    });
    let escaping = local_escaping.unwrap_or(match local_validation {
        None => global_escaping,
        Some(NameValidation::Legacy) => NameEscaping::Underscores,
        Some(NameValidation::Utf8) => NameEscaping::AllowUtf8,
    });
    if escaping == NameEscaping::AllowUtf8 && validation != NameValidation::Utf8 {
        let msg = format!("utf8 metric names requested but validation scheme is not set to UTF8 (job {job:?})");
        r.error(node, "metric_name_escaping_scheme", msg);
    }
    let local_protocols = protocols(r, &format!("scrape config with job name {job:?}"));
    let protocols = local_protocols.or_else(|| global.scrape_protocols.clone()).unwrap_or(DEFAULT_PROTOCOLS.to_vec());
    Resolved { validation, escaping, protocols }
}
