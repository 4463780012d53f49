//! `plugins:`: the WebAssembly plugins the agent may run, and the checks that every `exporter:`
//! and `transforms:` entry of a job names one of the right world.
//!
//! Entry points: [`parse`] and [`check_references`]. Loading the files is the plugin registry's
//! job; here a plugin's kind is not known yet, so `transforms:`/`exporter:` check names only.
//!
//! ```yaml
//! plugins:
//!   - name: json                    # referenced by jobs (exporter:, transforms:) and by pods
//!     path: plugins/json_exporter.wasm   # relative to this file
//!     sha256: 3f1c...               # optional pin: a file with another hash is refused
//!     data_dir: plugins/json-data   # optional, read-only, seen by the plugin as /data
//!     limits: { memory: 64MiB, output: 16MiB, timeout: 5s, state: 1MiB }
//!     config: { path: /stats.json }   # any YAML; handed to init() as JSON
//! ```

use std::path::PathBuf;

use super::PluginConfig;
use super::yaml::{Errors, MapReader, Node};
use crate::plugin::Limits;

/// Reads `plugins:`; names must be unique and non-empty.
pub(super) fn parse(items: &[(usize, &Node)], errors: &mut Errors) -> Vec<PluginConfig> {
    let mut out: Vec<PluginConfig> = Vec::new();
    for &(i, node) in items {
        let path = format!("plugins[{i}]");
        let mut r = MapReader::new(node, &path, errors);
        let name = r.required_string("name").unwrap_or_default();
        let file = r.required_string("path").unwrap_or_default();
        let sha256 = r.string("sha256");
        if let Some(pin) = &sha256
            && (pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            r.error(node, "sha256", "expected 64 hexadecimal digits");
        }
        let data_dir = r.string("data_dir").map(PathBuf::from);
        let limits = limits(&mut r);
        let config = r.get("config").map_or(serde_json::Value::Null, Node::to_json);
        let line = r.key_line("name").unwrap_or(node.line);
        r.finish();
        if out.iter().any(|p| p.name == name) {
            errors.push(line, &format!("{path}.name"), format!("found multiple plugins named {name:?}"));
            continue;
        }
        out.push(PluginConfig { name, path: PathBuf::from(file), sha256, data_dir, limits, config });
    }
    out
}

fn limits(r: &mut MapReader<'_>) -> Limits {
    let mut limits = Limits::default();
    let Some(node) = r.get("limits") else { return limits };
    let path = r.path_of("limits");
    let mut lr = MapReader::new(node, &path, r.errors);
    if let Some(m) = lr.bytes("memory") {
        if m < 1 << 20 {
            lr.error(node, "memory", "must be at least 1MiB");
        }
        limits.memory = m;
    }
    limits.output = lr.bytes("output").unwrap_or(limits.output);
    limits.timeout = lr.duration("timeout").filter(|d| !d.is_zero());
    limits.state = lr.bytes("state").unwrap_or(limits.state);
    lr.finish();
    limits
}

/// `exporter:` and `transforms:` of one job; each name must be declared under `plugins:`.
pub(super) fn job_plugins(r: &mut MapReader<'_>, declared: &[String]) -> (Option<String>, Vec<String>) {
    let exporter = r.string("exporter");
    let transforms = r.strings("transforms");
    for (key, name) in exporter.iter().map(|n| ("exporter", n)).chain(transforms.iter().map(|n| ("transforms", n))) {
        if !declared.contains(name) {
            let (line, path) = (r.key_line(key).unwrap_or(r.line()), r.path_of(key));
            r.errors.push(line, &path, format!("plugin {name:?} is not declared under plugins:"));
        }
    }
    (exporter, transforms)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn reads_plugins_and_job_references() {
        let yaml = "plugins:\n  - name: json\n    path: j.wasm\n    limits: {memory: 32MiB, timeout: 2s}\n    config: {path: /s, n: 3}\n\
                    scrape_configs:\n  - job_name: a\n    exporter: json\n    transforms: [json]\n";
        let cfg = Config::from_yaml(yaml).unwrap();
        let p = &cfg.plugins[0];
        assert_eq!((p.name.as_str(), p.limits.memory), ("json", 32 << 20));
        assert_eq!(p.limits.timeout, Some(std::time::Duration::from_secs(2)));
        assert_eq!(p.config, serde_json::json!({"path": "/s", "n": 3}));
        assert_eq!(cfg.scrape_configs[0].exporter.as_deref(), Some("json"));
    }

    #[test]
    fn undeclared_plugins_and_bad_pins_are_errors_with_lines() {
        let yaml = "plugins:\n  - name: x\n    path: x.wasm\n    sha256: abc\n\
                    scrape_configs:\n  - job_name: a\n    exporter: nope\n    transforms: [x, gone]\n";
        let errs = Config::from_yaml(yaml).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.line, e.path.as_str())).collect();
        assert_eq!(
            got,
            vec![(4, "plugins[0].sha256"), (7, "scrape_configs[0].exporter"), (8, "scrape_configs[0].transforms")]
        );
    }
}
