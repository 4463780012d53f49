//! A fault-injecting remote-write proxy in front of a real backend, and an agent process whose
//! data directory outlives it (for kill -9 and restart).
//!
//! [`FaultProxy`] forwards each request to the backend, or answers it with the fault it is told
//! to inject (connection reset, 500, 429 with `Retry-After`) without forwarding, so a failed
//! request never reaches the backend. It counts requests by what it did.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::http::{self, Request, read_request};

/// What the proxy does with the next requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward to the backend.
    None,
    /// Close the connection without an answer (a network error).
    Down,
    /// Answer 500 to every `n`th request, forward the others.
    Every500(u64),
    /// Answer 429 with `Retry-After: secs` to every `n`th request, forward the others.
    Every429 { n: u64, secs: u64 },
}

#[derive(Default)]
pub struct Counts {
    pub forwarded: AtomicU64,
    pub faults: AtomicU64,
    /// Every request's headers, lower-cased, for spec checks.
    pub headers: Mutex<Vec<Vec<(String, String)>>>,
}

pub struct FaultProxy {
    pub addr: String,
    fault: Arc<Mutex<Fault>>,
    /// Milliseconds every request waits before it is answered or forwarded (a distant backend).
    delay_ms: Arc<AtomicU64>,
    pub counts: Arc<Counts>,
}

impl FaultProxy {
    pub fn start(backend: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (fault, counts) = (Arc::new(Mutex::new(Fault::None)), Arc::new(Counts::default()));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (f, c, d, backend) = (fault.clone(), counts.clone(), delay_ms.clone(), backend.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (f, c, d, backend) = (f.clone(), c.clone(), d.clone(), backend.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &f, &c, &d, &backend);
                });
            }
        });
        FaultProxy { addr, fault, delay_ms, counts }
    }

    /// Every later request waits this long first (each connection has a thread of its own).
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    pub fn write_url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }
}

fn serve(
    stream: TcpStream,
    fault: &Mutex<Fault>,
    counts: &Counts,
    delay: &AtomicU64,
    backend: &str,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = read_request(&mut reader)? {
        std::thread::sleep(Duration::from_millis(delay.load(Ordering::Relaxed)));
        let n = counts.forwarded.load(Ordering::Relaxed) + counts.faults.load(Ordering::Relaxed) + 1;
        counts.headers.lock().unwrap().push(req.headers.clone());
        let reply = match *fault.lock().unwrap() {
            Fault::Down => {
                counts.faults.fetch_add(1, Ordering::Relaxed);
                return Ok(()); // drop the connection unanswered
            }
            Fault::Every500(k) if n.is_multiple_of(k) => Some((500, None)),
            Fault::Every429 { n: k, secs } if n.is_multiple_of(k) => Some((429, Some(secs))),
            _ => None,
        };
        let (status, extra, body) = match reply {
            Some((status, retry_after)) => {
                counts.faults.fetch_add(1, Ordering::Relaxed);
                let extra = retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
                (status, extra, b"injected fault".to_vec())
            }
            None => {
                counts.forwarded.fetch_add(1, Ordering::Relaxed);
                forward(&req, backend)?
            }
        };
        write!(out, "HTTP/1.1 {status} Proxy\r\n{extra}Content-Length: {}\r\n\r\n", body.len())?;
        out.write_all(&body)?;
    }
    Ok(())
}

/// Sends the request to the backend; returns its status, the headers to pass on, and body.
fn forward(req: &Request, backend: &str) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(backend)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let path = req.head.split_whitespace().nth(1).unwrap_or("/");
    write!(s, "POST {path} HTTP/1.1\r\nHost: {backend}\r\nConnection: close\r\n")?;
    for (k, v) in req.headers.iter().filter(|(k, _)| !matches!(k.as_str(), "host" | "connection")) {
        write!(s, "{k}: {v}\r\n")?;
    }
    s.write_all(b"\r\n")?;
    s.write_all(&req.body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(502);
    let extra: String = head
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("x-prometheus-remote-write-"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    Ok((status, extra, raw[split..].to_vec()))
}

/// The agent with a data directory the test owns: it can be SIGKILLed and started again on it.
pub struct Agent {
    pub addr: String,
    child: Child,
    log: PathBuf,
}

impl Agent {
    pub fn start(config: &str, dir: &Path) -> Agent {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("log-{n}"));
        // Prometheus' default flush deadline (a minute, not the agent's 10 s): a loaded test machine
        // must not turn a slow flush into samples the test finds missing (they would only be in
        // the WAL, for the next start).
        let (child, addr) = crate::procs::spawn_agent(dir, &log, &[], &["--storage.remote.flush-deadline=60s"]);
        Agent { addr, child, log }
    }

    pub fn metrics(&self) -> String {
        http::get(&self.addr, "/metrics").map(|r| r.1).unwrap_or_default()
    }

    /// The sum of the self-metric lines starting with `prefix` (e.g. `name{` or `name `).
    pub fn metric(&self, prefix: &str) -> f64 {
        let text = self.metrics();
        let values = text.lines().filter(|l| l.starts_with(prefix));
        values.filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok())).sum()
    }

    /// `kill -9`.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the agent to exit (it flushes within its deadline); returns its log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.log()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
