//! The peer benchmark's remote-write receiver: answers 204 to every write, counts the samples and
//! bytes it received (`GET /count` → `samples bytes requests errors`). Usage: `rw-sink ADDR`.
//!
//! To stand for a distant or failing backend: `GET /delay/MS` answers every later write MS
//! milliseconds after it arrived (each connection is served by its own thread, so a client with
//! N connections has N requests in flight); `GET /fail` answers 503 to every later write (its
//! samples are not counted) until `GET /ok`.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use scrapelet_tests::http::read_request;
use scrapelet_tests::rw_count::samples_in;

#[derive(Default)]
struct Counts {
    samples: AtomicU64,
    bytes: AtomicU64,
    requests: AtomicU64,
    errors: AtomicU64,
    delay_ms: AtomicU64,
    failing: AtomicBool,
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:19999".into());
    let listener = TcpListener::bind(&addr)?;
    let counts = Arc::new(Counts::default());
    for stream in listener.incoming().flatten() {
        let counts = counts.clone();
        std::thread::spawn(move || serve(stream, &counts));
    }
    Ok(())
}

fn serve(stream: TcpStream, c: &Counts) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = read_request(&mut reader)? {
        if req.head.starts_with("GET ") {
            let body = control(&req.head, c);
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len())?;
            continue;
        }
        let delay = c.delay_ms.load(Relaxed);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        if c.failing.load(Relaxed) {
            out.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        c.requests.fetch_add(1, Relaxed);
        c.bytes.fetch_add(req.body.len() as u64, Relaxed);
        match samples_in(&req.body) {
            Ok(n) => drop(c.samples.fetch_add(n, Relaxed)),
            Err(e) => {
                c.errors.fetch_add(1, Relaxed);
                eprintln!("rw-sink: malformed request body: {e}");
            }
        }
        out.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
    }
    Ok(())
}

/// `GET /count`, `/delay/MS`, `/fail`, `/ok`: the answer's body.
fn control(head: &str, c: &Counts) -> String {
    let path = head.split_whitespace().nth(1).unwrap_or("");
    if let Some(ms) = path.strip_prefix("/delay/").and_then(|ms| ms.parse().ok()) {
        c.delay_ms.store(ms, Relaxed);
    } else if path == "/fail" || path == "/ok" {
        c.failing.store(path == "/fail", Relaxed);
    }
    let (s, b, r, e) =
        (c.samples.load(Relaxed), c.bytes.load(Relaxed), c.requests.load(Relaxed), c.errors.load(Relaxed));
    format!("{s} {b} {r} {e}\n")
}
