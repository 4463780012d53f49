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

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    #[inline]
    pub(super) fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    /// `s[from..self.i]`.
    #[inline]
    pub(super) fn since(&self, from: usize) -> &'a str {
        &self.s[from..self.i]
    }

    /// Consumes `c` (ASCII) if it is next.
    #[inline]
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
    #[inline]
    pub(super) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// A metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`, or `None` (nothing consumed).
    #[inline]
    pub(super) fn metric_name(&mut self) -> Option<&'a str> {
        self.ident(NAME_START, NAME_CONT)
    }

    /// A label name `[a-zA-Z_][a-zA-Z0-9_]*`, or `None` (nothing consumed).
    #[inline]
    pub(super) fn label_name(&mut self) -> Option<&'a str> {
        self.ident(LABEL_START, LABEL_CONT)
    }

    #[inline]
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
    #[inline]
    pub(super) fn token(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let from = self.i;
        self.i = self.b[from..].iter().position(|&c| stop(c)).map_or(self.b.len(), |n| from + n);
        self.since(from)
    }

    /// The body of a quoted string, the opening `"` already consumed; consumes the closing one.
    /// Any `\x` escape is accepted, as Prometheus' lexers do (`\"(\\.|[^\\"])*\"`); only `\\`,
    /// `\"` and `\n` mean something ([`super::labelset`] unescapes them), any other stays as
    /// written.
    #[inline]
    pub(super) fn quoted(&mut self, what: &str) -> Result<&'a str, Fail> {
        let from = self.i;
        loop {
            let Some(n) = find_quote_or_backslash(&self.b[self.i..]) else {
                return Err(format!("unexpected end of line in {what}"));
            };
            self.i += n + 1;
            if self.b[self.i - 1] == b'"' {
                return Ok(&self.s[from..self.i - 1]);
            }
            // The escaped byte; a multi-byte character's other bytes are neither `"` nor `\\`.
            if self.i >= self.b.len() {
                return Err(format!("unexpected end of line in escape sequence in {what}"));
            }
            self.i += 1;
        }
    }

    /// A metric name, plain or quoted (`"my.metric"`, Prometheus 3's UTF-8 syntax): the name as
    /// written (a quoted one without its quotes, escapes left in), or `None` (nothing consumed).
    pub(super) fn any_metric_name(&mut self) -> Result<Option<&'a str>, Fail> {
        if self.eat(b'"') {
            return self.quoted("metric name").map(Some);
        }
        Ok(self.metric_name())
    }
}

/// The first `"` or `\\` in `b`. Label values are short, so eight bytes at a time in a `u64`
/// (SWAR) beats both a byte loop and `memchr2`'s set-up cost.
#[inline]
fn find_quote_or_backslash(b: &[u8]) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = b.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // The lowest flagged byte is always a true match (borrows only run upwards).
        let m = has_zero(w ^ (LO * u64::from(b'"'))) | has_zero(w ^ (LO * u64::from(b'\\')));
        if m != 0 {
            return Some(k * 8 + (m.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    tail.iter().position(|&c| c == b'"' || c == b'\\').map(|n| b.len() - tail.len() + n)
}

/// `raw` quoted for an error message, shortened if long.
pub(super) fn show(raw: impl AsRef<[u8]>) -> String {
    let raw = raw.as_ref();
    let s = String::from_utf8_lossy(&raw[..raw.len().min(64)]);
    let more = if raw.len() > 64 { "..." } else { "" };
    format!("{s:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::find_quote_or_backslash;

    #[test]
    fn swar_search_finds_the_first_quote_or_backslash() {
        let alphabet = [b'a', b'"', b'\\', 0x80, 0xff, 0x21, 0x5b, 0x5d, 0x00];
        for len in 0..40usize {
            for seed in 0..60usize {
                let b: Vec<u8> = (0..len).map(|i| alphabet[(i * 7 + seed * 13 + i * i * seed) % 9]).collect();
                let want = b.iter().position(|&c| c == b'"' || c == b'\\');
                assert_eq!(find_quote_or_backslash(&b), want, "{b:?}");
            }
        }
    }

    #[test]
    fn swar_search_finds_a_lone_match_at_every_position_among_near_misses() {
        for filler in [b'a', 0x23, 0x5d, 0x21, 0x5b, 0xff, 0x00, 0x01, 0x80] {
            for len in 0..40usize {
                assert_eq!(find_quote_or_backslash(&vec![filler; len]), None);
                for pos in 0..len {
                    for hit in [b'"', b'\\'] {
                        let mut b = vec![filler; len];
                        b[pos] = hit;
                        assert_eq!(find_quote_or_backslash(&b), Some(pos), "{b:?}");
                    }
                }
            }
        }
    }
}
