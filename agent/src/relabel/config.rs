//! One relabel rule as written in YAML, its Prometheus defaults, and its validation.
//!
//! Entry points: [`parse_rule`] reads one list item into a [`RelabelConfig`] or records why it is
//! invalid; [`RelabelConfig::validate`] is Prometheus 3's `relabel.Config.Validate`, check for
//! check and message for message, under the job's [`NameValidation`] scheme. Like Go's YAML decoder, an explicit `null` sets a field's zero
//! value (`separator:` with no value is the empty separator, `regex:` the empty regex), it does
//! not restore the default.

use crate::config::yaml::{Kind, MapReader, Node};
use crate::labels::NameValidation;

use super::expand::has_var;
use super::regex::GoRegex;

/// The default `regex:`.
pub const DEFAULT_REGEX: &str = "(.*)";
/// The default `separator:`.
pub const DEFAULT_SEPARATOR: &str = ";";
/// The default `replacement:`.
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// What a rule does; Prometheus accepts the name in any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s.to_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Actions that write `target_label` and so require it.
    fn needs_target(self) -> bool {
        use Action::*;
        matches!(self, Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual)
    }

    /// Actions whose `target_label` is a plain label name and that take no `replacement`.
    fn fixed_target(self) -> bool {
        use Action::*;
        matches!(self, Lowercase | Uppercase | KeepEqual | DropEqual)
    }
}

/// One compiled relabel rule.
#[derive(Clone, Debug)]
pub struct RelabelConfig {
    /// `None` when `source_labels` was absent or null (labeldrop/labelkeep tell it from `[]`).
    pub source_labels: Option<Vec<String>>,
    pub separator: String,
    pub target_label: String,
    pub regex: GoRegex,
    /// True when `regex` was not given, so the default `(.*)` is in force.
    pub regex_is_default: bool,
    pub modulus: u64,
    pub replacement: String,
    pub action: Action,
    /// Which names `target_label` and the written labels may have (the job's
    /// `metric_name_validation_scheme`).
    pub validation: NameValidation,
}

/// Prometheus' `relabelTarget`: `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$` with ASCII `\w`,
/// i.e. a name or `$` reference first, then any mix of word characters and references.
pub fn is_valid_template_name(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut first = true;
    while i < b.len() {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        if b[i] == b'$' {
            let (braced, start) = if b.get(i + 1) == Some(&b'{') { (true, i + 2) } else { (false, i + 1) };
            let len = b[start..].iter().take_while(|&&c| word(c)).count();
            if len == 0 || (braced && b.get(start + len) != Some(&b'}')) {
                return false;
            }
            i = start + len + usize::from(braced);
        } else if (first && (b[i].is_ascii_alphabetic() || b[i] == b'_')) || (!first && word(b[i])) {
            i += 1;
        } else {
            return false;
        }
        first = false;
    }
    !s.is_empty()
}

impl RelabelConfig {
    /// Prometheus' `Config.Validate`: the first problem, in Prometheus' order and words.
    pub fn validate(&self) -> Result<(), String> {
        let (a, t, scheme) = (self.action, self.target_label.as_str(), self.validation);
        let invalid_target = || Err(format!("{t:?} is invalid 'target_label' for {} action", a.name()));
        // Under utf8 any non-empty name (with `$` references) is valid; under legacy the names
        // and the `${1}` references Prometheus' `relabelTargetLegacy` allows.
        let valid_with_vars = |s: &str| match scheme {
            NameValidation::Utf8 => scheme.is_valid_label_name(s),
            NameValidation::Legacy => is_valid_template_name(s),
        };
        if a == Action::HashMod && self.modulus == 0 {
            return Err("relabel configuration for hashmod requires non-zero modulus".into());
        }
        if a.needs_target() && t.is_empty() {
            return Err(format!("relabel configuration for {} action requires 'target_label' value", a.name()));
        }
        if a == Action::Replace && !has_var(t) && !scheme.is_valid_label_name(t) {
            return invalid_target();
        }
        if a == Action::Replace && has_var(t) && !valid_with_vars(t) {
            return invalid_target();
        }
        if a.fixed_target() && !scheme.is_valid_label_name(t) {
            return invalid_target();
        }
        if a.fixed_target() && self.replacement != DEFAULT_REPLACEMENT {
            return Err(format!("'replacement' can not be set for {} action", a.name()));
        }
        if a == Action::LabelMap && !valid_with_vars(&self.replacement) {
            return Err(format!("{:?} is invalid 'replacement' for {} action", self.replacement, a.name()));
        }
        if a == Action::HashMod && !scheme.is_valid_label_name(t) {
            return invalid_target();
        }
        self.validate_field_set()
    }

