//! Golden tests: Jolokia bulk replies in `tests/fixtures/jolokia/<name>.reply.json` (with the
//! plan settings in `<name>.plan.json`) walk to the attributes in `<name>.beans.txt` and the JVM
//! metrics in `<name>.jvm.txt`. `JMX_GOLDEN_UPDATE=1 cargo test -p jmx-core` rewrites them.

mod jolokia_support;
use jolokia_support as common;

use std::fs;

use jmx_core::jolokia::{Options, Plan, walk};
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(String::from)).collect()
}

fn run(name: &str) {
    let dir = common::fixtures();
    let settings: Value =
        serde_json::from_str(&fs::read_to_string(dir.join(format!("{name}.plan.json"))).unwrap()).unwrap();
    let options = Options {
        list: settings["list"].as_bool().unwrap_or(true),
        jvm_metrics: settings["jvm_metrics"].as_bool().unwrap_or(true),
        max_depth: None,
    };
    let plan = Plan::new(&strings(&settings["includeObjectNames"]), &strings(&settings["excludeObjectNames"]), options)
        .unwrap();
    let reply = fs::read(dir.join(format!("{name}.reply.json"))).unwrap();
    let mut lines = common::Lines::default();
    let outcome = walk(&plan, &reply, &mut lines).unwrap();
    let mut text = format!("# {:?}\n# errors: {:?}\n", outcome.stats, outcome.errors);
    for l in &lines.0 {
        text += l;
        text.push('\n');
    }
    common::assert_golden(&dir.join(format!("{name}.beans.txt")), &text);
    if options.jvm_metrics {
        common::assert_golden(&dir.join(format!("{name}.jvm.txt")), &outcome.jvm);
    } else {
        assert_eq!(outcome.jvm, "");
    }
}

#[test]
fn tomcat_all_mbeans_with_list_and_jvm() {
    run("tomcat-all");
}

#[test]
fn includes_excludes_and_failed_reads_without_list() {
    run("includes-no-list");
}
