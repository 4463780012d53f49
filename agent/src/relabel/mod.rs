//! The native relabel engine: every Prometheus action, with Prometheus' defaults and errors.
//!
//! Entry points: [`parse_configs`] reads a YAML list of relabel configs (as under
//! `relabel_configs:`), validating like Prometheus at load time; [`process`] applies them to a
//! label set and says whether it survives. The reference is Prometheus 3 (`model/relabel`): names
//! checked under the job's `metric_name_validation_scheme` (utf8 unless set to legacy), regexes
//! anchored as `^(?s:re)$` in Go's RE2 syntax ([`regex`]; `.` matches a newline), and
//! replacement templates expanded like Go's `regexp.Expand` ([`expand`]). `process` never panics
//! and never allocates for a rule that does not change the labels.

mod config;
mod engine;
mod expand;
mod regex;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_prom3;
#[cfg(test)]
mod tests_regex;
#[cfg(test)]
mod tests_validate;

pub use config::{Action, RelabelConfig};
pub use engine::process;
pub use regex::GoRegex;

use crate::config::yaml::{Errors, Kind, MapReader, Node};
use crate::labels::NameValidation;

/// Parses the list at `node` (path like `scrape_configs[0].relabel_configs`) under Prometheus 3's
/// default `utf8` name validation, recording every invalid rule in `errors` with its index and
/// reason.
pub fn parse_configs(node: &Node, path: &str, errors: &mut Errors) -> Vec<RelabelConfig> {
    parse_configs_with(node, path, NameValidation::Utf8, errors)
}

/// [`parse_configs`] under the given name validation scheme (a job's
/// `metric_name_validation_scheme`).
pub fn parse_configs_with(
    node: &Node,
    path: &str,
    validation: NameValidation,
    errors: &mut Errors,
) -> Vec<RelabelConfig> {
    let items = match &node.kind {
        Kind::Seq(items) => items.as_slice(),
        _ if node.is_null() => &[],
        _ => {
            errors.push(node.line, path, "expected a list of relabel configs");
            return Vec::new();
        }
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_one(item, &format!("{path}[{i}]"), validation, errors))
        .collect()
}

fn parse_one(item: &Node, path: &str, validation: NameValidation, errors: &mut Errors) -> Option<RelabelConfig> {
    if item.is_null() {
        errors.push(item.line, path, "empty or null relabeling rule");
        return None;
    }
    let mut r = MapReader::new(item, path, errors);
    if !matches!(item.kind, Kind::Map(_)) {
        return None;
    }
    let rule = config::parse_rule(&mut r, item, validation);
    r.finish();
    match rule {
        Ok(rule) => rule,
        Err(message) => {
            errors.push(item.line, path, message);
            None
        }
    }
}
