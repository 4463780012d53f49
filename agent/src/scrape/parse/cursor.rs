//! A cursor over one line of a body, with the token scanners both formats share.
//!
//! [`Cursor`] validates its line as UTF-8 once, then scans bytes; it never looks past its line
//! and never allocates on success. Failures carry a human-readable message that the parser
//! prefixes with the line number.

/// Internal failure: a message without the line number.
pub(super) type Fail = String;

/// Bytes that may start a metric name: `[a-zA-Z_:]`.
const NAME_START: u8 = 1;
/// Bytes that may continue a metric name: `[a-zA-Z0-9_:]`.
const NAME_CONT: u8 = 2;
/// Bytes that may start a label name: `[a-zA-Z_]`.
const LABEL_START: u8 = 4;
/// Bytes that may continue a label name: `[a-zA-Z0-9_]`.
const LABEL_CONT: u8 = 8;

static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        if alpha || b == b':' {
            t[c] |= NAME_START | NAME_CONT;
        }
        if alpha {
            t[c] |= LABEL_START | LABEL_CONT;
        }
        if b.is_ascii_digit() {
            t[c] |= NAME_CONT | LABEL_CONT;
        }
        c += 1;
    }
    t
}

/// A line already validated as UTF-8. Every position the cursor stops at is next to an ASCII
/// byte, hence a char boundary, so slicing `s` there cannot panic.
pub(super) struct Cursor<'a> {
    pub(super) s: &'a str,
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `line[from..]`, validated as UTF-8 (one pass, fast for ASCII).
    pub(super) fn new(line: &'a [u8], from: usize) -> Result<Self, Fail> {
        let b = &line[from..];
        match std::str::from_utf8(b) {
            Ok(s) => Ok(Cursor { s, b, i: 0 }),
            Err(e) => Err(format!("invalid UTF-8 at column {}", from + e.valid_up_to() + 1)),
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    /// `s[from..self.i]`.
    pub(super) fn since(&self, from: usize) -> &'a str {
        &self.s[from..self.i]
    }

    /// Consumes `c` (ASCII) if it is next.
    pub(super) fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += hit as usize;
        hit
    }

    /// Consumes `s` (ASCII) if it is next.
    pub(super) fn eat_str(&mut self, s: &str) -> bool {
        let hit = self.rest().starts_with(s);
        if hit {
            self.i += s.len();
        }
        hit
    }

    /// Skips spaces and tabs (text format whitespace).
    pub(super) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// A metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`, or `None` (nothing consumed).
    pub(super) fn metric_name(&mut self) -> Option<&'a str> {
        self.ident(NAME_START, NAME_CONT)
    }

    /// A label name `[a-zA-Z_][a-zA-Z0-9_]*`, or `None` (nothing consumed).
    pub(super) fn label_name(&mut self) -> Option<&'a str> {
        self.ident(LABEL_START, LABEL_CONT)
    }

    fn ident(&mut self, start: u8, cont: u8) -> Option<&'a str> {
        let from = self.i;
        if CLASS[*self.b.get(from)? as usize] & start == 0 {
            return None;
        }
        let len = self.b[from + 1..].iter().position(|&c| CLASS[c as usize] & cont == 0);
        self.i = len.map_or(self.b.len(), |n| from + 1 + n);
        Some(self.since(from))
    }

    /// The text up to (not including) the next ASCII byte for which `stop` holds, or to the end.
    pub(super) fn token(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let from = self.i;
        self.i = self.b[from..].iter().position(|&c| stop(c)).map_or(self.b.len(), |n| from + n);
        self.since(from)
    }

    /// The body of a quoted string, the opening `"` already consumed; consumes the closing one.
    /// Any `\x` escape is accepted here, as Prometheus' lexers do.
    pub(super) fn quoted(&mut self, what: &str) -> Result<&'a str, Fail> {
        let from = self.i;
        loop {
            // Label values are short: a plain loop beats `memchr2`'s set-up cost here.
            let Some(n) = self.b[self.i..].iter().position(|&c| c == b'"' || c == b'\\') else {
                return Err(format!("unexpected end of line in {what}"));
            };
            self.i += n + 1;
            if self.b[self.i - 1] == b'"' {
                return Ok(&self.s[from..self.i - 1]);
            }
            // Skip the escaped char, which may be multi-byte.
            match self.rest().chars().next() {
                Some(c) => self.i += c.len_utf8(),
                None => return Err(format!("unexpected end of line in escape sequence in {what}")),
            }
        }
    }
}

/// `raw` quoted for an error message, shortened if long.
pub(super) fn show(raw: impl AsRef<[u8]>) -> String {
    let raw = raw.as_ref();
    let s = String::from_utf8_lossy(&raw[..raw.len().min(64)]);
    let more = if raw.len() > 64 { "..." } else { "" };
    format!("{s:?}{more}")
}
