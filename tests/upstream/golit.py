"""Reads Go composite literals (the test tables of Prometheus' *_test.go files) into Python values.

Used by the port_*.py scripts beside it, which turn an upstream test table into a JSON fixture
for the Rust tests. Understands what those tables use: composite literals with or without a type
(`[]*Config{...}`, `map[string]string{...}`, `{...}`), keyed fields, calls (`labels.FromStrings(...)`,
`MustNewRegexp("...")`), interpreted and raw strings, numbers, `&x`, and dotted identifiers.
A value comes back as: str / int / float, ("ident", name), ("call", name, [args]),
("lit", type, [items]) where an item is (key, value) or (None, value).
"""

import re

TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?\*/'
    r'|(?P<raw>`[^`]*`)'
    r'|(?P<str>"(?:\\.|[^"\\\n])*")'
    r"|(?P<chr>'(?:\\.|[^'\\\n])+')"
    r'|(?P<num>-?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))'
    r'|(?P<id>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)'
    r'|(?P<op>\[\]|\*|&|[{}()\[\],:.+-])',
    re.S,
)


def go_unquote(s):
    """A Go interpreted string literal (with its quotes) as text."""
    out, i, body = [], 0, s[1:-1]
    simple = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
              '\\': '\\', '"': '"', "'": "'"}
    raw = bytearray()

    def flush():
        if raw:
            out.append(raw.decode('utf-8', errors='surrogateescape'))
            raw.clear()

    while i < len(body):
        c = body[i]
        if c != '\\':
            flush()
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            flush()
            out.append(simple[e])
            i += 2
        elif e == 'x':
            raw.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif e in '01234567':
            raw.append(int(body[i + 1:i + 4], 8))
            i += 4
        elif e in 'uU':
            n = 4 if e == 'u' else 8
            flush()
            out.append(chr(int(body[i + 2:i + 2 + n], 16)))
            i += 2 + n
        else:
            raise ValueError(f'unknown escape \\{e} in {s}')
    flush()
    return ''.join(out)


def tokens(src):
    out = []
    for m in TOKEN.finditer(src):
        kind = m.lastgroup
        if kind is None:
            continue
        out.append((kind, m.group(kind)))
    return out


class Parser:
    def __init__(self, src):
        self.t = tokens(src)
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def take(self, want=None):
        tok = self.t[self.i]
        if want is not None and tok[1] != want:
            raise ValueError(f'expected {want!r}, got {tok!r} at token {self.i}: {self.t[self.i-5:self.i+5]}')
        self.i += 1
        return tok

    def type_prefix(self):
        """Skips `[]*T`, `map[K]V`, `T` before a `{`; returns its text."""
        start = self.i
        text = ''
        while True:
            kind, v = self.peek()
            if v == '{':
                return text
            if v in ('[]', '*', '[', ']', '.') or kind == 'id':
                text += v
                self.i += 1
                continue
            self.i = start
            return None

    def value(self):
        kind, v = self.peek()
        if v == '&':
            self.take()
            return self.value()
        if v == '-' and self.peek(1)[0] == 'num':
            self.take()
            return -self.value()
        if kind == 'raw':
            self.take()
            val = v[1:-1]
        elif kind == 'str':
            self.take()
            val = go_unquote(v)
        elif kind == 'chr':
            self.take()
            val = go_unquote('"' + v[1:-1] + '"')
        elif kind == 'num':
            self.take()
            n = v.replace('_', '')
            val = int(n, 0) if re.fullmatch(r'-?(0[xX][0-9a-fA-F]+|\d+)', n) else float(n)
        elif v == '{':
            val = self.composite(None)
        else:
            typ = self.type_prefix()
            if typ is not None and self.peek()[1] == '{':
                val = self.composite(typ)
            else:
                kind, name = self.take()
                if self.peek()[1] == '(':
                    val = ('call', name, self.args())
                else:
                    val = ('ident', name)
        # String concatenation and a trailing `+ x`.
        while self.peek()[1] == '+':
            self.take()
            val = val + self.value()
        return val

    def args(self):
        self.take('(')
        out = []
        while self.peek()[1] != ')':
            out.append(self.value())
            if self.peek()[1] == ',':
                self.take()
        self.take(')')
        return out

    def composite(self, typ):
        self.take('{')
        items = []
        while self.peek()[1] != '}':
            if self.peek(1)[1] == ':' and self.peek()[0] in ('id', 'str', 'num'):
                k = self.value()
                self.take(':')
                items.append((k[1] if isinstance(k, tuple) else k, self.value()))
            else:
                items.append((None, self.value()))
            if self.peek()[1] == ',':
                self.take()
        self.take('}')
        return ('lit', typ, items)


def table(src, start_marker):
    """The composite literal right after `start_marker` (e.g. `tests := []struct {`): its items."""
    at = src.index(start_marker)
    # Skip the anonymous struct type: find its closing `}` then parse the `{...}` after it.
    depth, i = 0, src.index('{', at)
    while True:
        if src[i] == '{':
            depth += 1
        elif src[i] == '}':
            depth -= 1
            if depth == 0:
                break
        i += 1
    p = Parser(src[i + 1:])
    return p.composite(None)[2]


def fields(lit):
    """A keyed composite literal as a dict."""
    assert lit[0] == 'lit', lit
    return {k: v for k, v in lit[2]}
