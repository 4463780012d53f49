//! Target URLs exactly as Prometheus forms and requests them: `url.URL{Scheme, Host, Path,
//! RawQuery}.String()` (Go's `net/url`), then `http.NewRequest` parsing that string back.
//!
//! Entry points: [`format`] builds the string from the parts (the path is escaped as a path and
//! the host as a host, so neither `@`, `//`, `?`, `#` nor a scheme in a label can move the
//! request to another host); [`encode_query`] is Go's `url.Values.Encode`; [`request_uri`] turns
//! a URL string into the request's URI with Go's checks and error texts (`invalid URL escape
//! "%40"` for an address holding `user@`, `unsupported protocol scheme "javascript"`);
//! [`redact`] hides the password of a `user:pass@` before anything is logged or shown.

use std::borrow::Cow;

/// Go's `shouldEscape` modes we use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    QueryComponent,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::QueryComponent => true,
            // Reserved characters a host does not allow (`/`, `?`, `@`) are escaped.
            Mode::Host => true,
        },
        _ => true,
    }
}

/// Go's `escape(s, mode)`.
fn escape(s: &str, mode: Mode) -> Cow<'_, str> {
    if !s.bytes().any(|c| should_escape(c, mode)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.bytes() {
        if c == b' ' && mode == Mode::QueryComponent {
            out.push('+');
        } else if should_escape(c, mode) {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
        } else {
            out.push(char::from(c));
        }
    }
    Cow::Owned(out)
}

/// `url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: query}.String()`. One deviation:
/// Go writes the scheme as it is, so a `__scheme__` of `http://other/#` would make the string
/// name another host; a scheme that is not a scheme (RFC 3986: a letter, then letters, digits,
/// `+`, `-`, `.`) is percent-encoded here, and the request then fails.
pub fn format(scheme: &str, host: &str, path: &str, query: &str) -> String {
    let mut out = String::with_capacity(scheme.len() + host.len() + path.len() + query.len() + 8);
    if !scheme.is_empty() {
        if is_scheme(scheme) {
            out.push_str(scheme);
        } else {
            out.push_str(&escape(scheme, Mode::QueryComponent).replace('+', "%20"));
        }
        out.push(':');
    }
    if !scheme.is_empty() || !host.is_empty() {
        if !host.is_empty() || !path.is_empty() {
            out.push_str("//");
        }
        out.push_str(&escape(host, Mode::Host));
    }
    let path = if path == "*" { Cow::Borrowed("*") } else { escape(path, Mode::Path) };
    if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
        out.push('/');
    }
    if out.is_empty() && path.split('/').next().is_some_and(|seg| seg.contains(':')) {
        out.push_str("./");
    }
    out.push_str(&path);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Go's `url.Values.Encode` of `params` already sorted by name (values of one name in order).
pub fn encode_query(params: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&escape(name, Mode::QueryComponent));
        out.push('=');
        out.push_str(&escape(value, Mode::QueryComponent));
    }
    out
}

