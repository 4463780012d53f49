//! A transform fixture built against `wit/plugin.wit` alone (no SDK). By default (`mode: tag`)
//! it tags every series it sees with `seen_by="plugin"` and a `tag` from its config, so tests can
//! tell a cached verdict from a new one (after a reload the tag changes). Other modes misbehave:
//! `loop` and `sleep` never return, `collide` gives every series the same label set,
//! `bad-name` adds an invalid label name, `nan`/`inf`/`-inf` rescale by a non-finite factor,
//! `state` tries the exporter-only state functions.

use std::sync::Mutex;
use std::time::Duration;

wit_bindgen::generate!({ path: "../../wit", world: "transform" });

use scrapelet::plugin::host;
use scrapelet::plugin::types::Rescaling;

static CONFIG: Mutex<(String, String)> = Mutex::new((String::new(), String::new()));

struct Tagger;

impl Guest for Tagger {
    fn init(config: String) -> Result<(), String> {
        let v: serde_json::Value = serde_json::from_str(&config).map_err(|e| format!("config: {e}"))?;
        let field = |k: &str, d: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or(d).to_string();
        *CONFIG.lock().unwrap() = (field("mode", "tag"), field("tag", "v1"));
        Ok(())
    }

    fn rewrite(batch: Vec<Series>) -> Vec<Verdict> {
        let (mode, tag) = CONFIG.lock().unwrap().clone();
        match mode.as_str() {
            "loop" => loop {
                std::hint::black_box(0);
            },
            "sleep" => std::thread::sleep(Duration::from_secs(600)),
            "state" => {
                let refused = host::state_set(b"x").is_err() && host::state_get().is_empty();
                host::log(host::Level::Info, &format!("state refused in a transform: {refused}"));
            }
            _ => {}
        }
        batch.into_iter().map(|s| verdict(&mode, &tag, s.labels)).collect()
    }
}

fn verdict(mode: &str, tag: &str, labels: Vec<(String, String)>) -> Verdict {
    let factor = |factor| Verdict::Rescale(Rescaling { factor, labels: None });
    match mode {
        "collide" => Verdict::Rewrite(vec![("__name__".into(), "collided".into())]),
        "bad-name" => {
            let mut out = labels;
            out.push(("bad-name".into(), "x".into()));
            Verdict::Rewrite(out)
        }
        "nan" => factor(f64::NAN),
        "inf" => factor(f64::INFINITY),
        "-inf" => factor(f64::NEG_INFINITY),
        _ => {
            let mut out = labels;
            out.push(("seen_by".into(), "plugin".into()));
            out.push(("tag".into(), tag.into()));
            Verdict::Rewrite(out)
        }
    }
}

export!(Tagger);
