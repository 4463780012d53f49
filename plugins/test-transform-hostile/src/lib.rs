//! A transform fixture: `mode: loop` never returns; otherwise it tags every series it sees with
//! `seen_by="plugin"` and a `tag` from its config, so tests can tell a cached verdict from a
//! new one (after a reload the tag changes).

use scrapelet_plugin_sdk::{Config, Transform, Verdict, export_transform};

struct Tagger {
    mode: String,
    tag: String,
}

impl Transform for Tagger {
    fn init(config: Config) -> Result<Self, String> {
        let mode = config.str("mode").unwrap_or("tag").to_string();
        Ok(Tagger { mode, tag: config.str("tag").unwrap_or("v1").to_string() })
    }

    fn rewrite(&mut self, labels: &[(String, String)]) -> Verdict {
        if self.mode == "loop" {
            loop {
                std::hint::black_box(0);
            }
        }
        let mut out = labels.to_vec();
        out.push(("seen_by".into(), "plugin".into()));
        out.push(("tag".into(), self.tag.clone()));
        Verdict::Rewrite(out)
    }
}

export_transform!(Tagger);