    /// keepequal/dropequal and labeldrop/labelkeep take only some fields.
    fn validate_field_set(&self) -> Result<(), String> {
        let a = self.action;
        let others_default =
            self.modulus == 0 && self.separator == DEFAULT_SEPARATOR && self.replacement == DEFAULT_REPLACEMENT;
        if matches!(a, Action::KeepEqual | Action::DropEqual) && !(self.regex_is_default && others_default) {
            return Err(format!(
                "{} action requires only 'source_labels' and `target_label`, and no other fields",
                a.name()
            ));
        }
        let no_source_or_target = self.source_labels.is_none() && self.target_label.is_empty();
        if matches!(a, Action::LabelDrop | Action::LabelKeep) && !(no_source_or_target && others_default) {
            return Err(format!("{} action requires only 'regex', and no other fields", a.name()));
        }
        Ok(())
    }
}

/// Reads the rule at `node`; YAML type errors go to `r.errors` with the field's path, and a
/// validation failure is returned (for the caller to report at the rule's path).
pub fn parse_rule(
    r: &mut MapReader<'_>,
    node: &Node,
    validation: NameValidation,
) -> Result<Option<RelabelConfig>, String> {
    let before = r.errors.0.len();
    let source_labels = read_source_labels(r, node);
    let separator = zeroable_string(r, node, "separator", DEFAULT_SEPARATOR);
    let target_label = zeroable_string(r, node, "target_label", "");
    let replacement = zeroable_string(r, node, "replacement", DEFAULT_REPLACEMENT);
    let regex_text = zeroable_string(r, node, "regex", DEFAULT_REGEX);
    let regex_is_default = !has_key(node, "regex");
    let modulus = read_modulus(r);
    let action = read_action(r, node);
    if r.errors.0.len() > before {
        return Ok(None);
    }
    let action = action?;
    let regex = GoRegex::new(&regex_text)?;
    let cfg = RelabelConfig {
        source_labels,
        separator,
        target_label,
        regex,
        regex_is_default,
        modulus,
        replacement,
        action,
        validation,
    };
    cfg.validate()?;
    Ok(Some(cfg))
}

/// `modulus`: an unquoted unsigned integer; a quoted one is a string to Go's YAML decoder.
fn read_modulus(r: &mut MapReader<'_>) -> u64 {
    let Some(n) = r.get("modulus") else { return 0 };
    match &n.kind {
        Kind::Scalar(s, false) if yaml_uint(s).is_some() => yaml_uint(s).unwrap_or(0),
        _ => {
            let found = n.as_str().map(|s| format!("{s:?}")).unwrap_or_else(|| "a list or mapping".into());
            r.error(n, "modulus", format!("expected a non-negative integer, found {found}"));
            0
        }
    }
}

/// An unsigned integer as Go's YAML decoder reads one: an unquoted int in base 10, `0x`, `0o`/`0`
/// or `0b` form with optional `_`, or a non-negative float, truncated.
fn yaml_uint(s: &str) -> Option<u64> {
    let plain = s.replace('_', "");
    let digits = plain.strip_prefix('+').unwrap_or(&plain);
    let (radix, body) = match digits.get(..2) {
        Some("0x") => (16, &digits[2..]),
        Some("0b") => (2, &digits[2..]),
        Some("0o") => (8, &digits[2..]),
        _ if digits.len() > 1 && digits.starts_with('0') => (8, &digits[1..]),
        _ => (10, digits),
    };
    u64::from_str_radix(body, radix).ok().or_else(|| {
        let f: f64 = s.parse().ok().filter(|f: &f64| f.is_finite() && *f >= 0.0)?;
        Some(f as u64)
    })
}

fn read_source_labels(r: &mut MapReader<'_>, node: &Node) -> Option<Vec<String>> {
    let present = has_key(node, "source_labels") && !is_null_value(node, "source_labels");
    let names = r.strings("source_labels");
    // Prometheus 3 reads `source_labels` as `model.LabelNames`, valid under utf8 whatever the
    // job's scheme: any non-empty name.
    for (i, n) in names.iter().enumerate() {
        if !NameValidation::Utf8.is_valid_label_name(n) {
            let line = r.line();
            let path = r.path_of(&format!("source_labels[{i}]"));
            r.errors.push(line, &path, format!("{n:?} is not a valid label name"));
        }
    }
    present.then_some(names)
}

fn read_action(r: &mut MapReader<'_>, node: &Node) -> Result<Action, String> {
    match zeroable_string(r, node, "action", "replace") {
        s if s.is_empty() => Err("relabel action cannot be empty".into()),
        s => Action::parse(&s).ok_or_else(|| format!("unknown relabel action {s:?}")),
    }
}

/// A string field: `default` when the key is absent, `""` when it is present but null.
fn zeroable_string(r: &mut MapReader<'_>, node: &Node, key: &'static str, default: &str) -> String {
    match r.string(key) {
        Some(s) => s,
        None if has_key(node, key) => String::new(),
        None => default.to_string(),
    }
}

fn has_key(node: &Node, key: &str) -> bool {
    matches!(&node.kind, Kind::Map(p) if p.iter().any(|(k, _)| k.as_str() == Some(key)))
}

fn is_null_value(node: &Node, key: &str) -> bool {
    matches!(&node.kind, Kind::Map(p) if p.iter().any(|(k, v)| k.as_str() == Some(key) && v.is_null()))
}
