//! A YAML tree that remembers where every node sits, and a reader that collects every error.
//!
//! Entry points: [`parse`] turns text into a [`Node`]; [`MapReader`] pulls typed fields out of a
//! mapping, recording each problem (with its line) in [`Errors`] instead of stopping, and reports
//! unknown keys when [`MapReader::finish`] is called. Config loading never stops at the first error.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

pub use super::units::{parse_base2_bytes, parse_duration, parse_size};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// One YAML node with its 1-based line.
#[derive(Clone, Debug)]
pub struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// A scalar's text and whether it was quoted (a quoted `null` is a string).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// True for an unquoted `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, false) if s.is_empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
    }

    /// The node as JSON, typing plain scalars as YAML does (null, booleans, numbers). Used to read
    /// Kubernetes objects written in YAML.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Scalar(s, true) => Value::String(s.clone()),
            Kind::Scalar(_, false) if self.is_null() => Value::Null,
            Kind::Scalar(s, false) => match s.as_str() {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                _ => s
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| s.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(s.clone())),
            },
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(pairs) => Value::Object(
                pairs.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json())).collect(),
            ),
        }
    }

    /// "a scalar", "a list" or "a mapping", for error messages.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Scalar(..) => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// One configuration problem and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    /// Dotted path of the key, e.g. `scrape_configs[0].scrape_interval`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.path, self.message)
        }
    }
}

/// Every error found so far.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<ConfigError>);

impl Errors {
    pub fn push(&mut self, line: usize, path: &str, message: impl Into<String>) {
        self.0.push(ConfigError { line, path: path.to_string(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted by line, so a user reads them top to bottom.
    pub fn into_sorted(mut self) -> Vec<ConfigError> {
        self.0.sort_by_key(|e| e.line);
        self.0
    }
}

/// Parses one YAML document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, ConfigError> {
    let error = |e: yaml_rust2::ScanError| ConfigError {
        line: e.marker().line(),
        path: String::new(),
        message: e.info().into(),
    };
    let mut text = std::borrow::Cow::Borrowed(text);
    // SnakeYAML (the JMX exporter's rules files) accepts quoted scalars whose continuation lines
    // are under-indented; yaml-rust2 does not. Indenting them changes nothing but the verdict
    // (continuation lines lose their leading blanks), so such a scalar is indented and re-read.
    let mut fixes = 0;
    let b = loop {
        let mut b = Builder::default();
        match Parser::new_from_str(&text).load(&mut b, false) {
            Ok(()) => break b,
            Err(e) if e.info() == "invalid indentation in quoted scalar" && fixes < 64 => {
                fixes += 1;
                text = indent_scalar(&text, e.marker().index()).ok_or_else(|| error(e))?.into();
            }
            Err(e) => return Err(error(e)),
        }
    };
    if let Some(err) = b.error {
        return Err(err);
    }
    let root = b.root.unwrap_or(Node { line: 1, kind: Kind::Map(Vec::new()) });
    check_duplicate_keys(&root)?;
    Ok(root)
}

/// Go's strict YAML decoder rejects a mapping that names a key twice (`field X already set`).
fn check_duplicate_keys(n: &Node) -> Result<(), ConfigError> {
    match &n.kind {
        Kind::Scalar(..) => Ok(()),
        Kind::Seq(items) => items.iter().try_for_each(check_duplicate_keys),
        Kind::Map(pairs) => {
            for (i, (k, v)) in pairs.iter().enumerate() {
                if let Some(name) = k.as_str()
                    && pairs[..i].iter().any(|(p, _)| p.as_str() == Some(name))
                {
                    let message = format!("key {name:?} already set in this mapping");
                    return Err(ConfigError { line: k.line, path: String::new(), message });
                }
                check_duplicate_keys(v)?;
            }
            Ok(())
        }
    }
}

/// Indents every continuation line of the quoted scalar starting at char `start` to one column
/// past its opening quote.
fn indent_scalar(text: &str, start: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let quote = *chars.get(start).filter(|c| **c == '\'' || **c == '"')?;
    let pad = " ".repeat(start - chars[..start].iter().rposition(|c| *c == '\n').map_or(0, |i| i + 1) + 1);
    let mut out: String = chars[..=start].iter().collect();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if (c == '\\' && quote == '"' || c == quote && quote == '\'' && chars.get(i) == Some(&'\'')) && i < chars.len()
        {
            out.push(chars[i]);
            i += 1;
        } else if c == quote {
            break;
        } else if c == '\n' {
            out.push_str(&pad);
        }
    }
    out.extend(&chars[i..]);
    Some(out)
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize)>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<ConfigError>,
}

impl Builder {
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some((parent, _)) => match &mut parent.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(pairs) => match pairs.last_mut() {
                    Some((_, v)) if is_pending(v) => *v = node,
                    _ => pairs.push((node, pending())),
                },
                Kind::Scalar(..) => unreachable!("scalars have no children"),
            },
        }
    }
}

