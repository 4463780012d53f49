//! Writing Prometheus text exposition (format 0.0.4) without getting the escaping wrong.

use std::fmt::Write;

/// A text exposition being written. Families should be written together: `help`/`type_` once,
/// then their samples.
#[derive(Debug, Default)]
pub struct Exposition {
    buf: String,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// `# HELP name text`.
    pub fn help(&mut self, name: &str, text: &str) -> &mut Self {
        let text = text.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.buf, "# HELP {} {text}", sanitize_name(name));
        self
    }

    /// `# TYPE name kind`; `kind` is `counter`, `gauge`, `summary`, `histogram` or `untyped`.
    pub fn type_(&mut self, name: &str, kind: &str) -> &mut Self {
        let _ = writeln!(self.buf, "# TYPE {} {kind}", sanitize_name(name));
        self
    }

    /// One sample. Invalid characters in the metric and label names become `_`.
    pub fn sample<K: AsRef<str>, V: AsRef<str>>(&mut self, name: &str, labels: &[(K, V)], value: f64) -> &mut Self {
        self.buf.push_str(&sanitize_name(name));
        if !labels.is_empty() {
            self.buf.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.buf.push(',');
                }
                let _ = write!(self.buf, "{}=\"{}\"", sanitize_label(k.as_ref()), escape_value(v.as_ref()));
            }
            self.buf.push('}');
        }
        let _ = writeln!(self.buf, " {}", fmt_value(value));
        self
    }

    /// Appends exposition text written elsewhere (whole families, e.g. a rules engine's output);
    /// a missing final newline is added.
    pub fn text(&mut self, exposition: &str) -> &mut Self {
        self.buf.push_str(exposition);
        if !exposition.is_empty() && !exposition.ends_with('\n') {
            self.buf.push('\n');
        }
        self
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

/// A valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, other characters replaced by `_`.
pub fn sanitize_name(name: &str) -> String {
    sanitize(name, true)
}

/// A valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn sanitize_label(name: &str) -> String {
    sanitize(name, false)
}

fn sanitize(name: &str, colon: bool) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':') { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn escape_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_families_with_escaped_labels() {
        let mut e = Exposition::new();
        e.help("http.requests", "Requests\nserved.").type_("http.requests", "counter");
        e.sample("http.requests", &[("code", "200"), ("path", "a\"b\\")], 3.0);
        e.sample("up", &[] as &[(&str, &str)], f64::NAN);
        assert_eq!(
            e.as_str(),
            "# HELP http_requests Requests\\nserved.\n# TYPE http_requests counter\n\
             http_requests{code=\"200\",path=\"a\\\"b\\\\\"} 3\nup NaN\n"
        );
    }

    #[test]
    fn appends_text_with_a_final_newline() {
        let mut e = Exposition::new();
        e.text("a 1").text("").text("b 2\n");
        assert_eq!(e.as_str(), "a 1\nb 2\n");
    }

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("9lives-total"), "_9lives_total");
        assert_eq!(sanitize_label("a:b"), "a_b");
    }
}
