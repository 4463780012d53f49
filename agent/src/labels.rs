//! Label sets: sorted, unique-by-name lists of name/value pairs, and their `{a="b"}` notation.
//!
//! [`Labels`] is the one label-set type of the agent: discovery, relabelling, the series cache and
//! remote write all speak it. An empty value means "absent", as in Prometheus.

use std::fmt;

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

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|l| l.name.as_str().cmp(name))
    }

    /// Parses the `{name="value",...}` notation (exposition-format escaping; spaces allowed
    /// around tokens). Used by `scrapelet relabel` and tests.
    pub fn parse(s: &str) -> Result<Labels, String> {
        let body =
            s.trim().strip_prefix('{').and_then(|r| r.strip_suffix('}')).ok_or("expected {name=\"value\",...}")?;
        let mut pairs = Vec::new();
        let mut rest = body.trim_start();
        while !rest.is_empty() {
            let eq = rest.find('=').ok_or_else(|| format!("missing '=' in {rest:?}"))?;
            let name = rest[..eq].trim().to_string();
            if name.is_empty() {
                return Err("empty label name".into());
            }
            let after = rest[eq + 1..].trim_start();
            let after = after.strip_prefix('"').ok_or_else(|| format!("value of {name} must be quoted"))?;
            let (value, used) =
                unescape_quoted(after).ok_or_else(|| format!("unterminated or badly escaped value of {name}"))?;
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

/// Reads an escaped value up to its closing quote; returns it and the bytes consumed (quote included).
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
                _ => return None,
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
    /// `{a="1",b="2"}`: sorted by name, no spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}=\"", l.name)?;
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
    fn rejects_malformed_notation() {
        assert!(Labels::parse(r#"{a="1""#).is_err());
        assert!(Labels::parse(r#"{a=1}"#).is_err());
        assert!(Labels::parse(r#"{a="\q"}"#).is_err());
        assert!(Labels::parse(r#"{a="1" b="2"}"#).is_err());
    }
}
