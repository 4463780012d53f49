//! `Matcher.replaceAll(replacement)` for rule patterns. The compiled pattern is
//! `^.*(?:p).*$` and has already matched the whole input, so `replaceAll` yields exactly one
//! expansion of the replacement (the next `find` starts at the end, where `^` fails): the
//! result is the replacement with `$n`, `${name}` and `\x` expanded as `Matcher.appendExpandedReplacement`
//! does (OpenJDK `java/util/regex/Matcher.java`): after `$`, the first digit always counts and
//! further digits are taken while the number stays a valid group; an unmatched group expands to "".

use super::pattern::Captures;

/// Why a replacement could not be expanded (Java throws; the caller skips the attribute).
#[derive(Debug, Clone, PartialEq)]
pub enum ReplaceError {
    MissingEscapedChar,
    IllegalGroupReference,
    NoGroup(usize),
    NoGroupNamed(String),
}

/// Expands `replacement` against the groups of `caps` over `hay`.
pub fn expand(replacement: &str, caps: &Captures<'_>, hay: &str) -> Result<String, ReplaceError> {
    if !replacement.contains(['$', '\\']) {
        return Ok(replacement.to_owned());
    }
    let mut out = String::with_capacity(replacement.len() + 16);
    let mut rest = replacement.chars().peekable();
    while let Some(c) = rest.next() {
        match c {
            '\\' => out.push(rest.next().ok_or(ReplaceError::MissingEscapedChar)?),
            '$' => {
                let group = group_ref(&mut rest, caps)?;
                out.push_str(caps.get(hay, group).unwrap_or(""));
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn group_ref(rest: &mut std::iter::Peekable<std::str::Chars<'_>>, caps: &Captures<'_>) -> Result<usize, ReplaceError> {
    match rest.next() {
        Some('{') => named_group(rest, caps),
        Some(d) if d.is_ascii_digit() => {
            let mut group = d as usize - '0' as usize;
            if group > caps.group_count() {
                return Err(ReplaceError::NoGroup(group));
            }
            while let Some(&n) = rest.peek().filter(|n| n.is_ascii_digit()) {
                let next = group * 10 + (n as usize - '0' as usize);
                if next > caps.group_count() {
                    break;
                }
                group = next;
                rest.next();
            }
            Ok(group)
        }
        _ => Err(ReplaceError::IllegalGroupReference),
    }
}

fn named_group(
    rest: &mut std::iter::Peekable<std::str::Chars<'_>>,
    caps: &Captures<'_>,
) -> Result<usize, ReplaceError> {
    let mut name = String::new();
    loop {
        match rest.next() {
            Some('}') => break,
            Some(c) if c.is_ascii_alphabetic() || (c.is_ascii_digit() && !name.is_empty()) => name.push(c),
            _ => return Err(ReplaceError::IllegalGroupReference),
        }
    }
    if name.is_empty() {
        return Err(ReplaceError::IllegalGroupReference);
    }
    caps.index_of(&name).ok_or(ReplaceError::NoGroupNamed(name))
}

#[cfg(test)]
mod tests {
    use super::super::pattern::Pattern;
    use super::*;

    fn run(pattern: &str, hay: &str, replacement: &str) -> Result<String, ReplaceError> {
        let p = Pattern::compile(pattern).unwrap();
        let caps = p.captures(hay).expect("pattern matches");
        expand(replacement, &caps, hay)
    }

    #[test]
    fn numbered_groups() {
        assert_eq!(run("(a)(b)", "xaby", "$2-$1").unwrap(), "b-a");
    }

    #[test]
    fn greedy_digits_stop_at_group_count() {
        // 2 groups: `$10` is group 1 then a literal 0, as in Java.
        assert_eq!(run("(a)(b)", "ab", "$10").unwrap(), "a0");
        let ten = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)";
        assert_eq!(run(ten, "abcdefghij", "$10").unwrap(), "j");
    }

    #[test]
    fn escapes_and_named_groups() {
        assert_eq!(run("=(?P<port>\\d+)", "p=8080", "\\$${port}").unwrap(), "$8080");
        assert_eq!(run("=(?<port>\\d+)", "p=8080", "${port}").unwrap(), "8080");
    }

    #[test]
    fn unmatched_group_is_empty() {
        assert_eq!(run("(a)|(b)", "b", "[$1]").unwrap(), "[]");
    }

    #[test]
    fn errors_like_java() {
        assert_eq!(run("(a)", "a", "$2"), Err(ReplaceError::NoGroup(2)));
        assert_eq!(run("(a)", "a", "$x"), Err(ReplaceError::IllegalGroupReference));
        assert_eq!(run("(a)", "a", "x\\"), Err(ReplaceError::MissingEscapedChar));
        assert!(matches!(run("(a)", "a", "${n}"), Err(ReplaceError::NoGroupNamed(_))));
    }
}
