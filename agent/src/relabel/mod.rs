//! The native relabel engine: every Prometheus action, with Prometheus' defaults and errors.
//!
//! Entry points: [`parse_configs`] reads a YAML list of relabel configs (as under
//! `relabel_configs:`), validating like Prometheus at load time; [`process`] applies them to a
//! label set and says whether it survives.

use crate::config::yaml::{Errors, Node};
use crate::labels::Labels;

/// One compiled relabel rule.
#[derive(Clone, Debug)]
pub struct RelabelConfig {}

/// Parses the list at `node` (path like `scrape_configs[0].relabel_configs`), recording every
/// invalid rule in `errors` with its index and reason.
pub fn parse_configs(_node: &Node, _path: &str, _errors: &mut Errors) -> Vec<RelabelConfig> {
    todo!("relabel helper")
}

/// Applies `rules` in order; returns false if the label set was dropped.
pub fn process(_labels: &mut Labels, _rules: &[RelabelConfig]) -> bool {
    todo!("relabel helper")
}
