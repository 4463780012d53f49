//! Test helpers: a [`Receiver`] that prints each flattened attribute as one line, in the spirit of
//! `JmxScraper`'s `StdoutWriter` (`domain<props><attrKeys>attrName: value`), plus type and help.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jmx_core::{AttrValue, BeanAttr, Receiver};

#[derive(Default)]
pub struct Lines(pub Vec<String>);

impl Receiver for Lines {
    fn record_bean(&mut self, a: &BeanAttr<'_>) {
        let props: Vec<String> = a.bean_properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let value = match a.value {
            AttrValue::Number { text, .. } => text.clone(),
            AttrValue::Bool(b) => b.to_string(),
            AttrValue::Text(s) => format!("{s:?}"),
            AttrValue::Null => "null".into(),
        };
        self.0.push(format!(
            "{}<{}><{}>{}: {value} [{}] {:?}",
            a.domain,
            props.join(", "),
            a.attr_keys.join(", "),
            a.attr_name,
            a.attr_type,
            a.attr_description
        ));
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jolokia")
}

/// Compares `actual` with the golden file; `JMX_GOLDEN_UPDATE=1` rewrites it instead.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("JMX_GOLDEN_UPDATE").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} missing: run with JMX_GOLDEN_UPDATE=1 and review it", path.display()));
    if expected != actual {
        let mut diff = String::new();
        let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
        for l in e.iter().filter(|l| !a.contains(l)) {
            diff += &format!("- {l}\n");
        }
        for l in a.iter().filter(|l| !e.contains(l)) {
            diff += &format!("+ {l}\n");
        }
        panic!("{} differs (- expected, + actual; order may differ too):\n{diff}", path.display());
    }
}
