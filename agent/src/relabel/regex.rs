//! Go RE2 regular expressions on top of Rust's `regex` crate, as Prometheus compiles them.
//!
//! Entry type: [`GoRegex`], built by [`GoRegex::new`] from the text of a relabel `regex:`. The
//! pattern is wrapped as `^(?s:re)$` (Prometheus 3's `relabel.NewRegexp`: `.` matches a newline)
//! and translated where Go's syntax means something else in Rust: Perl
//! classes and `\b` are ASCII-only in Go, `\Q..\E`, octal escapes and escaped punctuation are
//! literals, a `{` that is not a repeat is a literal, and `[` or `&&` inside a class is literal.
//! Named groups (`(?P<n>` or `(?<n>`) are renamed to `gN` so that every name Go accepts (`(?P<1x>..)`) compiles; the Go
//! names are kept for template expansion. This module never panics on user input.

use regex::Regex;

/// The wrapping Prometheus 3 applies (2.x had `^(?:`, without the `s` flag).
const ANCHOR_OPEN: &str = "^(?s:";
const ANCHOR_CLOSE: &str = ")$";

/// A compiled, anchored relabel regex and the Go names of its capture groups (index 0 unused).
#[derive(Clone, Debug)]
pub struct GoRegex {
    re: Regex,
    names: Vec<Option<String>>,
}

impl GoRegex {
    /// Compiles `source` as Prometheus would; the error reads like Go's `error parsing regexp: ...`.
    pub fn new(source: &str) -> Result<GoRegex, String> {
        let wrapped = format!("{ANCHOR_OPEN}{source}{ANCHOR_CLOSE}");
        let mut t = Translator { src: &wrapped, pos: 0, out: String::new(), names: vec![None], depth: 0, atom: false };
        t.pattern().map_err(|e| format!("error parsing regexp: {e}"))?;
        let re = Regex::new(&t.out).map_err(|e| format!("error parsing regexp: {}", first_line(&e.to_string())))?;
        let mut names = t.names;
        names.resize(re.captures_len(), None);
        Ok(GoRegex { re, names })
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    /// The compiled regex, for capture extraction.
    pub fn regex(&self) -> &Regex {
        &self.re
    }

    /// The index of the first group named `name` (Go's lookup order), if any.
    pub fn groups_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.names.iter().enumerate().filter(move |(_, n)| n.as_deref() == Some(name)).map(|(i, _)| i)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().rev().find(|l| l.starts_with("error:")).map(|l| l.trim_start_matches("error: ")).unwrap_or(s)
}

/// Walks a Go pattern (already anchored, so that error texts quote what Go quotes) and writes the
/// equivalent Rust pattern.
struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    names: Vec<Option<String>>,
    /// Open groups.
    depth: usize,
    /// Whether a repetition operator here has something to repeat.
    atom: bool,
}

const ASCII_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word",
    "xdigit",
];

const D: &str = "0-9";
const S: &str = "\\t\\n\\x0C\\r ";
const W: &str = "0-9A-Za-z_";

