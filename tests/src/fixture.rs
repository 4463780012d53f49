//! Fixture targets: a tiny threaded HTTP server whose replies a test scripts per path and per hit.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a fixture path answers.
pub enum Reply {
    Body {
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `len` bytes of a valid-looking exposition, streamed without holding it in memory.
    Huge {
        len: u64,
    },
    Status(u16),
}

impl Reply {
    pub fn text(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body { content_type: "text/plain; version=0.0.4", body: body.into() }
    }
    pub fn openmetrics(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body { content_type: "application/openmetrics-text; version=1.0.0; charset=utf-8", body: body.into() }
    }
}

type Handler = dyn Fn(&str, u64) -> Reply + Send + Sync;

pub struct FixtureServer {
    pub addr: String,
    hits: Arc<AtomicU64>,
}

impl FixtureServer {
    /// Serves `handler(path, hit number)` on 127.0.0.1 until the process exits.
    pub fn start(handler: impl Fn(&str, u64) -> Reply + Send + Sync + 'static) -> FixtureServer {
        FixtureServer::start_on("127.0.0.1:0", handler)
    }

    /// The same on a given address (e.g. `127.0.0.2:0`, to look like another pod).
    pub fn start_on(addr: &str, handler: impl Fn(&str, u64) -> Reply + Send + Sync + 'static) -> FixtureServer {
        let listener = TcpListener::bind(addr).expect("bind fixture server");
        let addr = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(AtomicU64::new(0));
        let (h, handler): (Arc<AtomicU64>, Arc<Handler>) = (hits.clone(), Arc::new(handler));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, handler) = (h.clone(), handler.clone());
                std::thread::spawn(move || {
                    let n = h.fetch_add(1, Ordering::Relaxed);
                    let _ = serve(stream, &*handler, n);
                });
            }
        });
        FixtureServer { addr, hits }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

fn serve(stream: TcpStream, handler: &Handler, hit: u64) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let mut out = stream;
    match handler(&path, hit) {
        Reply::Body { content_type, body } => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)
        }
        Reply::Status(code) => write!(out, "HTTP/1.1 {code} Fixture\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Reply::Huge { len } => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
            )?;
            let chunk = "huge_metric{a=\"0123456789012345678901234567890123456789\"} 1\n".repeat(1024);
            let mut sent = 0u64;
            while sent < len {
                let n = (len - sent).min(chunk.len() as u64) as usize;
                out.write_all(&chunk.as_bytes()[..n])?; // fails once the agent gives up: that ends us
                sent += n as u64;
            }
            Ok(())
        }
    }
}
