//! A transform plugin: drops labels that explode cardinality, renames metrics by prefix rule,
//! rescales metrics by suffix and drops metrics by prefix.
//!
//! ```yaml
//! config:
//!   drop_labels: [request_id, session]        # removed from every series
//!   rename:                                   # first matching prefix wins
//!     - { from: "legacy_", to: "app_" }
//!   rescale:                                  # metric-name suffix -> new suffix and factor
//!     - { suffix: "_milliseconds", to: "_seconds", factor: 0.001 }
//!   drop_metrics: [debug_]                    # metric-name prefixes to drop
//! ```

use scrapelet_plugin_sdk::{Config, Transform, Verdict, export_transform};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Rules {
    drop_labels: Vec<String>,
    rename: Vec<Rename>,
    rescale: Vec<Rescale>,
    drop_metrics: Vec<String>,
}

#[derive(Deserialize)]
struct Rename {
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct Rescale {
    suffix: String,
    to: String,
    factor: f64,
}

struct Example {
    rules: Rules,
}

impl Transform for Example {
    fn init(config: Config) -> Result<Self, String> {
        Ok(Example { rules: config.deserialize()? })
    }

    fn rewrite(&mut self, labels: &[(String, String)]) -> Verdict {
        let name = labels.iter().find(|(n, _)| n == "__name__").map_or("", |(_, v)| v.as_str());
        if self.rules.drop_metrics.iter().any(|p| name.starts_with(p.as_str())) {
            return Verdict::Drop;
        }
        let mut new_name = name.to_string();
        if let Some(r) = self.rules.rename.iter().find(|r| name.starts_with(r.from.as_str())) {
            new_name = format!("{}{}", r.to, &name[r.from.len()..]);
        }
        let mut factor = None;
        if let Some(r) = self.rules.rescale.iter().find(|r| new_name.ends_with(r.suffix.as_str())) {
            new_name = format!("{}{}", &new_name[..new_name.len() - r.suffix.len()], r.to);
            factor = Some(r.factor);
        }
        let dropping = labels.iter().any(|(n, _)| self.rules.drop_labels.contains(n));
        if new_name == name && !dropping && factor.is_none() {
            return Verdict::Keep;
        }
        let out: Vec<(String, String)> = labels
            .iter()
            .filter(|(n, _)| !self.rules.drop_labels.contains(n))
            .map(|(n, v)| if n == "__name__" { (n.clone(), new_name.clone()) } else { (n.clone(), v.clone()) })
            .collect();
        match factor {
            Some(factor) => Verdict::Rescale { factor, labels: Some(out) },
            None => Verdict::Rewrite(out),
        }
    }
}

export_transform!(Example);
