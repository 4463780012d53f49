//! Metric families written the way client_java 1.x writes text format 0.0.4: families sorted by
//! name, `# HELP` then `# TYPE`, values as Java's `Double.toString` prints them.

use std::fmt::Write;

use super::super::number::java_double;
use crate::rules::exposition::write_labels;

pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    /// `gauge`, `counter` (name ends in `_total`) or `summary` (samples are `_count`/`_sum`).
    pub kind: &'static str,
    pub samples: Vec<Sample>,
}

pub struct Sample {
    /// Appended to the family name (`_count`, `_sum`), usually empty.
    pub suffix: &'static str,
    pub labels: Vec<(&'static str, String)>,
    /// Already formatted (a double, or a summary's integer count).
    pub value: String,
}

impl Sample {
    pub fn double(labels: Vec<(&'static str, String)>, v: f64) -> Sample {
        Sample { suffix: "", labels, value: java_double(v) }
    }
}

impl Family {
    pub fn new(name: &'static str, kind: &'static str, help: &'static str) -> Family {
        Family { name, help, kind, samples: Vec::new() }
    }
}

/// Writes the families that have samples, sorted by name.
pub fn write(mut families: Vec<Family>) -> String {
    families.retain(|f| !f.samples.is_empty());
    families.sort_by_key(|f| f.name);
    let mut out = String::new();
    for f in &families {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for s in &f.samples {
            out.push_str(f.name);
            out.push_str(s.suffix);
            write_labels(&mut out, &s.labels);
            let _ = writeln!(out, " {}", s.value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_sorted_families_and_escapes_labels() {
        let mut b = Family::new("b_total", "counter", "B.");
        b.samples.push(Sample::double(vec![], 3.0));
        let mut a = Family::new("a", "gauge", "A.");
        a.samples.push(Sample::double(vec![("pool", "x\"y".into())], 1e10));
        let empty = Family::new("c", "gauge", "C.");
        assert_eq!(
            write(vec![b, a, empty]),
            "# HELP a A.\n# TYPE a gauge\na{pool=\"x\\\"y\"} 1.0E10\n# HELP b_total B.\n# TYPE b_total counter\nb_total 3.0\n"
        );
    }
}