impl<'a> Translator<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn pattern(&mut self) -> Result<(), String> {
        while let Some(c) = self.bump() {
            let atom = !matches!(c, '(' | '|');
            match c {
                '\\' => self.escape(false)?,
                '[' => self.class()?,
                '(' => self.group()?,
                ')' => self.close_group()?,
                '{' => self.brace()?,
                '}' | ']' => push_literal(&mut self.out, c),
                '*' | '+' | '?' => self.repeat_op(c)?,
                c => self.out.push(c),
            }
            self.atom = atom;
        }
        if self.depth > 0 {
            return Err(format!("missing closing ): `{}`", self.src));
        }
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), String> {
        if self.depth == 0 {
            return Err(format!("unexpected ): `{}`", self.src));
        }
        self.depth -= 1;
        self.out.push(')');
        Ok(())
    }

    fn repeat_op(&mut self, c: char) -> Result<(), String> {
        if !self.atom {
            return Err(format!("missing argument to repetition operator: `{c}`"));
        }
        self.out.push(c);
        self.after_repeat(self.pos - 1)
    }

    /// Go rejects `**`, `+?*`, `a{2}{3}` and the like: a repetition of a repetition.
    fn after_repeat(&mut self, start: usize) -> Result<(), String> {
        if self.peek() == Some('?') {
            self.bump();
            self.out.push('?');
        }
        if let Some(n @ ('*' | '+' | '?')) = self.peek() {
            return Err(format!("invalid nested repetition operator: `{}{n}`", &self.src[start..self.pos]));
        }
        if let Some(len) = repeat_len(self.rest()) {
            return Err(format!("invalid nested repetition operator: `{}`", &self.src[start..self.pos + len]));
        }
        Ok(())
    }

    /// `{n}`, `{n,}` and `{n,m}` are repeats (bounded by 1000); any other `{` is a literal.
    fn brace(&mut self) -> Result<(), String> {
        let start = self.pos - 1;
        let Some(len) = repeat_len(&self.src[start..]) else {
            self.out.push_str("\\{");
            return Ok(());
        };
        let text = &self.src[start..start + len];
        if !self.atom {
            return Err(format!("missing argument to repetition operator: `{text}`"));
        }
        if !repeat_bounds_ok(text) {
            return Err(format!("invalid repeat count: `{text}`"));
        }
        self.out.push_str(text);
        self.pos = start + len;
        self.after_repeat(start)
    }

    fn group(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.peek() != Some('?') {
            self.out.push('(');
            self.names.push(None);
            return Ok(());
        }
        self.bump();
        // `(?P<name>` and, since Go 1.22, `(?<name>`.
        let open = self.pos - 2;
        if self.rest().starts_with("P<") {
            self.pos += 2;
            return self.named_group(open);
        }
        if self.rest().starts_with('<') {
            self.pos += 1;
            return self.named_group(open);
        }
        self.flags_group()
    }

    /// A named group whose `(` is at `open`; the name starts at `self.pos`.
    fn named_group(&mut self, open: usize) -> Result<(), String> {
        let Some(end) = self.rest().find('>') else {
            return Err(format!("invalid named capture: `{}`", &self.src[open..]));
        };
        let name = &self.rest()[..end];
        if name.is_empty() || !name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()) {
            return Err(format!("invalid named capture: `{}`", &self.src[open..self.pos + end + 1]));
        }
        self.names.push(Some(name.to_string()));
        self.out.push_str(&format!("(?P<g{}>", self.names.len() - 1));
        self.pos += end + 1;
        Ok(())
    }

    /// `(?flags)` or `(?flags:` with Go's flags `imsU` and one `-`; re-emitted without repeats,
    /// which Rust rejects and Go allows (a flag both set and cleared ends up cleared).
    fn flags_group(&mut self) -> Result<(), String> {
        let start = self.pos - 2;
        let (mut on, mut off, mut negated, mut saw_flag) = (String::new(), String::new(), false, false);
        while let Some(c) = self.bump() {
            match c {
                'i' | 'm' | 's' | 'U' => {
                    let set = if negated { &mut off } else { &mut on };
                    if !set.contains(c) {
                        set.push(c);
                    }
                    saw_flag = true;
                }
                '-' if !negated => (negated, saw_flag) = (true, false),
                ':' | ')' if !negated || saw_flag => {
                    on.retain(|f| !off.contains(f));
                    self.emit_flags(&on, &off, c);
                    return Ok(());
                }
                _ => break,
            }
        }
        Err(format!("invalid or unsupported Perl syntax: `{}`", &self.src[start..self.pos]))
    }

    fn emit_flags(&mut self, on: &str, off: &str, end: char) {
        if end == ')' {
            self.depth -= 1;
        }
        if on.is_empty() && off.is_empty() {
            if end == ':' {
                self.out.push_str("(?:");
            }
            return;
        }
        let off = if off.is_empty() { String::new() } else { format!("-{off}") };
        self.out.push_str(&format!("(?{on}{off}{end}"));
    }

    fn class(&mut self) -> Result<(), String> {
        let start = self.pos - 1;
        self.out.push('[');
        if self.peek() == Some('^') {
            self.bump();
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.bump() else {
                return Err(format!("missing closing ]: `{}`", &self.src[start..]));
            };
            match c {
                ']' if !first => {
                    self.out.push(']');
                    return Ok(());
                }
                '[' if self.rest().starts_with(':') => self.ascii_class()?,
                '\\' => self.escape(true)?,
                '[' | '&' | '~' | ']' => {
                    self.out.push('\\');
                    self.out.push(c);
                }
                '-' if self.rest().starts_with('-') => self.out.push_str("\\-"),
                c => self.class_char(c)?,
            }
            first = false;
        }
    }

    /// A plain character in a class, checking a plain `lo-hi` range as Go does.
    fn class_char(&mut self, c: char) -> Result<(), String> {
        let mut it = self.rest().chars();
        if let (Some('-'), Some(hi)) = (it.next(), it.next())
            && !matches!(hi, ']' | '\\' | '[')
            && hi < c
        {
            return Err(format!("invalid character class range: `{c}-{hi}`"));
        }
        self.out.push(c);
        Ok(())
    }

    /// `[:alpha:]` inside a class: same in Rust; an unknown name is an error, and a `[:` without
    /// `:]` is literal text.
    fn ascii_class(&mut self) -> Result<(), String> {
        let Some(end) = self.rest().find(":]") else {
            self.out.push_str("\\[");
            return Ok(());
        };
        let text = &self.src[self.pos - 1..self.pos + end + 2];
        let name = text.trim_start_matches("[:").trim_start_matches('^').trim_end_matches(":]");
        if !ASCII_CLASSES.contains(&name) {
            return Err(format!("invalid character class range: `{text}`"));
        }
        self.out.push_str(text);
        self.pos += end + 2;
        Ok(())
    }

    fn escape(&mut self, in_class: bool) -> Result<(), String> {
        let Some(c) = self.bump() else {
            return Err("trailing backslash at end of expression: ``".into());
        };
        match c {
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => self.perl_class(c),
            'b' | 'B' if !in_class => self.out.push_str(&format!("(?-u:\\{c})")),
            'A' | 'z' if !in_class => {
                self.out.push('\\');
                self.out.push(c);
            }
            'Q' if !in_class => self.quoted(),
            'p' | 'P' => self.unicode_class(c)?,
            'a' | 'f' | 't' | 'n' | 'r' | 'v' => {
                self.out.push('\\');
                self.out.push(c);
            }
            'x' => self.hex()?,
            '0'..='7' => self.octal(c)?,
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => push_literal(&mut self.out, c),
            c => return Err(format!("invalid escape sequence: `\\{c}`")),
        }
        Ok(())
    }

    /// Go's ASCII-only Perl classes; a bracketed set is valid inside a Rust class too.
    fn perl_class(&mut self, c: char) {
        let set = match c.to_ascii_lowercase() {
            'd' => D,
            's' => S,
            _ => W,
        };
        let neg = if c.is_ascii_uppercase() { "^" } else { "" };
        self.out.push_str(&format!("[{neg}{set}]"));
    }

    fn quoted(&mut self) {
        let (lit, used) = match self.rest().find("\\E") {
            Some(end) => (&self.rest()[..end], end + 2),
            None => (self.rest(), self.rest().len()),
        };
        for c in lit.chars() {
            push_literal(&mut self.out, c);
        }
        self.pos += used;
    }

    /// `\pL`, `\p{Greek}`, `\p{^Greek}`, `\PL`: Go knows only general categories, scripts and
    /// `Any`, spelled exactly.
    fn unicode_class(&mut self, c: char) -> Result<(), String> {
        let start = self.pos - 2;
        let (name, len) = match self.peek() {
            Some('{') => match self.rest().find('}') {
                Some(end) => (&self.rest()[1..end], end + 1),
                None => return Err(format!("invalid character class range: `{}`", &self.src[start..])),
            },
            Some(ch) => (&self.rest()[..ch.len_utf8()], ch.len_utf8()),
            None => return Err(format!("invalid character class range: `{}`", &self.src[start..])),
        };
        self.pos += len;
        let (negated, name) = match name.strip_prefix('^') {
            Some(n) => (c == 'p', n),
            None => (c == 'P', name),
        };
        if !is_go_unicode_class(name) {
            return Err(format!("invalid character class range: `{}`", &self.src[start..self.pos]));
        }
        self.out.push_str(&format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }));
        Ok(())
    }

    /// `\xHH` or `\x{H...}`; on error Go quotes the text up to the offending character.
    fn hex(&mut self) -> Result<(), String> {
        let start = self.pos - 2;
        let braced = self.peek() == Some('{');
        if braced {
            self.bump();
        }
        let mut v: u32 = 0;
        let mut n = 0;
        while let Some(c) = self.bump() {
            if braced && c == '}' && n > 0 {
                push_literal(&mut self.out, char::from_u32(v).unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            match c.to_digit(16) {
                Some(d) if v * 16 + d <= 0x10FFFF => v = v * 16 + d,
                _ if !braced && n == 0 => {
                    self.bump();
                    break;
                }
                _ => break,
            }
            n += 1;
            if !braced && n == 2 {
                push_literal(&mut self.out, char::from_u32(v).unwrap_or('\u{FFFD}'));
                return Ok(());
            }
        }
        Err(bad_escape(&self.src[start..self.pos]))
    }

    /// Go: `\0` and `\1`..`\7` followed by a digit start an octal escape of up to three digits;
    /// a lone `\1`..`\7` is a backreference, which RE2 rejects.
    fn octal(&mut self, first: char) -> Result<(), String> {
        let start = self.pos - 2;
        if first != '0' && !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(bad_escape(&self.src[start..self.pos]));
        }
        let mut v = first.to_digit(8).unwrap_or(0);
        for _ in 0..2 {
            match self.peek().and_then(|c| c.to_digit(8)) {
                Some(d) => {
                    v = v * 8 + d;
                    self.bump();
                }
                None => break,
            }
        }
        push_literal(&mut self.out, char::from_u32(v).unwrap_or('\0'));
        Ok(())
    }
}

