//! Go's `regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` and `$$` in a replacement template.
//!
//! Entry point: [`expand`]. Go's rules, which differ from Rust's `Captures::expand`: a name is the
//! longest run of Unicode letters, digits and `_` (so `$1x` names the group `1x`); a name that is
//! all digits, below 10^8 and without a leading zero is a group number; an unknown or unmatched
//! group expands to nothing; a `$` that starts no valid reference is kept as a literal `$`.

use regex::Captures;

use super::regex::GoRegex;

/// Appends `template` to `dst` with every reference replaced by the group it names in `caps`.
pub fn expand(re: &GoRegex, caps: &Captures<'_>, template: &str, dst: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        dst.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            dst.push('$');
            rest = r;
            continue;
        }
        match extract(rest) {
            Some((name, after)) => {
                push_group(re, caps, name, dst);
                rest = after;
            }
            None => dst.push('$'),
        }
    }
    dst.push_str(rest);
}

/// True if `template` contains a `$` at all (Prometheus' `varInRegexTemplate`).
pub fn has_var(template: &str) -> bool {
    template.contains('$')
}

/// Splits a reference name off the text after a `$`: `name` or `{name}`.
fn extract(s: &str) -> Option<(&str, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body.chars().take_while(|&c| is_name_char(c)).map(char::len_utf8).sum();
    if len == 0 {
        return None;
    }
    let (name, after) = body.split_at(len);
    if !braced {
        return Some((name, after));
    }
    after.strip_prefix('}').map(|a| (name, a))
}

fn push_group(re: &GoRegex, caps: &Captures<'_>, name: &str, dst: &mut String) {
    let group = match group_number(name) {
        Some(n) => caps.get(n),
        None => re.groups_named(name).find_map(|i| caps.get(i)),
    };
    if let Some(m) = group {
        dst.push_str(m.as_str());
    }
}

/// Go reads a name as a number when it is all ASCII digits, has no leading zero and stays below 1e8.
fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    let mut n: usize = 0;
    for b in name.bytes() {
        if n >= 100_000_000 {
            return None;
        }
        n = n * 10 + usize::from(b - b'0');
    }
    Some(n)
}

/// Go's `unicode.IsLetter || unicode.IsDigit || '_'`: categories L* and Nd.
fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    static LETTER_OR_DIGIT: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{Nd}]$").expect("static regex"));
    LETTER_OR_DIGIT.is_match(c.encode_utf8(&mut [0; 4]))
}