/// Go's `unescape` for a host or a path: `%XX` must be well formed, and in a host may only stand
/// for a non-ASCII byte (or be `%25`); a host may not hold characters Go would have escaped.
fn check_escapes(s: &str, host: bool) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let seq = &s[i..(i + 3).min(s.len())];
                let hex = |c: Option<&u8>| c.is_some_and(u8::is_ascii_hexdigit);
                if !hex(b.get(i + 1)) || !hex(b.get(i + 2)) || (host && b[i + 1] < b'8' && seq != "%25") {
                    return Err(format!("invalid URL escape {seq:?}"));
                }
                i += 3;
            }
            c if host && c < 0x80 && should_escape(c, Mode::Host) => {
                return Err(format!("invalid character {:?} in host name", char::from(c)));
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Go's `validOptionalPort` of what follows the host.
fn valid_port(port: &str) -> bool {
    port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Go's `parseHost`.
fn check_host(host: &str) -> Result<(), String> {
    let port = if host.starts_with('[') {
        let end = host.rfind(']').ok_or("missing ']' in host")?;
        &host[end + 1..]
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    if !valid_port(port) {
        return Err(format!("invalid port {port:?} after host"));
    }
    check_escapes(host, true)
}

/// The URI `http.NewRequest(GET, url)` and `Client.Do` would request, or Go's reason not to.
/// Errors quote the URL as given: pass a [`redact`]ed one.
pub fn request_uri(url: &str) -> Result<http::Uri, String> {
    let parse_err = |why: String| format!("parse {url:?}: {why}");
    if url.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(parse_err("net/url: invalid control character in URL".into()));
    }
    let url_no_frag = url.split('#').next().unwrap_or_default();
    let (scheme, rest) = split_scheme(url_no_frag).map_err(|e| parse_err(e.into()))?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) if !scheme.is_empty() => r.split_at(r.find('/').unwrap_or(r.len())),
        _ if !scheme.is_empty() && !rest.starts_with('/') => ("", ""), // opaque: no host
        _ => ("", rest),
    };
    if authority.contains('@') {
        return Err(parse_err("credentials in the URL are not supported: use basic_auth".into()));
    }
    check_host(authority).map_err(parse_err)?;
    check_escapes(path, false).map_err(parse_err)?;
    let get_err = |why: String| format!("Get {url:?}: {why}");
    if scheme != "http" && scheme != "https" {
        return Err(get_err(format!("unsupported protocol scheme {scheme:?}")));
    }
    if authority.is_empty() {
        return Err(get_err("http: no Host in request URL".into()));
    }
    if !authority.is_ascii() || authority.contains('%') {
        return Err(get_err(format!("unsupported host {authority:?}")));
    }
    // An empty port is the scheme's default (Go's `canonicalAddr`).
    let authority = authority.strip_suffix(':').unwrap_or(authority);
    let path = if path.is_empty() { "/" } else { path };
    let query = if query.is_empty() { String::new() } else { format!("?{}", escape_request_bytes(query)) };
    let target = format!("{scheme}://{authority}{}{query}", escape_request_bytes(path));
    target.parse().map_err(|e| get_err(format!("{e}")))
}

fn is_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic()) && b.all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
}

/// Go's `getScheme`: `("", s)` when `s` does not start with a scheme.
fn split_scheme(s: &str) -> Result<(&str, &str), &'static str> {
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme"),
            b':' => return Ok((&s[..i], &s[i + 1..])),
            _ => return Ok(("", s)),
        }
    }
    Ok(("", s))
}

/// Bytes Go writes into a request line as they are but `http::Uri` refuses (quotes, braces,
/// non-ASCII, ...), percent-encoded.
fn escape_request_bytes(s: &str) -> Cow<'_, str> {
    let ok = |b: u8| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b);
    if s.bytes().all(ok) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if ok(b) { out.push(char::from(b)) } else { out.push_str(&format!("%{b:02X}")) }
    }
    Cow::Owned(out)
}

/// `s` (a URL or a `host:port` address) with the password of a `user:pass@` replaced by
/// `xxxxx`, as Go's `URL.Redacted` does; the `@` may be escaped (`%40`).
pub fn redact(s: &str) -> Cow<'_, str> {
    if !s.contains('@') && !s.contains("%40") {
        return Cow::Borrowed(s);
    }
    let start = s.find("://").map_or(0, |i| i + 3);
    let end = s[start..].find(['/', '?', '#']).map_or(s.len(), |i| start + i);
    let authority = &s[start..end];
    let at = match (authority.rfind('@'), authority.rfind("%40")) {
        (Some(a), Some(e)) => a.max(e),
        (a, e) => match a.or(e) {
            Some(i) => i,
            None => return Cow::Borrowed(s),
        },
    };
    let Some(colon) = authority[..at].find(':') else { return Cow::Borrowed(s) };
    Cow::Owned(format!("{}xxxxx{}", &s[..start + colon + 1], &s[start + at..]))
}

#[cfg(test)]
mod tests;
