//! The bundled JSON exporter as a product (issue 25): its README's example (arrays, nested
//! objects, labels from fields and keys, counters and gauges, a constant info metric) through
//! `scrapelet plugin run`, and configuration errors that name the key. The example's files are
//! `plugins/json-exporter/examples/`; `expected.prom` was written by hand from `stats.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use scrapelet_tests::plugins::plugin;
use scrapelet_tests::scrapelet_bin;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/json-exporter/examples")
}

/// `plugin run json_exporter.wasm --config CONFIG --payload stats.json`: (success, stdout, stderr).
fn run(config: &Path) -> (bool, String, String) {
    let out = Command::new(scrapelet_bin())
        .arg("plugin")
        .arg("run")
        .arg(plugin("json-exporter"))
        .arg("--config")
        .arg(config)
        .arg("--payload")
        .arg(examples().join("stats.json"))
        .output()
        .expect("run scrapelet");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_readme_example_maps_arrays_nested_objects_keys_and_constants() {
    let (ok, out, err) = run(&examples().join("config.yml"));
    assert!(ok, "{err}");
    assert_eq!(out, std::fs::read_to_string(examples().join("expected.prom")).unwrap());
}

#[test]
fn config_errors_name_the_rule_and_key() {
    let dir = scrapelet_tests::procs::scratch("json-exporter");
    let cases = [
        (
            "metrics:\n  - {name: a, path: $.x, vlaue: \"@.y\"}\n",
            "invalid plugin config at metrics[0].vlaue: unknown field `vlaue`",
        ),
        ("metrics:\n  - {name: a, path: [$.x]}\n", "invalid plugin config at metrics[0].path: invalid type: sequence"),
        (
            "metrics:\n  - {name: a, path: $.x, type: Counter}\n",
            r#"metrics[0] (a).type: "Counter" is not gauge, counter or untyped"#,
        ),
        ("metrics:\n  - {name: a, path: x.y}\n", r#"metrics[0] (a).path: "x.y": must start with $ or @"#),
        ("metrics:\n  - {name: a, path: $, value: one}\n", r#"metrics[0] (a).value: "one" is neither a path"#),
    ];
    for (config, expected) in cases {
        let file = dir.join("config.yml");
        std::fs::write(&file, config).unwrap();
        let (ok, _, err) = run(&file);
        assert!(!ok && err.contains(expected), "{config}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
