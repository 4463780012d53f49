//! `scrapelet relabel --rules FILE`: applies relabel rules to label sets read one per line.
//!
//! Entry point: [`run`]. FILE is a YAML list of relabel configs, as it would sit under
//! `relabel_configs:`. Each input line is a label set `{name="value",...}` with exposition-format
//! escaping (`\\`, `\"`, `\n`); `__name__` is an ordinary label, and `metric{...}` or a bare
//! `metric` is accepted as a shorthand for it. For every input line exactly one line is written,
//! so output and input line up:
//! - the relabelled set, sorted by name, no spaces (`{a="1",b="2"}`), or `DROPPED`;
//! - an empty line for an empty (or all-blank) input line;
//! - an empty line for a malformed input line, whose error (with its 1-based line number) goes to
//!   stderr; processing continues with the next line.
//!
//! Invalid rules are an error naming each bad rule (`relabel_configs[i]`), its line and the reason;
//! nothing is read from the input then.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::config::yaml::{self, ConfigError, Errors};
use crate::labels::Labels;
use crate::relabel::{self, RelabelConfig};

/// Why `scrapelet relabel` could not run.
#[derive(Debug, thiserror::Error)]
pub enum RelabelCliError {
    #[error("cannot read rules file {}: {source}", path.display())]
    ReadRules { path: PathBuf, source: io::Error },
    #[error("{}: {error}", path.display())]
    ParseRules { path: PathBuf, error: ConfigError },
    #[error("{}: invalid relabel rules:\n{}", path.display(), list(errors))]
    InvalidRules { path: PathBuf, errors: Vec<ConfigError> },
    #[error("reading input: {0}")]
    Input(io::Error),
    #[error("writing output: {0}")]
    Output(io::Error),
}

fn list(errors: &[ConfigError]) -> String {
    errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
}

/// Reads the rules at `rules_path`, then relabels every line of `input` onto `output`.
pub fn run(rules_path: &Path, input: impl BufRead, mut output: impl Write) -> Result<(), RelabelCliError> {
    let rules = load_rules(rules_path)?;
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(RelabelCliError::Input)?;
        let out = match relabel_line(&line, &rules) {
            Ok(out) => out,
            Err(e) => {
                eprintln!("line {}: {e}", i + 1);
                String::new()
            }
        };
        writeln!(output, "{out}").map_err(RelabelCliError::Output)?;
    }
    output.flush().map_err(RelabelCliError::Output)
}

/// Parses and validates the rules file, collecting every invalid rule.
pub fn load_rules(path: &Path) -> Result<Vec<RelabelConfig>, RelabelCliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| RelabelCliError::ReadRules { path: path.to_path_buf(), source })?;
    let node = yaml::parse(&text).map_err(|error| RelabelCliError::ParseRules { path: path.to_path_buf(), error })?;
    let mut errors = Errors::default();
    let rules = relabel::parse_configs(&node, "relabel_configs", &mut errors);
    if !errors.is_empty() {
        return Err(RelabelCliError::InvalidRules { path: path.to_path_buf(), errors: errors.into_sorted() });
    }
    Ok(rules)
}

/// The output line for one input line.
fn relabel_line(line: &str, rules: &[RelabelConfig]) -> Result<String, String> {
    if line.trim().is_empty() {
        return Ok(String::new());
    }
    let mut labels = parse_series(line.trim())?;
    Ok(if relabel::process(&mut labels, rules) { labels.to_string() } else { "DROPPED".into() })
}

/// `{...}`, `metric{...}` or `metric`.
pub(crate) fn parse_series(s: &str) -> Result<Labels, String> {
    let (name, set) = match s.find('{') {
        Some(i) => (s[..i].trim(), &s[i..]),
        None => (s, "{}"),
    };
    let mut labels = Labels::parse(set)?;
    if !name.is_empty() {
        if !is_metric_name(name) {
            return Err(format!("invalid metric name {name:?}"));
        }
        labels.set("__name__".into(), name.into());
    }
    Ok(labels)
}

fn is_metric_name(s: &str) -> bool {
    let ok = |b: u8, first: bool| b.is_ascii_alphabetic() || b == b'_' || b == b':' || (!first && b.is_ascii_digit());
    s.bytes().enumerate().all(|(i, b)| ok(b, i == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rules file in the temp directory, removed on drop.
    struct TempRules(PathBuf);

    impl TempRules {
        fn new(text: &str) -> TempRules {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("scrapelet-relabel-{}-{n}.yaml", std::process::id()));
            std::fs::write(&path, text).expect("write temp rules");
            TempRules(path)
        }
    }

    impl Drop for TempRules {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn run_on(rules: &str, input: &str) -> Result<String, RelabelCliError> {
        let f = TempRules::new(rules);
        let mut out = Vec::new();
        run(&f.0, input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).expect("utf-8 output"))
    }

    #[test]
    fn relabels_each_line_and_keeps_escapes() {
        let rules = "- source_labels: [job]\n  regex: (.*)-dev\n  target_label: env\n  replacement: dev\n\
                     - source_labels: [job]\n  regex: skip.*\n  action: drop\n";
        let input = "{job=\"api-dev\",path=\"C:\\\\x \\\"q\\\"\\n\"}\n\n{job=\"skipme\"}\nup{job=\"x\"}\n";
        let out = run_on(rules, input).unwrap();
        let want =
            "{env=\"dev\",job=\"api-dev\",path=\"C:\\\\x \\\"q\\\"\\n\"}\n\nDROPPED\n{__name__=\"up\",job=\"x\"}\n";
        assert_eq!(out, want);
    }

    #[test]
    fn malformed_line_gives_empty_output_line_and_continues() {
        let out = run_on("- action: labeldrop\n  regex: b\n", "{a=\"1\"\n{a=\"1\",b=\"2\"}\n").unwrap();
        assert_eq!(out, "\n{a=\"1\"}\n");
    }

    #[test]
    fn invalid_rules_name_index_and_reason() {
        let rules = "- target_label: a\n- action: hashmod\n  target_label: h\n";
        let err = run_on(rules, "{a=\"1\"}\n").unwrap_err().to_string();
        assert!(err.contains("relabel_configs[1]"), "{err}");
        assert!(err.contains("requires non-zero modulus"), "{err}");
        assert!(!err.contains("relabel_configs[0]"), "{err}");
    }
}
