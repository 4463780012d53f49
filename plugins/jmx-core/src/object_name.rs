//! JMX `ObjectName`s and `ObjectName` patterns (`javax.management.ObjectName`): `domain:k=v,...`
//! with `*`/`?` wildcards in the domain and in values, and `,*` for "any further keys".
//! The Jolokia walker and the config's include/exclude lists use this one matcher, so both
//! sides agree on which MBeans are read. Values keep their quotes, as `getKeyProperty` does.

/// A parsed object name or pattern.
#[derive(Debug, Clone)]
pub struct ObjectName {
    domain: String,
    /// `(key, value)` in the order written.
    props: Vec<(String, String)>,
    /// Ends with `*` (or is `domain:*`): names may have further keys.
    any_props: bool,
}

impl PartialEq for ObjectName {
    /// `ObjectName.equals`: the canonical names are equal (key order does not matter).
    fn eq(&self, other: &Self) -> bool {
        self.domain == other.domain
            && self.any_props == other.any_props
            && self.props.len() == other.props.len()
            && self.props.iter().all(|p| other.props.contains(p))
    }
}

impl ObjectName {
    /// Parses `domain:key=value,...` (a pattern or a plain name).
    pub fn parse(text: &str) -> Result<ObjectName, String> {
        let (domain, rest) = text.split_once(':').ok_or("missing ':' after the domain")?;
        let mut name = ObjectName { domain: domain.to_owned(), props: Vec::new(), any_props: false };
        for part in split_props(rest)? {
            if part == "*" {
                name.any_props = true;
                continue;
            }
            let (k, v) = part.split_once('=').ok_or_else(|| format!("'{part}' has no '='"))?;
            if k.is_empty() || v.is_empty() {
                return Err(format!("empty key or value in '{part}'"));
            }
            if name.props.iter().any(|(key, _)| key == k) {
                return Err(format!("duplicate key '{k}'"));
            }
            name.props.push((k.to_owned(), v.to_owned()));
        }
        if name.props.is_empty() && !name.any_props {
            return Err("key properties cannot be empty".into());
        }
        Ok(name)
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The key properties in the order written.
    pub fn properties(&self) -> &[(String, String)] {
        &self.props
    }

    /// `ObjectName.apply`: whether `name` (not a pattern) matches this pattern.
    pub fn apply(&self, name: &ObjectName) -> bool {
        if !wildcard(&self.domain, &name.domain) {
            return false;
        }
        if !self.any_props && self.props.len() != name.props.len() {
            return false;
        }
        self.props.iter().all(|(k, pv)| name.props.iter().any(|(nk, nv)| nk == k && wildcard(pv, nv)))
    }
}

/// Whether `object_name` matches the object-name `pattern`; malformed input never matches.
pub fn matches(pattern: &str, object_name: &str) -> bool {
    match (ObjectName::parse(pattern), ObjectName::parse(object_name)) {
        (Ok(p), Ok(n)) => p.apply(&n),
        _ => false,
    }
}

/// Splits on commas outside quoted values.
fn split_props(rest: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated quoted value".into());
    }
    if !rest.is_empty() {
        parts.push(&rest[start..]);
    }
    Ok(parts)
}

/// `*` any run, `?` any one character, `\*` `\?` literal (inside quoted values).
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        let (pc, literal) = match (p.get(pi), p.get(pi + 1)) {
            (Some('\\'), Some(&n)) if n == '*' || n == '?' => (Some(n), 2),
            (c, _) => (c.copied(), 0),
        };
        match pc {
            Some('*') if literal == 0 => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if (c == '?' && literal == 0) || c == t[ti] => {
                pi += literal.max(1);
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn domain_wildcards_and_property_list_patterns() {
        assert!(matches("java.lang:*", "java.lang:type=Memory"));
        assert!(matches("java.*:*", "java.nio:type=BufferPool,name=direct"));
        assert!(matches("*:*", "Catalina:type=Manager,host=localhost,context=/"));
        assert!(!matches("java.lang:*", "java.nio:type=BufferPool"));
        assert!(matches("Catalina:type=ThreadPool,*", "Catalina:name=\"http-nio-8080\",type=ThreadPool"));
    }

    #[test]
    fn exact_names_ignore_key_order_but_need_every_key() {
        assert!(matches("d:a=1,b=2", "d:b=2,a=1"));
        assert!(!matches("d:a=1", "d:a=1,b=2"));
    }

    #[test]
    fn value_wildcards_and_quotes() {
        assert!(matches(
            "Catalina:type=GlobalRequestProcessor,name=\"http-*\"",
            "Catalina:type=GlobalRequestProcessor,name=\"http-nio-8080\""
        ));
        assert!(matches("d:name=a?c,*", "d:name=abc,x=1"));
        assert!(!matches("d:name=\"a\\*\"", "d:name=\"ab\""));
        assert!(matches("d:name=\"a,b\"", "d:name=\"a,b\""));
    }

    #[test]
    fn malformed_names_never_match() {
        assert!(!matches("nodomain", "d:a=1"));
        assert!(!matches("d:", "d:a=1"));
    }
}
