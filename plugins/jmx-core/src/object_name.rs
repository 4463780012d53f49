//! JMX `ObjectName`s and `ObjectName` patterns, parsed and matched as
//! `javax.management.ObjectName` does (checked against JDK 17): `domain:k=v,...` with the key
//! properties kept in the order written and values as written (quotes and escapes included, as
//! `getKeyPropertyList` gives them to the JMX exporter's rules). The one parser of the crate: the
//! config's `includeObjectNames`/`excludeObjectNames`, `metricCustomizers`, and the names Jolokia
//! answers with all go through it, so every side agrees on which MBeans are meant.
//!
//! Patterns: `*`/`?` in the domain, an unescaped `*`/`?` in a value (a value pattern), and a `*`
//! element in the key list (a property list pattern). As in Java, a quoted value's `\*` is not a
//! wildcard for deciding that the value is a pattern, but matching compares raw text, escapes and
//! all (`Util.wildmatch`).

use std::fmt;

/// A parsed object name or pattern.
#[derive(Clone, Debug)]
pub struct ObjectName {
    domain: String,
    /// `(key, value)` in the order written.
    props: Vec<(String, String)>,
    /// A `*` element in the key list: names may have further keys.
    property_list_pattern: bool,
}

/// Why a name is not a valid `ObjectName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub name: String,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid object name {:?}: {}", self.name, self.reason)
    }
}

impl std::error::Error for ParseError {}

impl PartialEq for ObjectName {
    /// `ObjectName.equals`: the canonical names are equal (key order does not matter).
    fn eq(&self, other: &Self) -> bool {
        self.domain == other.domain
            && self.property_list_pattern == other.property_list_pattern
            && self.props.len() == other.props.len()
            && self.props.iter().all(|p| other.props.contains(p))
    }
}

impl Eq for ObjectName {}

impl ObjectName {
    /// Parses `domain:key=value,...` (a pattern or a plain name).
    pub fn parse(text: &str) -> Result<ObjectName, ParseError> {
        let err = |reason: &str| ParseError { name: text.to_owned(), reason: reason.to_owned() };
        let (domain, list) = text.split_once(':').ok_or_else(|| err("no ':' after the domain"))?;
        if domain.contains('\n') {
            return Err(err("a newline in the domain"));
        }
        let mut name = ObjectName { domain: domain.to_owned(), props: Vec::new(), property_list_pattern: false };
        let mut rest = list;
        while !rest.is_empty() {
            let (element, after) = split_element(rest).map_err(err)?;
            if element == "*" {
                if name.property_list_pattern {
                    return Err(err("more than one '*' in the key list"));
                }
                name.property_list_pattern = true;
            } else {
                let (key, value) = key_value(element).map_err(err)?;
                if name.props.iter().any(|(k, _)| k == key) {
                    return Err(err(&format!("key {key:?} given twice")));
                }
                name.props.push((key.to_owned(), value.to_owned()));
            }
            rest = match after.strip_prefix(',') {
                Some("") => return Err(err("a ',' at the end")),
                Some(r) => r,
                None => after,
            };
        }
        if name.props.is_empty() && !name.property_list_pattern {
            return Err(err("no key properties"));
        }
        Ok(name)
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The key properties in the order written, values as written.
    pub fn properties(&self) -> &[(String, String)] {
        &self.props
    }

    /// `getKeyProperty`.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `isPattern`: wildcards in the domain or a value, or a `*` in the key list.
    pub fn is_pattern(&self) -> bool {
        self.property_list_pattern || has_wildcard(&self.domain) || self.props.iter().any(|(_, v)| value_pattern(v))
    }

    /// `ObjectName.apply`: whether `name` (not a pattern) is matched by this name or pattern.
    pub fn apply(&self, name: &ObjectName) -> bool {
        if name.is_pattern() || !wildmatch(&self.domain, &name.domain) {
            return false;
        }
        if !self.property_list_pattern && self.props.len() != name.props.len() {
            return false;
        }
        self.props.iter().all(|(k, pv)| {
            name.property(k).is_some_and(|nv| if value_pattern(pv) { wildmatch(pv, nv) } else { pv == nv })
        })
    }

    /// `getCanonicalName`: the key properties sorted by key (`,*` last for a list pattern); the
    /// same MBean whatever order its name was written in.
    pub fn canonical(&self) -> String {
        let mut props: Vec<String> = self.props.iter().map(|(k, v)| format!("{k}={v}")).collect();
        props.sort();
        if self.property_list_pattern {
            props.push("*".into());
        }
        format!("{}:{}", self.domain, props.join(","))
    }
}

impl fmt::Display for ObjectName {
    /// The name as written (the key order kept), `,*` last for a list pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.domain)?;
        for (i, (k, v)) in self.props.iter().enumerate() {
            write!(f, "{}{k}={v}", if i > 0 { "," } else { "" })?;
        }
        if self.property_list_pattern {
            f.write_str(if self.props.is_empty() { "*" } else { ",*" })?;
        }
        Ok(())
    }
}