/// A map key waiting for its value is paired with this placeholder.
fn pending() -> Node {
    Node { line: 0, kind: Kind::Scalar(String::new(), true) }
}

fn is_pending(n: &Node) -> bool {
    n.line == 0
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line().max(1);
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                if tag.is_some_and(|t| t.suffix == "binary") {
                    let message = "!!binary values are not supported (names and values are UTF-8 text)".into();
                    self.error.get_or_insert(ConfigError { line, path: String::new(), message });
                }
                let quoted = style != TScalarStyle::Plain;
                self.insert(Node { line, kind: Kind::Scalar(s, quoted) }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((Node { line, kind: Kind::Seq(Vec::new()) }, anchor)),
            Event::MappingStart(anchor, _) => self.stack.push((Node { line, kind: Kind::Map(Vec::new()) }, anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor)) = self.stack.pop() {
                    self.insert(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(n) => self.insert(Node { line, ..n }, 0),
                None => {
                    self.error.get_or_insert(ConfigError {
                        line,
                        path: String::new(),
                        message: "unknown alias".into(),
                    });
                }
            },
            _ => {}
        }
    }
}

/// Reads the fields of one mapping, remembering which keys were used.
pub struct MapReader<'a> {
    node: &'a Node,
    path: String,
    used: Vec<&'a str>,
    pub errors: &'a mut Errors,
}

impl<'a> MapReader<'a> {
    /// Starts reading `node` as a mapping at `path`. A null node reads as an empty mapping;
    /// anything else that is not a mapping is an error.
    pub fn new(node: &'a Node, path: &str, errors: &'a mut Errors) -> Self {
        if !matches!(node.kind, Kind::Map(_)) && !node.is_null() {
            errors.push(node.line, path, format!("expected a mapping, found {}", node.describe()));
        }
        MapReader { node, path: path.to_string(), used: Vec::new(), errors }
    }

