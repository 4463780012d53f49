//! Real processes under test: scrapelet, Prometheus with the remote-write receiver, the node
//! exporter. Each listens on a port it picked itself (port 0; the test reads it from the log:
//! no port is probed and then bound) and gets a temporary directory, and is killed on drop.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::ports::{logged_address, unique_name};
use crate::{http, wait_for};

/// A child process killed on drop, with its scratch directory.
pub struct Proc {
    pub child: Child,
    pub dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new directory of its own under the system's temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name(&format!("scrapelet-e2e-{name}")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file holding `text`, named `name`, in a new scratch directory of its own.
pub fn scratch_file(name: &str, text: &str) -> PathBuf {
    let p = scratch("file").join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `scrapelet ARGS` to its end with `stdin` as its input.
pub fn run_scrapelet(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(scrapelet_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scrapelet");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn require(bin: &str) -> PathBuf {
    let path = PathBuf::from(bin);
    assert!(path.exists(), "{bin} is missing: run the README's test command, which installs it (apt-get)");
    path
}

/// The scrapelet binary: `$SCRAPELET_BIN`, or the workspace's debug build.
pub fn scrapelet_bin() -> PathBuf {
    if let Ok(p) = std::env::var("SCRAPELET_BIN") {
        return PathBuf::from(p);
    }
    let bin = target_dir().join("debug/scrapelet");
    assert!(bin.exists(), "{} is missing: build it first (`cargo build -p scrapelet`)", bin.display());
    bin
}

/// The workspace's target directory (`$CARGO_TARGET_DIR` or `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A real Prometheus accepting remote write.
pub struct Prometheus {
    pub addr: String,
    _proc: Proc,
}

impl Prometheus {
    pub fn start() -> Prometheus {
        let dir = scratch("prometheus");
        std::fs::write(dir.join("prometheus.yml"), "global:\n  scrape_interval: 1h\n").unwrap();
        let child = Command::new(require("/usr/bin/prometheus"))
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg("--web.listen-address=127.0.0.1:0")
            .arg("--web.enable-remote-write-receiver")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).unwrap())
            .spawn()
            .expect("start prometheus");
        let mut proc = Proc { child, dir };
        let addr = logged_address(&mut proc.child, &proc.dir.join("log"), r#"msg="Listening on""#, "address");
        let p = Prometheus { addr, _proc: proc };
        wait_for("prometheus ready", Duration::from_secs(60), || {
            http::get(&p.addr, "/-/ready").ok().filter(|(s, _)| *s == 200)
        });
        p
    }

    pub fn write_url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }

    /// An instant query: each result's labels (as `{a="b",...}` sorted, `__name__` included) and value.
    pub fn query(&self, promql: &str) -> Vec<(String, String)> {
        let (status, body) =
            http::get(&self.addr, &format!("/api/v1/query?query={}", http::encode(promql))).expect("query prometheus");
        assert_eq!(status, 200, "query {promql}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let mut out: Vec<(String, String)> = v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let m = r["metric"].as_object().unwrap();
                let mut pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                pairs.sort();
                (format!("{{{}}}", pairs.join(",")), r["value"][1].as_str().unwrap().to_string())
            })
            .collect();
        out.sort();
        out
    }

    /// Waits until `promql` returns at least one series.
    pub fn wait_for_series(&self, promql: &str, timeout: Duration) -> Vec<(String, String)> {
        wait_for(&format!("{promql} in prometheus"), timeout, || Some(self.query(promql)).filter(|r| !r.is_empty()))
    }
}

/// A real node exporter.
pub struct NodeExporter {
    pub addr: String,
    _proc: Proc,
}

