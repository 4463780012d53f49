//! A real vmagent (Debian's `victoria-metrics` package) running a scrape config of the test's:
//! an independent implementation of Prometheus' service discovery, for checking the agent's
//! discovered labels against. Killed on drop.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::procs::{Proc, require, scratch};
use crate::{free_port, http, wait_for};

pub struct VmAgent {
    pub addr: String,
    _proc: Proc,
}

impl VmAgent {
    /// vmagent scraping by `config` (a Prometheus `scrape_configs` file), sending nowhere it can
    /// reach (its samples are not what the tests look at).
    pub fn start(config: &str) -> VmAgent {
        let dir = scratch("vmagent");
        std::fs::write(dir.join("scrape.yml"), config).unwrap();
        // vmagent 1.79 logs the address it was given, not the one it bound: a reserved port.
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(require("/usr/bin/vmagent"))
            .arg(format!("-promscrape.config={}", dir.join("scrape.yml").display()))
            .arg(format!("-httpListenAddr={addr}"))
            // Targets follow the watched pods within a second (the default is 30 s).
            .arg("-promscrape.kubernetesSDCheckInterval=1s")
            .arg("-remoteWrite.url=http://127.0.0.1:1/api/v1/write")
            .arg(format!("-remoteWrite.tmpDataPath={}", dir.join("data").display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).unwrap())
            .spawn()
            .expect("start vmagent");
        let mut vm = VmAgent { addr, _proc: Proc { child, dir } };
        wait_for("vmagent to answer", Duration::from_secs(60), || {
            if let Ok(Some(status)) = vm._proc.child.try_wait() {
                panic!("vmagent exited with {status}: {}", vm.log());
            }
            http::get(&vm.addr, "/health").ok().filter(|(s, _)| *s == 200)
        });
        vm
    }

    /// Its `/api/v1/targets` (Prometheus' format).
    pub fn targets(&self) -> Value {
        let (status, body) = http::get(&self.addr, "/api/v1/targets").expect("vmagent /api/v1/targets");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("targets JSON")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._proc.dir.join("log")).unwrap_or_default()
    }
}
