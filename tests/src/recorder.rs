//! A test server that records every request (path and headers) and answers with whatever the
//! test scripts: any status, headers (a `Location`, a `Content-Encoding`) and body. For the hostile
//! pod tests: a fake cloud metadata endpoint, a pod that redirects, one that echoes what it was sent.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::http::{Request, read_request};

/// One answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain; version=0.0.4".into())],
            body: body.into(),
        }
    }

    pub fn redirect(to: &str) -> Answer {
        Answer { status: 302, headers: vec![("Location".into(), to.into())], body: Vec::new() }
    }
}

/// What a recorded request carried.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

type Script = dyn Fn(&Seen) -> Answer + Send + Sync;

pub struct Recorder {
    pub addr: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// Serves `script` on `bind` (e.g. `127.0.0.9:0`, another loopback host) until the process
    /// exits.
    pub fn start(bind: &str, script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind(bind).expect("bind recorder");
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, script): (Arc<Mutex<Vec<Seen>>>, Arc<Script>) = (seen.clone(), Arc::new(script));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, script) = (s.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &s, &*script));
            }
        });
        Recorder { addr, seen }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The port, for an annotation.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, script: &Script) {
    let Ok(clone) = stream.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let mut out = stream;
    while let Ok(Some(Request { head, headers, .. })) = read_request(&mut reader) {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let request = Seen { path, headers };
        seen.lock().unwrap().push(request.clone());
        let answer = script(&request);
        let mut reply = format!("HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\n", answer.status, answer.body.len());
        for (k, v) in &answer.headers {
            reply.push_str(&format!("{k}: {v}\r\n"));
        }
        reply.push_str("\r\n");
        if out.write_all(reply.as_bytes()).and_then(|_| out.write_all(&answer.body)).is_err() {
            return;
        }
    }
}