fn bad_escape(s: &str) -> String {
    format!("invalid escape sequence: `{s}`")
}

/// Writes `c` so that Rust reads it as that literal character, inside or outside a class.
/// Only Rust's meta characters get a backslash: `\<` and `\>` are assertions in Rust.
fn push_literal(out: &mut String, c: char) {
    if c.is_control() || c == ' ' {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    } else {
        out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    }
}

const CATEGORIES: [&str; 38] = [
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P",
    "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs", "Any", "LC",
];

/// A Go Unicode class name: a general category, `Any`, or a script name as Go spells it.
fn is_go_unicode_class(name: &str) -> bool {
    if CATEGORIES.contains(&name) {
        return name != "LC";
    }
    let spelled_like_go = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    spelled_like_go && Regex::new(&format!("\\p{{sc={name}}}")).is_ok()
}

/// Go caps both bounds at 1000 and wants `min <= max`.
fn repeat_bounds_ok(text: &str) -> bool {
    let inner = &text[1..text.len() - 1];
    let (lo, hi) = inner.split_once(',').unwrap_or((inner, inner));
    let lo: Option<u32> = lo.parse().ok();
    let hi: Option<u32> = if hi.is_empty() { lo } else { hi.parse().ok() };
    matches!((lo, hi), (Some(l), Some(h)) if l <= 1000 && h <= 1000 && l <= h)
}

/// The length of a Go repeat `{n}`, `{n,}` or `{n,m}` at the start of `s`, if it is one.
fn repeat_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let inner = &body[..end];
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(lo) || hi.is_some_and(|h| !h.is_empty() && !digits(h)) {
        return None;
    }
    Some(end + 2)
}
