//! Object names as Jolokia prints them with `canonicalNaming=false`: the domain, then the key
//! properties in the order the MBean's name was written, quoted values kept with their quotes and
//! escapes (what `JmxMBeanPropertyCache.getKeyPropertyList` gives the JMX exporter's rules).
//! Also the JMX pattern subset used by `includeObjectNames`/`excludeObjectNames`.

use std::fmt;

/// A parsed object name. `properties` keep the written order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectName {
    pub domain: String,
    pub properties: Vec<(String, String)>,
    /// A trailing `*` in the key property list (`d:type=Foo,*`): other keys may be present.
    pub property_list_pattern: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub name: String,
    pub reason: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid object name {:?}: {}", self.name, self.reason)
    }
}

impl std::error::Error for ParseError {}

impl ObjectName {
    pub fn parse(name: &str) -> Result<ObjectName, ParseError> {
        let err = |reason| ParseError { name: name.to_string(), reason };
        let (domain, list) = name.split_once(':').ok_or(err("no ':' after the domain"))?;
        let mut properties = Vec::new();
        let mut property_list_pattern = false;
        let mut rest = list;
        while !rest.is_empty() {
            if rest == "*" || rest.starts_with("*,") {
                property_list_pattern = true;
                rest = rest.get(2..).unwrap_or("");
                continue;
            }
            let (key, after_eq) = rest.split_once('=').ok_or(err("a key property without '='"))?;
            if key.is_empty() || key.contains([',', ':', '*', '?']) {
                return Err(err("an empty or invalid key"));
            }
            let (value, after) = split_value(after_eq).ok_or(err("an unterminated quoted value"))?;
            properties.push((key.to_string(), value.to_string()));
            rest = match after.strip_prefix(',') {
                Some(r) => r,
                None if after.is_empty() => after,
                None => return Err(err("garbage after a quoted value")),
            };
        }
        if properties.is_empty() && !property_list_pattern {
            return Err(err("no key properties"));
        }
        Ok(ObjectName { domain: domain.to_string(), properties, property_list_pattern })
    }

    /// A pattern in the JMX sense: wildcards in the domain or a value, or a `*` property list.
    pub fn is_pattern(&self) -> bool {
        self.property_list_pattern || has_wildcard(&self.domain) || self.properties.iter().any(|(_, v)| has_wildcard(v))
    }

    /// Whether `name` (not a pattern) is matched by `self`, as `ObjectName.apply` decides. Values
    /// compare as written, quotes included; `*`/`?` are wildcards in quoted values too (an
    /// escaped `\*` is not told apart).
    pub fn matches(&self, name: &ObjectName) -> bool {
        if !glob(&self.domain, &name.domain) {
            return false;
        }
        if !self.property_list_pattern && self.properties.len() != name.properties.len() {
            return false;
        }
        self.properties
            .iter()
            .all(|(k, pv)| name.properties.iter().any(|(nk, nv)| nk == k && (pv == nv || glob(pv, nv))))
    }

    /// The key properties sorted by key, for lookups that must not depend on written order.
    pub fn canonical(&self) -> String {
        let mut props: Vec<_> = self.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        props.sort();
        format!("{}:{}", self.domain, props.join(","))
    }
}

/// Splits a value (quoted with escapes, or plain up to the next `,`) from the rest.
fn split_value(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with('"') {
        let end = s.find(',').unwrap_or(s.len());
        return Some((&s[..end], &s[end..]));
    }
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[..=i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// `*` any run, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn props(n: &ObjectName) -> Vec<(&str, &str)> {
        n.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn keeps_written_order_and_quotes() {
        let n = ObjectName::parse(r#"Catalina:type=GlobalRequestProcessor,name="http-nio-8080""#).unwrap();
        assert_eq!(n.domain, "Catalina");
        assert_eq!(props(&n), vec![("type", "GlobalRequestProcessor"), ("name", r#""http-nio-8080""#)]);
        assert!(!n.is_pattern());
    }

    #[test]
    fn quoted_values_may_hold_commas_and_escaped_quotes() {
        let n = ObjectName::parse(r#"d:a="x,\"y\"=z",b=2"#).unwrap();
        assert_eq!(props(&n), vec![("a", r#""x,\"y\"=z""#), ("b", "2")]);
        assert!(ObjectName::parse(r#"d:a="open"#).is_err());
        assert!(ObjectName::parse("nodomain").is_err());
        assert!(ObjectName::parse("d:").is_err());
    }

    #[test]
    fn patterns_match_like_jmx() {
        let name = ObjectName::parse("java.lang:type=MemoryPool,name=G1 Eden Space").unwrap();
        let yes = ["*:*", "java.lang:type=MemoryPool,*", "java.*:name=G1*,type=MemoryPool", "java.lang:*"];
        for p in yes {
            assert!(ObjectName::parse(p).unwrap().matches(&name), "{p}");
        }
        let quoted = ObjectName::parse(r#"Catalina:type=ThreadPool,name="ajp*""#).unwrap();
        assert!(quoted.is_pattern());
        assert!(quoted.matches(&ObjectName::parse(r#"Catalina:type=ThreadPool,name="ajp-nio-8009""#).unwrap()));
        assert!(!quoted.matches(&ObjectName::parse(r#"Catalina:type=ThreadPool,name="http-nio-8080""#).unwrap()));
        let no = ["java.lang:type=MemoryPool", "java.lang:type=Memory,*", "other:*", "*:name=x,*"];
        for p in no {
            assert!(!ObjectName::parse(p).unwrap().matches(&name), "{p}");
        }
    }

    #[test]
    fn canonical_sorts_keys() {
        let a = ObjectName::parse("d:type=A,name=b").unwrap();
        let b = ObjectName::parse("d:name=b,type=A").unwrap();
        assert_eq!(a.canonical(), b.canonical());
    }

    #[test]
    fn glob_handles_backtracking() {
        assert!(glob("a*b*c", "aXbYbc"));
        assert!(glob("?b", "ab"));
        assert!(!glob("a*d", "abc"));
    }
}
