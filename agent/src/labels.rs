//! Label sets: sorted, unique-by-name lists of name/value pairs, and their `{a="b"}` notation.
//!
//! [`Labels`] is the one label-set type of the agent: discovery, relabelling, the series cache and
//! remote write all speak it. An empty value means "absent", as in Prometheus. [`NameValidation`]
//! is Prometheus 3's `metric_name_validation_scheme`: which names are valid.

use std::fmt;

/// Prometheus' `model.ValidationScheme`: `utf8` (the Prometheus 3 default) accepts any non-empty
/// name, `legacy` only `[a-zA-Z_:][a-zA-Z0-9_:]*` metric names and `[a-zA-Z_][a-zA-Z0-9_]*`
/// label names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NameValidation {
    Legacy,
    #[default]
    Utf8,
}

impl NameValidation {
    /// The YAML spelling; `""` is "unset" (`Ok(None)`), as in Prometheus.
    pub fn parse(s: &str) -> Result<Option<NameValidation>, String> {
        match s {
            "" => Ok(None),
            "legacy" => Ok(Some(NameValidation::Legacy)),
            "utf8" => Ok(Some(NameValidation::Utf8)),
            _ => Err(format!("unrecognized ValidationScheme: {s:?}")),
        }
    }

    pub fn is_valid_label_name(self, name: &str) -> bool {
        match self {
            NameValidation::Legacy => is_legacy_label_name(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }

    pub fn is_valid_metric_name(self, name: &str) -> bool {
        match self {
            NameValidation::Legacy => is_legacy_metric_name(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }

    /// Prometheus' `Labels.IsValid`: `__name__` a valid metric name, every name a valid label name.
    pub fn is_valid(self, labels: &Labels) -> bool {
        labels
            .iter()
            .all(|l| self.is_valid_label_name(&l.name) && (l.name != "__name__" || self.is_valid_metric_name(&l.value)))
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    pub name: String,
    pub value: String,
}

/// A label set sorted by name, without duplicate names and (except for discovered sets, see
/// [`Labels::insert`]) without empty values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    pub fn new() -> Self {
        Labels(Vec::new())
    }

    /// Builds a set from pairs in any order; a later pair wins over an earlier one of the same name.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let mut l = Labels::new();
        for (n, v) in pairs {
            l.set(n.into(), v.into());
        }
        l
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).ok().map(|i| self.0[i].value.as_str())
    }

    /// Sets `name` to `value`; an empty value removes the label.
    pub fn set(&mut self, name: String, value: String) {
        match self.find(&name) {
            Ok(i) if value.is_empty() => {
                self.0.remove(i);
            }
            Ok(i) => self.0[i].value = value,
            Err(_) if value.is_empty() => {}
            Err(i) => self.0.insert(i, Label { name, value }),
        }
    }

    /// Sets `name` to `value`, keeping an empty value. Only discovery uses this: Prometheus shows
    /// empty meta labels among a target's discovered labels; relabelling treats them as absent.
    pub fn insert(&mut self, name: String, value: String) {
        match self.find(&name) {
            Ok(i) => self.0[i].value = value,
            Err(i) => self.0.insert(i, Label { name, value }),
        }
    }

    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.find(name) {
            self.0.remove(i);
        }
    }

    pub fn retain(&mut self, f: impl FnMut(&Label) -> bool) {
        self.0.retain(f);
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|l| l.name.as_str().cmp(name))
    }

    /// Parses the `{name="value",...}` notation (exposition-format escaping; spaces allowed
    /// around tokens). A name may be quoted (`{"my.label"="v"}`), and a quoted string on its own
    /// is the metric name (`{"my.metric",a="b"}`), as in Prometheus 3's text format. Used by
    /// `scrapelet relabel` and tests.
    pub fn parse(s: &str) -> Result<Labels, String> {
        let body =
            s.trim().strip_prefix('{').and_then(|r| r.strip_suffix('}')).ok_or("expected {name=\"value\",...}")?;
        let mut pairs = Vec::new();
        let mut rest = body.trim_start();
        while !rest.is_empty() {
            let (name, quoted, after) = read_name(rest)?;
            let after = after.trim_start();
            if quoted && (after.is_empty() || after.starts_with(',')) {
                pairs.push(("__name__".to_string(), name));
                rest = after.strip_prefix(',').unwrap_or(after).trim_start();
                continue;
            }
            let after = after.strip_prefix('=').ok_or_else(|| format!("missing '=' after {name:?}"))?.trim_start();
            let after = after.strip_prefix('"').ok_or_else(|| format!("value of {name} must be quoted"))?;
            let (value, used) = unescape_quoted(after).ok_or_else(|| format!("unterminated value of {name}"))?;
            pairs.push((name, value));
            rest = after[used..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            } else if !rest.is_empty() {
                return Err(format!("expected ',' before {rest:?}"));
            }
        }
        Ok(Labels::from_pairs(pairs))
    }
}