    /// The path of a field of this mapping, for error messages and nested readers.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    pub fn line(&self) -> usize {
        self.node.line
    }

    /// The raw node under `key`, marking it used. Null values read as absent.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        let Kind::Map(pairs) = &self.node.kind else { return None };
        let (_, v) = pairs.iter().find(|(k, _)| k.as_str() == Some(key))?;
        self.used.push(key);
        if v.is_null() { None } else { Some(v) }
    }

    /// Records a problem with the value under `key` (reported at the key's line when `key` is a
    /// key of this mapping, else at `node`'s).
    pub fn error(&mut self, node: &Node, key: &str, message: impl Into<String>) {
        let path = self.path_of(key);
        let line = self.key_line(key).unwrap_or(node.line);
        self.errors.push(line, &path, message);
    }

    /// Accepts `key` without reading it (a key Prometheus has but the agent does not use);
    /// returns the key's line if it is present.
    pub fn ignore(&mut self, key: &'static str) -> Option<usize> {
        let line = self.key_line(key)?;
        self.used.push(key);
        Some(line)
    }

    /// Takes every key whose name satisfies `pred`, marking them used: `(key, value)` pairs.
    pub fn take_matching(&mut self, pred: impl Fn(&str) -> bool) -> Vec<(&'a Node, &'a Node)> {
        let Kind::Map(pairs) = &self.node.kind else { return Vec::new() };
        let mut out = Vec::new();
        for (k, v) in pairs {
            if let Some(name) = k.as_str().filter(|n| pred(n)) {
                self.used.push(name);
                out.push((k, v));
            }
        }
        out
    }

    /// The line of `key` in this mapping, if present.
    pub fn key_line(&self, key: &str) -> Option<usize> {
        let Kind::Map(pairs) = &self.node.kind else { return None };
        pairs.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k.line)
    }

    pub fn string(&mut self, key: &'static str) -> Option<String> {
        let n = self.get(key)?;
        match n.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(n, key, format!("expected a string, found {}", n.describe()));
                None
            }
        }
    }

    pub fn required_string(&mut self, key: &'static str) -> Option<String> {
        let v = self.string(key);
        if v.is_none() && !self.has(key) {
            let (line, path) = (self.node.line, self.path_of(key));
            self.errors.push(line, &path, "is required");
        }
        v
    }

    fn has(&self, key: &str) -> bool {
        matches!(&self.node.kind, Kind::Map(p) if p.iter().any(|(k, _)| k.as_str() == Some(key)))
    }

    pub fn bool(&mut self, key: &'static str) -> Option<bool> {
        self.parsed(key, "a boolean", |s| match s {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        })
    }

    pub fn u64(&mut self, key: &'static str) -> Option<u64> {
        self.parsed(key, "a non-negative integer", |s| s.parse().ok())
    }

    pub fn f64(&mut self, key: &'static str) -> Option<f64> {
        self.parsed(key, "a number", |s| s.parse().ok())
    }

    /// A Prometheus duration such as `15s`, `1m30s` or `500ms`.
    pub fn duration(&mut self, key: &'static str) -> Option<Duration> {
        self.parsed(key, "a duration such as 30s, 1m or 1h30m", parse_duration)
    }

    /// A Prometheus size such as `10MB` or `512KiB`; a bare number is bytes.
    pub fn bytes(&mut self, key: &'static str) -> Option<u64> {
        self.parsed(key, "a size such as 512KB or 10MiB", parse_size)
    }

    /// Reads `key` as a scalar and converts it with `f`, or records `expected`.
    pub fn parsed<T>(&mut self, key: &'static str, expected: &str, f: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let n = self.get(key)?;
        let parsed = n.as_str().and_then(|s| f(s.trim()));
        if parsed.is_none() {
            let found = n.as_str().map(|s| format!("{s:?}")).unwrap_or_else(|| n.describe().to_string());
            self.error(n, key, format!("expected {expected}, found {found}"));
        }
        parsed
    }

    /// A list of strings.
    pub fn strings(&mut self, key: &'static str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, item) in self.list(key) {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.error(item, &format!("{key}[{i}]"), "expected a string"),
            }
        }
        out
    }

    /// A mapping of strings to strings (label sets, headers), in file order.
    pub fn string_map(&mut self, key: &'static str) -> Vec<(String, String)> {
        let Some(n) = self.get(key) else { return Vec::new() };
        let Kind::Map(pairs) = &n.kind else {
            self.error(n, key, format!("expected a mapping, found {}", n.describe()));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in pairs {
            match (k.as_str(), v.as_str()) {
                (Some(k), Some(v)) => out.push((k.to_string(), v.to_string())),
                _ => self.error(v, key, "expected string keys and values"),
            }
        }
        out
    }

    /// The items of a list under `key`, with their index. A missing key is an empty list.
    pub fn list(&mut self, key: &'static str) -> Vec<(usize, &'a Node)> {
        let Some(n) = self.get(key) else { return Vec::new() };
        match &n.kind {
            Kind::Seq(items) => items.iter().enumerate().collect(),
            _ => {
                self.error(n, key, format!("expected a list, found {}", n.describe()));
                Vec::new()
            }
        }
    }

    /// Records every key that no getter asked for, as Prometheus' strict YAML does.
    pub fn finish(self) {
        let Kind::Map(pairs) = &self.node.kind else { return };
        for (k, _) in pairs {
            let name = k.as_str().unwrap_or("?");
            if !self.used.contains(&name) {
                let path = self.path_of(name);
                self.errors.push(k.line, &path, format!("unknown field {name:?}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jmx_exporter `JmxCollectorTest.testServletRequestPattern`'s rule: SnakeYAML reads it.
    #[test]
    fn under_indented_quoted_scalars_read_as_snakeyaml_reads_them() {
        let text = "rules:\n- pattern: 'a,\n    b, \nc'\n  name: x\n";
        let node = parse(text).unwrap();
        let Kind::Map(top) = &node.kind else { panic!() };
        let Kind::Seq(rules) = &top[0].1.kind else { panic!() };
        let Kind::Map(rule) = &rules[0].kind else { panic!() };
        assert_eq!(rule[0].1.as_str(), Some("a, b, c"));
        assert_eq!(rule[1].1.line, 5, "lines are those of the file");
        assert!(parse("a: 'open\n").is_err());
    }

    #[test]
    fn reader_reports_every_error_with_its_line() {
        let node = parse("a: 1\nb: notanumber\nc: x\nd:\n  - 1\n").unwrap();
        let mut errors = Errors::default();
        let mut r = MapReader::new(&node, "top", &mut errors);
        assert_eq!(r.u64("a"), Some(1));
        assert_eq!(r.u64("b"), None);
        assert_eq!(r.string("d"), None);
        r.finish();
        let errs = errors.into_sorted();
        let lines: Vec<_> = errs.iter().map(|e| (e.line, e.path.as_str())).collect();
        assert_eq!(lines, vec![(2, "top.b"), (3, "top.c"), (4, "top.d")], "{errs:?}");
        assert!(errs[1].message.contains("unknown field"));
    }

    #[test]
    fn aliases_resolve_and_quoting_is_kept() {
        let node = parse("x: &a {k: v}\ny: *a\nz: 'null'\n").unwrap();
        let mut errors = Errors::default();
        let mut r = MapReader::new(&node, "", &mut errors);
        let y = r.get("y").unwrap();
        assert!(matches!(&y.kind, Kind::Map(p) if p.len() == 1));
        assert_eq!(r.string("z").as_deref(), Some("null"));
    }
}
