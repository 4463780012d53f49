//! A backend's answer to a remote-write request, raw bytes on the wire (status line, headers,
//! body, all chosen by the input), read by the agent's transport against a real socket; then
//! what the queue makes of it: the retry verdict, its status class, and the waits (a
//! `Retry-After` replaces the computed wait, anything else stays within `max_backoff`). The
//! `Retry-After` parser also gets every line of the input directly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use scrapelet::config::Config;
use scrapelet::remote_write::config::Protocol;
use scrapelet::remote_write::retry::{Backoff, classify, parse_retry_after, status_class};
use scrapelet::remote_write::transport::{HttpTransport, Transport};

const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// What the transport keeps of a body for the log, at most (512 bytes, lossily decoded).
const MESSAGE_MAX: usize = 3 * 512;

struct Backend {
    answer: &'static Mutex<Vec<u8>>,
    transport: HttpTransport,
    runtime: tokio::runtime::Runtime,
}

/// A socket that answers every request with the current input, then closes.
fn backend() -> &'static Backend {
    static B: OnceLock<Backend> = OnceLock::new();
    B.get_or_init(|| {
        static ANSWER: Mutex<Vec<u8>> = Mutex::new(Vec::new());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut len = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let answer = ANSWER.lock().unwrap().clone();
                let _ = reader.get_mut().write_all(&answer);
            }
        });
        let yaml = format!("remote_write:\n  - url: http://{addr}/api/v1/write\n    remote_timeout: 2s\n");
        let cfg = Config::from_yaml(&yaml).expect("remote write config").remote_write.remove(0);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Backend { answer: &ANSWER, transport: HttpTransport::new(&cfg), runtime }
    })
}

pub fn remote_write_response(data: &[u8]) {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for line in String::from_utf8_lossy(data).lines().take(8) {
        check_waits(parse_retry_after(line, now));
    }
    let backend = backend();
    *backend.answer.lock().unwrap() = data.to_vec();
    let result = backend.runtime.block_on(backend.transport.send(Bytes::from_static(b"\0"), Protocol::V1));
    let _ = (classify(&result), status_class(&result));
    if let Ok(r) = &result {
        assert!(r.message.len() <= MESSAGE_MAX, "a {} byte log message", r.message.len());
        check_waits(r.retry_after);
    }
}

fn check_waits(retry_after: Option<Duration>) {
    let mut backoff = Backoff::new(Duration::from_millis(30), MAX_BACKOFF);
    for _ in 0..4 {
        let wait = backoff.next_wait(retry_after);
        match retry_after.filter(|d| !d.is_zero()) {
            Some(d) => assert_eq!(wait, d),
            None => assert!(wait <= MAX_BACKOFF, "{wait:?}"),
        }
    }
}
