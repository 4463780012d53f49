//! A transform built against `scrapelet:plugin@0.1.0` (the contract in `../test-v01/wit`): every
//! series gets `v="01"` and its values doubled, through the 0.1.0 verdict types.

wit_bindgen::generate!({ path: "../test-v01/wit", world: "transform" });

use scrapelet::plugin::types::Rescaling;

struct V01;

impl Guest for V01 {
    fn init(_config: String) -> Result<(), String> {
        Ok(())
    }

    fn rewrite(batch: Vec<Series>) -> Vec<Verdict> {
        let tagged = |mut labels: Vec<(String, String)>| {
            labels.push(("v".into(), "01".into()));
            Verdict::Rescale(Rescaling { factor: 2.0, labels: Some(labels) })
        };
        batch.into_iter().map(|s| tagged(s.labels)).collect()
    }
}

export!(V01);
