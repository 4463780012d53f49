//! Plugin fixtures, built from `plugins/` by the test run (never checked in): each plugin crate
//! is built on its own for `wasm32-wasip2`, on its first use in a test process, so a test builds
//! only the plugins it runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The plugin crates the tests use.
const PLUGINS: &[&str] = &[
    "json-exporter",
    "transform-example",
    "test-hostile",
    "test-transform-hostile",
    "test-v01",
    "test-v01-transform",
    "jmx",
];

fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// The `.wasm` of plugin crate `name` (e.g. `json-exporter`), built on its first use in this
/// test process.
pub fn plugin(name: &str) -> PathBuf {
    assert!(PLUGINS.contains(&name), "{name} is not in tests/src/plugins.rs' PLUGINS");
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        build(name);
        built.push(name.to_string());
    }
    plugins_dir().join("target/wasm32-wasip2/release").join(format!("{}.wasm", name.replace('-', "_")))
}

fn build(name: &str) {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(plugins_dir())
        .args(["build", "--quiet", "--target", "wasm32-wasip2", "--release", "-p", name])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo for the plugins");
    assert!(status.success(), "building plugin {name} failed (is the wasm32-wasip2 target installed?)");
}

/// The value of one exact series line of the agent's `/metrics` (e.g.
/// `scrapelet_plugin_errors_total{plugin="p",kind="timeout"}`).
pub fn self_metric(agent: &crate::Scrapelet, series: &str) -> Option<f64> {
    let text = agent.metrics();
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A `remote_write:` section sending to `prom` quickly.
pub fn remote_write(prom: &crate::Prometheus) -> String {
    format!("remote_write:\n  - url: {}\n    queue_config:\n      batch_send_deadline: 200ms\n", prom.write_url())
}

/// A target that answers 200 only to requests carrying the expected `Authorization` header (and
/// 401 to the rest), remembering every `Authorization` value it was sent.
pub struct AuthServer {
    pub addr: String,
    expected: std::sync::Arc<Mutex<String>>,
    seen: std::sync::Arc<Mutex<Vec<String>>>,
}

impl AuthServer {
    pub fn start(expected: &str) -> AuthServer {
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind auth server");
        let addr = listener.local_addr().unwrap().to_string();
        let (expected, seen) = (Arc::new(Mutex::new(expected.to_string())), Arc::new(Mutex::new(Vec::new())));
        let (e, s) = (expected.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (e, s) = (e.clone(), s.clone());
                std::thread::spawn(move || answer(stream, &e, &s));
            }
        });
        AuthServer { addr, expected, seen }
    }

    /// From now on, this `Authorization` value is the one accepted.
    pub fn expect(&self, value: &str) {
        *self.expected.lock().unwrap() = value.to_string();
    }

    /// Every `Authorization` value sent so far (`""` for none).
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn answer(stream: std::net::TcpStream, expected: &Mutex<String>, seen: &Mutex<Vec<String>>) {
    use std::io::Write;
    let Ok(read) = stream.try_clone() else { return };
    let mut reader = std::io::BufReader::new(read);
    while let Ok(Some(req)) = crate::http::read_request(&mut reader) {
        let auth = req.headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap_or_default();
        let ok = auth == *expected.lock().unwrap();
        seen.lock().unwrap().push(auth);
        let (status, body) = if ok { ("200 OK", "{}") } else { ("401 Unauthorized", "") };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if (&stream).write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// `scrapelet run` on `config` with extra command-line flags (e.g. `--plugin.max-calls=2`,
/// `--log.format=json`), its log in `dir/log`; waits until it is ready.
pub fn start_agent(config: &str, flags: &[&str]) -> crate::Scrapelet {
    let dir = crate::procs::scratch("scrapelet");
    std::fs::write(dir.join("config.yml"), config).unwrap();
    let addr = format!("127.0.0.1:{}", crate::free_port());
    let log = dir.join("log");
    let mut child = std::process::Command::new(crate::scrapelet_bin())
        .args(["run", "--config"])
        .arg(dir.join("config.yml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg(format!("--web.listen-address={addr}"))
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start scrapelet");
    crate::wait_for("scrapelet ready", std::time::Duration::from_secs(30), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("scrapelet exited with {status}: {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        crate::http::get(&addr, "/-/ready").ok().filter(|(c, _)| *c == 200)
    });
    crate::Scrapelet { addr, proc: crate::procs::Proc { child, dir } }
}

/// A target that accepts connections and never answers (a hung pod); returns its address.
pub fn silent_target() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind silent target");
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}
