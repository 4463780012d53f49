//! Writing Prometheus text exposition (format 0.0.4) without getting the escaping wrong.

use std::fmt::Write;

/// A text exposition being written. Write each family's samples together: its `help` first
/// (optional), then its samples.
///
/// ```
/// # use scrapelet_plugin_sdk::Exposition;
/// let mut out = Exposition::new();
/// out.help("app_uptime_seconds", "Time since start.").gauge("app_uptime_seconds", 12.5);
/// out.counter("app_requests_total", 42.0);
/// out.gauge_with("app_queue_depth", &[("queue", "a")], 3.0);
/// out.gauge_with("app_queue_depth", &[("queue", "b")], 7.0);
/// let expected = [
///     "# HELP app_uptime_seconds Time since start.",
///     "# TYPE app_uptime_seconds gauge",
///     "app_uptime_seconds 12.5",
///     "# TYPE app_requests_total counter",
///     "app_requests_total 42",
///     "# TYPE app_queue_depth gauge",
///     "app_queue_depth{queue=\"a\"} 3",
///     "app_queue_depth{queue=\"b\"} 7",
/// ];
/// assert_eq!(out.as_str().lines().collect::<Vec<_>>(), expected);
/// ```
#[derive(Debug, Default)]
pub struct Exposition {
    buf: String,
    /// Families whose `# TYPE` line is written (a second one would fail the scrape).
    typed: Vec<String>,
}

/// No labels, for [`Exposition::sample`]: `out.sample("up", NO_LABELS, 1.0)`.
pub const NO_LABELS: &[(&str, &str)] = &[];

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
    /// Written once per name: later calls for the same name write nothing.
    pub fn type_(&mut self, name: &str, kind: &str) -> &mut Self {
        let name = sanitize_name(name);
        if !self.typed.contains(&name) {
            let _ = writeln!(self.buf, "# TYPE {name} {kind}");
            self.typed.push(name);
        }
        self
    }

    /// A gauge sample without labels (`# TYPE name gauge` before the family's first sample).
    pub fn gauge(&mut self, name: &str, value: f64) -> &mut Self {
        self.gauge_with(name, NO_LABELS, value)
    }

    /// A gauge sample with labels, e.g. `&[("queue", name.as_str())]`.
    pub fn gauge_with<K: AsRef<str>, V: AsRef<str>>(&mut self, name: &str, labels: &[(K, V)], value: f64) -> &mut Self {
        self.type_(name, "gauge").sample(name, labels, value)
    }

    /// A counter sample without labels (`# TYPE name counter` before the family's first
    /// sample). Name counters `..._total`.
    pub fn counter(&mut self, name: &str, value: f64) -> &mut Self {
        self.counter_with(name, NO_LABELS, value)
    }

    /// A counter sample with labels.
    pub fn counter_with<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        name: &str,
        labels: &[(K, V)],
        value: f64,
    ) -> &mut Self {
        self.type_(name, "counter").sample(name, labels, value)
    }

    /// One sample (untyped unless [`Exposition::type_`] named its family). Invalid characters in
    /// the metric and label names become `_`. Without labels pass [`NO_LABELS`] (a bare `&[]`
    /// does not say which string type it holds), or use [`Exposition::gauge`] or
    /// [`Exposition::counter`].
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
        e.sample("up", NO_LABELS, f64::NAN);
        assert_eq!(
            e.as_str(),
            "# HELP http_requests Requests\\nserved.\n# TYPE http_requests counter\n\
             http_requests{code=\"200\",path=\"a\\\"b\\\\\"} 3\nup NaN\n"
        );
    }

    #[test]
    fn typed_helpers_write_one_type_line_per_family() {
        let mut e = Exposition::new();
        let queues = [("a".to_string(), 3.0), ("b".to_string(), 7.0)];
        for (q, depth) in &queues {
            e.gauge_with("queue-depth", &[("queue", q)], *depth);
        }
        e.counter("requests_total", 1.0).type_("requests_total", "gauge");
        assert_eq!(
            e.as_str(),
            "# TYPE queue_depth gauge\nqueue_depth{queue=\"a\"} 3\nqueue_depth{queue=\"b\"} 7\n\
             # TYPE requests_total counter\nrequests_total 1\n"
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