/// A label name, plain (up to `=`) or quoted; the name, whether it was quoted, and the rest.
fn read_name(s: &str) -> Result<(String, bool, &str), String> {
    if let Some(q) = s.strip_prefix('"') {
        let (name, used) = unescape_quoted(q).ok_or("unterminated quoted name")?;
        return Ok((name, true, &q[used..]));
    }
    let eq = s.find('=').ok_or_else(|| format!("missing '=' in {s:?}"))?;
    let name = s[..eq].trim();
    if name.is_empty() {
        return Err("empty label name".into());
    }
    Ok((name.to_string(), false, &s[eq..]))
}

/// Reads an escaped value up to its closing quote; returns it and the bytes consumed (quote
/// included). `\\`, `\"` and `\n` are unescaped; any other `\x` stays as written, as
/// Prometheus' text parsers keep it.
fn unescape_quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                e => out.extend(['\\', e]),
            },
            c => out.push(c),
        }
    }
    None
}

/// Writes `v` with exposition-format escaping of `\`, `"` and newline.
pub fn write_escaped(f: &mut impl fmt::Write, v: &str) -> fmt::Result {
    for c in v.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\n' => f.write_str("\\n")?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

impl fmt::Display for Labels {
    /// `{a="1",b="2"}`: sorted by name, no spaces; a name that is not a legacy label name is
    /// quoted (`{"my.label"="1"}`), as Prometheus 3 prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if is_legacy_label_name(&l.name) {
                f.write_str(&l.name)?;
            } else {
                f.write_str("\"")?;
                write_escaped(f, &l.name)?;
                f.write_str("\"")?;
            }
            f.write_str("=\"")?;
            write_escaped(f, &l.value)?;
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_round_trips_with_escapes() {
        let l = Labels::parse(r#"{b="x\"y", a="1\\2\n", __name__="up"}"#).unwrap();
        assert_eq!(l.to_string(), r#"{__name__="up",a="1\\2\n",b="x\"y"}"#);
        assert_eq!(Labels::parse(&l.to_string()).unwrap(), l);
    }

    #[test]
    fn empty_value_removes_label() {
        let mut l = Labels::from_pairs([("a", "1"), ("b", "2")]);
        l.set("a".into(), String::new());
        assert_eq!(l.to_string(), r#"{b="2"}"#);
        assert_eq!(Labels::parse(r#"{a=""}"#).unwrap().len(), 0);
    }

    #[test]
    fn utf8_names_are_quoted_and_read_back() {
        let l = Labels::parse(r#"{"my.metric", "utf-8.label"="x", a="\q"}"#).unwrap();
        assert_eq!(l.get("__name__"), Some("my.metric"));
        assert_eq!(l.get("a"), Some("\\q"), "an unknown escape is kept as written");
        assert_eq!(l.to_string(), r#"{__name__="my.metric",a="\\q","utf-8.label"="x"}"#);
        assert_eq!(Labels::parse(&l.to_string()).unwrap(), l);
    }

    #[test]
    fn validation_schemes_follow_prometheus() {
        use NameValidation::*;
        assert!(Legacy.is_valid_metric_name("a:b_1") && !Legacy.is_valid_metric_name("a.b"));
        assert!(!Legacy.is_valid_label_name("a:b") && Utf8.is_valid_label_name("a:b.c"));
        assert!(!Utf8.is_valid_label_name("") && !Legacy.is_valid_metric_name("1a"));
        assert_eq!(NameValidation::parse("utf8"), Ok(Some(Utf8)));
        assert_eq!(NameValidation::parse(""), Ok(None));
        assert!(NameValidation::parse("UTF8").is_err());
    }

    #[test]
    fn rejects_malformed_notation() {
        assert!(Labels::parse(r#"{a="1""#).is_err());
        assert!(Labels::parse(r#"{a=1}"#).is_err());
        assert!(Labels::parse(r#"{a="1" b="2"}"#).is_err());
    }
}