/// Whether `name` matches the object-name `pattern`; malformed input never matches.
pub fn matches(pattern: &str, name: &str) -> bool {
    match (ObjectName::parse(pattern), ObjectName::parse(name)) {
        (Ok(p), Ok(n)) => p.apply(&n),
        _ => false,
    }
}

/// The next element of the key list and what follows it (starting at `,` or empty).
fn split_element(s: &str) -> Result<(&str, &str), &'static str> {
    let Some(eq) = s.find(['=', ',']).filter(|&i| s.as_bytes()[i] == b'=') else {
        let end = s.find(',').unwrap_or(s.len());
        return match &s[..end] {
            "*" => Ok((&s[..end], &s[end..])),
            "" => Err("an empty element in the key list"),
            _ => Err("a key property without '='"),
        };
    };
    let value = &s[eq + 1..];
    let len = if value.starts_with('"') { quoted_len(value)? } else { value.find(',').unwrap_or(value.len()) };
    let end = eq + 1 + len;
    if !s[end..].is_empty() && !s[end..].starts_with(',') {
        return Err("text after a quoted value");
    }
    Ok((&s[..end], &s[end..]))
}

/// The length of the quoted value at the start of `s`, closing quote included.
fn quoted_len(s: &str) -> Result<usize, &'static str> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => match bytes.get(i + 1) {
                Some(b'\\' | b'"' | b'*' | b'?' | b'n') => i += 2,
                _ => return Err("an invalid escape in a quoted value"),
            },
            b'"' => return Ok(i + 1),
            b'\n' => return Err("a newline in a quoted value"),
            _ => i += 1,
        }
    }
    Err("an unterminated quoted value")
}

