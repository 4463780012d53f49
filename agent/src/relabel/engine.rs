//! Applying compiled rules to a label set: Prometheus 3's `relabel.ProcessBuilder`, action for
//! action.
//!
//! Entry point: [`process`]. A rule reads the labels as they were when the rule started (the
//! source values, and for labelmap/labeldrop/labelkeep the names), then writes; an empty written
//! value deletes the label. Nothing is allocated for a rule that leaves the labels unchanged, except
//! regex capture slots and the join of two or more source labels.

use std::borrow::Cow;

use md5::{Digest, Md5};

use super::config::{Action, RelabelConfig};
use super::expand::{expand, has_var};
use crate::labels::Labels;

/// Applies `rules` in order; returns false if the label set was dropped (the labels are then
/// left as they were when the dropping rule ran).
pub fn process(labels: &mut Labels, rules: &[RelabelConfig]) -> bool {
    rules.iter().all(|rule| apply(labels, rule))
}

fn apply(labels: &mut Labels, rule: &RelabelConfig) -> bool {
    match rule.action {
        Action::Replace => return replace(labels, rule),
        Action::LabelMap => label_map(labels, rule),
        Action::LabelDrop => labels.retain(|l| !rule.regex.is_match(&l.name)),
        Action::LabelKeep => labels.retain(|l| rule.regex.is_match(&l.name)),
        _ => return apply_to_value(labels, rule),
    }
    true
}

/// The actions that read the joined source value.
fn apply_to_value(labels: &mut Labels, rule: &RelabelConfig) -> bool {
    let val = joined(labels, rule);
    match rule.action {
        Action::Drop => return !rule.regex.is_match(&val),
        Action::Keep => return rule.regex.is_match(&val),
        Action::DropEqual => return labels.get(&rule.target_label).unwrap_or("") != val,
        Action::KeepEqual => return labels.get(&rule.target_label).unwrap_or("") == val,
        Action::Lowercase => set(labels, &rule.target_label, val.chars().map(go_lower).collect()),
        Action::Uppercase => set(labels, &rule.target_label, val.chars().map(go_upper).collect()),
        Action::HashMod => set(labels, &rule.target_label, hash_mod(&val, rule.modulus).to_string()),
        Action::Replace | Action::LabelMap | Action::LabelDrop | Action::LabelKeep => {}
    }
    true
}

/// The source label values joined by the separator; a missing label counts as empty.
fn joined<'a>(labels: &'a Labels, rule: &RelabelConfig) -> Cow<'a, str> {
    let get = |n: &String| labels.get(n).unwrap_or("");
    match rule.source_labels.as_deref() {
        None | Some([]) => Cow::Borrowed(""),
        Some([one]) => Cow::Borrowed(get(one)),
        Some(names) => Cow::Owned(names.iter().map(get).collect::<Vec<_>>().join(&rule.separator)),
    }
}

fn set(labels: &mut Labels, name: &str, value: String) {
    labels.set(name.to_string(), value);
}

fn replace(labels: &mut Labels, rule: &RelabelConfig) -> bool {
    let val = joined(labels, rule);
    let Some(caps) = rule.regex.regex().captures(&val) else { return true };
    let target = if has_var(&rule.target_label) {
        let mut t = String::new();
        expand(&rule.regex, &caps, &rule.target_label, &mut t);
        t
    } else {
        rule.target_label.clone()
    };
    if !rule.validation.is_valid_label_name(&target) {
        return true;
    }
    let mut value = String::new();
    expand(&rule.regex, &caps, &rule.replacement, &mut value);
    labels.set(target, value);
    true
}

/// Prometheus' hashmod: the last 8 bytes of the MD5 sum, big-endian, modulo `modulus`.
pub fn hash_mod(val: &str, modulus: u64) -> u64 {
    let sum = Md5::digest(val.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&sum[8..]);
    u64::from_be_bytes(tail) % modulus
}

/// Copies every label whose name matches to the name the replacement makes of it (Go's
/// `ReplaceAllString`, unvalidated), reading names and values from before the rule ran.
fn label_map(labels: &mut Labels, rule: &RelabelConfig) {
    let mut adds: Vec<(String, String)> = Vec::new();
    for l in labels.iter().filter(|l| rule.regex.is_match(&l.name)) {
        adds.push((replace_all(rule, &l.name), l.value.clone()));
    }
    for (name, value) in adds {
        labels.set(name, value);
    }
}

/// Go's `Regexp.ReplaceAllString(src, template)`.
fn replace_all(rule: &RelabelConfig, src: &str) -> String {
    let (mut out, mut last) = (String::new(), 0);
    for caps in rule.regex.regex().captures_iter(src) {
        let m = caps.get(0).expect("group 0 always participates");
        out.push_str(&src[last..m.start()]);
        expand(&rule.regex, &caps, &rule.replacement, &mut out);
        last = m.end();
    }
    out.push_str(&src[last..]);
    out
}

/// Go's `unicode.ToLower`: the simple (one-to-one) mapping.
fn go_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Go's `unicode.ToUpper`: the simple mapping; Rust's multi-char mappings (`ß` → `SS`) are full
/// mappings, whose simple counterpart is the character itself except for a few Greek letters.
fn go_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => match c as u32 {
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => char::from_u32(c as u32 + 8).unwrap_or(c),
            0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => c,
        },
    }
}