impl NodeExporter {
    pub fn start() -> NodeExporter {
        let dir = scratch("node-exporter");
        let child = Command::new(require("/usr/bin/prometheus-node-exporter"))
            .arg("--web.listen-address=127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).unwrap())
            .spawn()
            .expect("start node exporter");
        let mut proc = Proc { child, dir };
        let addr = logged_address(&mut proc.child, &proc.dir.join("log"), r#"msg="Listening on""#, "address");
        let n = NodeExporter { addr, _proc: proc };
        wait_for("node exporter up", Duration::from_secs(30), || {
            http::get(&n.addr, "/metrics").ok().filter(|(s, _)| *s == 200)
        });
        n
    }
}

/// The agent, run with a config text.
pub struct Scrapelet {
    pub addr: String,
    pub proc: Proc,
}

impl Scrapelet {
    pub fn start(config: &str) -> Scrapelet {
        Scrapelet::start_with_env(config, &[])
    }

    /// The agent with extra environment variables (e.g. `NODE_NAME`).
    pub fn start_with_env(config: &str, env: &[(&str, &str)]) -> Scrapelet {
        let dir = scratch("scrapelet");
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let (child, addr) = spawn_agent(&dir, &dir.join("log"), env, &[]);
        Scrapelet { addr, proc: Proc { child, dir } }
    }

    /// The agent listening on a given `addr` (one the caller must know before the agent starts;
    /// prefer [`Scrapelet::start_with_env`], which has no port to race for).
    pub fn start_at(addr: &str, config: &str, env: &[(&str, &str)]) -> Scrapelet {
        let dir = scratch("scrapelet");
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let child = spawn_agent_at(addr, &dir, &dir.join("log"), env);
        Scrapelet { addr: addr.to_string(), proc: Proc { child, dir } }
    }

    /// The agent's self-metrics page.
    pub fn metrics(&self) -> String {
        http::get(&self.addr, "/metrics").expect("scrapelet /metrics").1
    }

    /// The agent's `/api/v1/targets` JSON.
    pub fn targets(&self) -> Value {
        serde_json::from_str(&http::get(&self.addr, "/api/v1/targets").expect("scrapelet targets").1)
            .expect("targets JSON")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.proc.dir.join("log")).unwrap_or_default()
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.proc.child.try_wait(), Ok(None))
    }
}

/// Starts `scrapelet run` on `dir/config.yml` (and any further `args`) with its data in `dir/data`, stderr to `log`, on a
/// port of its own choosing (it logs the address it bound), and waits until it is ready. Returns
/// the process and its listen address.
pub fn spawn_agent(
    dir: &std::path::Path,
    log: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Child, String) {
    let mut command = agent_command("127.0.0.1:0", dir, log, env);
    let mut child = KillOnPanic(Some(command.args(args).spawn().expect("start scrapelet")));
    let addr = logged_address(child.get(), log, "scrapelet started", "addr");
    wait_ready(child.get(), &addr, log);
    (child.defuse(), addr)
}

/// [`spawn_agent`] on a given listen address.
pub fn spawn_agent_at(addr: &str, dir: &std::path::Path, log: &std::path::Path, env: &[(&str, &str)]) -> Child {
    let mut child = KillOnPanic(Some(agent_command(addr, dir, log, env).spawn().expect("start scrapelet")));
    wait_ready(child.get(), addr, log);
    child.defuse()
}

/// A child killed if the start-up checks panic (a test's failure must not leave it running).
struct KillOnPanic(Option<Child>);

impl KillOnPanic {
    fn get(&mut self) -> &mut Child {
        self.0.as_mut().expect("not defused")
    }

    fn defuse(mut self) -> Child {
        self.0.take().expect("not defused")
    }
}

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn agent_command(addr: &str, dir: &std::path::Path, log: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(scrapelet_bin());
    command
        .args(["run", "--config"])
        .arg(dir.join("config.yml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg(format!("--web.listen-address={addr}"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    command
}

fn wait_ready(child: &mut Child, addr: &str, log: &std::path::Path) {
    wait_for("scrapelet ready", Duration::from_secs(30), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("scrapelet exited with {status}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        http::get(addr, "/-/ready").ok().filter(|(c, _)| *c == 200)
    });
}