fn key_value(element: &str) -> Result<(&str, &str), &'static str> {
    let (key, value) = element.split_once('=').ok_or("a key property without '='")?;
    if key.is_empty() {
        return Err("an empty key");
    }
    if key.contains([':', ',', '=', '*', '?', '\n']) {
        return Err("an invalid character in a key");
    }
    if !value.starts_with('"') && value.contains([':', '=', '"', '\n']) {
        return Err("an invalid character in a value");
    }
    Ok((key, value))
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Whether a value is a pattern: an unescaped `*` or `?` (escapes only exist in quoted values).
fn value_pattern(v: &str) -> bool {
    if !v.starts_with('"') {
        return has_wildcard(v);
    }
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => drop(chars.next()),
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// `Util.wildmatch`: `*` any run, `?` any one character, everything else (`\` too) literal.
pub fn wildmatch(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Checked against `new ObjectName(..)`, `isPattern()` and `apply()` of JDK 17.
#[cfg(test)]
mod tests {
    use super::*;

    fn props(n: &ObjectName) -> Vec<(&str, &str)> {
        n.props.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn keeps_written_order_quotes_and_escapes() {
        let n = ObjectName::parse(r#"Catalina:type=GlobalRequestProcessor,name="http-nio-8080""#).unwrap();
        assert_eq!(n.domain(), "Catalina");
        assert_eq!(props(&n), [("type", "GlobalRequestProcessor"), ("name", r#""http-nio-8080""#)]);
        let q = ObjectName::parse(r#"d:a="x,\"y\"=z",b=2"#).unwrap();
        assert_eq!(props(&q), [("a", r#""x,\"y\"=z""#), ("b", "2")]);
        assert_eq!(q.to_string(), r#"d:a="x,\"y\"=z",b=2"#);
        assert!(!n.is_pattern());
    }

    #[test]
    fn what_java_accepts() {
        for ok in ["d:k=", "d:k=a*", "d:*,k=v", "d:k=v,*", r#"d:k="a\*""#, r#"d:k="a\nb""#, r#"d:k="""#, r"d:k=a\b"] {
            assert!(ObjectName::parse(ok).is_ok(), "{ok}");
        }
        assert!(ObjectName::parse("io.prometheus.jmx.test:type=Colliding\u{1}Name").is_ok());
        let no = [
            "d:k=v,k=w",
            "d:k=a\nb",
            "d\n:k=v",
            "d:k:x=v",
            "d:k=a\"b",
            "d:=v",
            "d:",
            "d",
            "d:k=v,",
            "d:,k=v",
            "d:k=\"a\"b",
            "d:*,*",
            "d:k=\"open",
            "d:k=\"a\\xb\"",
        ];
        for bad in no {
            assert!(ObjectName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn patterns_as_java_sees_them() {
        let pattern = |s: &str| ObjectName::parse(s).unwrap().is_pattern();
        assert!(pattern("d:k=a*") && pattern(r#"d:k="a*""#) && pattern("d:*") && pattern("d?*:k=v"));
        assert!(pattern(r#"d:k="a\?b",*"#));
        assert!(!pattern(r#"d:k="a\*""#) && !pattern("d:k=v"));
    }

    #[test]
    fn apply_like_java() {
        let cases = [
            (r#"d:k="a\*""#, r#"d:k="a\*""#, true),
            (r#"d:k="a\*""#, r#"d:k="ab""#, false),
            (r#"d:k="a*""#, r#"d:k="ab""#, true),
            (r#"d:k="a*""#, r#"d:k="a\*""#, true),
            (r#"d:k="a\**""#, r#"d:k="a\*b""#, true),
            (r#"d:k="a\**""#, r#"d:k="ab""#, false),
            ("d:k=a?", "d:k=ab", true),
            ("d*:k=v", "dd:k=v", true),
            ("d:k=v", "d:k=v,j=w", false),
            ("d:k=v,*", "d:j=w,k=v", true),
            (r#"d:k="*""#, "d:k=v", false),
            ("d:k=*", r#"d:k="v""#, true),
            ("d:a=1,b=2", "d:b=2,a=1", true),
            ("*:*", "Catalina:type=Manager,host=localhost,context=/", true),
            ("java.lang:*", "java.nio:type=BufferPool", false),
            ("Catalina:type=ThreadPool,*", r#"Catalina:name="http-nio-8080",type=ThreadPool"#, true),
            ("d:name=a?c,*", "d:name=abc,x=1", true),
            ("d:k=v", "d:k=v*", false),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(matches(pattern, name), expected, "{pattern} apply {name}");
        }
        assert!(!matches("nodomain", "d:a=1"));
    }

    #[test]
    fn equality_and_canonical_ignore_key_order() {
        let a = ObjectName::parse("d:type=A,name=b").unwrap();
        let b = ObjectName::parse("d:name=b,type=A").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical(), "d:name=b,type=A");
        assert_eq!(ObjectName::parse("d:*,k=v").unwrap().canonical(), "d:k=v,*");
        assert_ne!(a, ObjectName::parse("d:type=A,name=b,*").unwrap());
    }

    #[test]
    fn wildmatch_backtracks() {
        assert!(wildmatch("a*b*c", "aXbYbc"));
        assert!(wildmatch("?b", "ab"));
        assert!(!wildmatch("a*d", "abc"));
        assert!(wildmatch(r"a\*", r"a\xyz"));
    }
}
