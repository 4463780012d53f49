//! Java regex syntax rewritten for the Rust engines, so a user's pattern means what
//! `java.util.regex.Pattern` makes of it: ASCII `\d \w \s \b` (Java's defaults), `.` that
//! skips Java's line terminators, `\Q..\E` quoting, escaped punctuation (`\"`) as literals,
//! and the Rust-only class operators `--`/`~~` escaped. Pure text work; no compiling here.

/// Whether a quantifier outside a character class is followed by `+` (possessive).
pub(super) fn possessive(java: &str) -> bool {
    let (mut chars, mut in_class, mut prev) = (java.chars(), 0usize, None);
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
                prev = None;
                continue;
            }
            '[' => in_class += 1,
            ']' if in_class > 0 => in_class -= 1,
            '+' if in_class == 0 && matches!(prev, Some('*' | '+' | '?' | '}')) => return true,
            _ => {}
        }
        prev = Some(c);
    }
    false
}

/// Java's `.` without DOTALL: anything but its line terminators (Rust's `.` only skips `\n`).
pub(super) const JAVA_DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";

/// Whether an inline flag group turns DOTALL on (`(?s)`, `(?is:...)`): `.` is then left alone.
fn dotall(java: &str) -> bool {
    java.match_indices("(?").any(|(i, _)| {
        let rest = &java[i + 2..];
        let len = rest.find(|c: char| !c.is_ascii_alphabetic() && c != '-').unwrap_or(rest.len());
        let on = rest[..len].split('-').next().unwrap_or("");
        matches!(rest[len..].chars().next(), Some(')' | ':')) && on.contains('s')
    })
}

/// Rewrites Java-only syntax into syntax both Rust engines read the same way Java does.
pub(super) fn translate(java: &str, fancy: bool) -> String {
    let dot = if dotall(java) { "." } else { JAVA_DOT };
    let mut out = String::with_capacity(java.len() + 8);
    let mut chars = java.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Q') => quote_literal(&mut chars, &mut out, in_class > 0),
                Some(e) => out.push_str(&escape(e, in_class > 0, fancy)),
                None => out.push('\\'),
            },
            '[' => {
                in_class += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            // `--`, `~~` and `&&` are set operators in the Rust engines; Java knows only `&&`.
            '.' if in_class == 0 => out.push_str(dot),
            '-' | '~' if in_class > 0 && chars.peek() == Some(&c) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

const W_END: &str = "(?<=[[:word:]])(?![[:word:]])";
const W_START: &str = "(?<![[:word:]])(?=[[:word:]])";

/// Java's escapes: ASCII shorthand classes, punctuation as itself, the rest passed through.
fn escape(e: char, in_class: bool, fancy: bool) -> String {
    let posix = match e {
        'd' => Some("digit"),
        'D' => Some("^digit"),
        'w' => Some("word"),
        'W' => Some("^word"),
        's' => Some("space"),
        'S' => Some("^space"),
        _ => None,
    };
    if let Some(p) = posix {
        return if in_class { format!("[:{p}:]") } else { format!("[[:{p}:]]") };
    }
    // Java's `\b` follows its ASCII `\w` (JDK 19+); Rust's is Unicode.
    // (fancy-regex has no `(?-u:...)`: the boundary is spelled with lookaround there.)
    match e {
        'b' | 'B' if !in_class && !fancy => return format!("(?-u:\\{e})"),
        'b' if !in_class => return format!("(?:{W_END}|{W_START})"),
        'B' if !in_class => return format!("(?!{W_END}|{W_START})"),
        _ => {}
    }
    if e.is_ascii_alphanumeric() || !e.is_ascii() {
        return format!("\\{e}");
    }
    literal(e, in_class)
}

fn literal(c: char, in_class: bool) -> String {
    let meta = if in_class { "\\[]^-&~" } else { "\\.+*?()|[]{}^$#&-~" };
    if meta.contains(c) { format!("\\{c}") } else { c.to_string() }
}

/// `\Q...\E`: everything up to `\E` (or the end) is literal.
fn quote_literal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String, in_class: bool) {
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'E') {
            chars.next();
            return;
        }
        out.push_str(&literal(c, in_class));
    }
}
