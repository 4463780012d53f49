//! An exporter built against `scrapelet:plugin@0.1.0` (a copy of that contract is in `wit/`),
//! as plugins built before 0.2.0 were: it logs, fetches `/` from its target and reports
//! `v01_fetch_status` and `v01_ok 1`.

wit_bindgen::generate!({ path: "wit", world: "exporter" });

use scrapelet::plugin::host;

struct V01;

impl Guest for V01 {
    fn init(_config: String) -> Result<(), String> {
        Ok(())
    }

    fn collect(_target_labels: Vec<(String, String)>) -> Result<Vec<u8>, String> {
        host::log(host::Level::Info, "a 0.1.0 plugin says hello");
        let status = host::fetch("GET", "/", &[], &[])?.status;
        Ok(format!("v01_fetch_status {status}\nv01_ok 1\n").into_bytes())
    }
}

export!(V01);
