//! The listener against slow, idle and too many clients, on a real socket. Deadlines are short
//! here; the tests wait for conditions (a closed socket, an answer), never for a duration.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::time::Duration;

use super::*;

async fn start(limits: Limits) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler: Handler = Arc::new(|_req| Response::new(Full::new(Bytes::from_static(b"ok\n"))));
    tokio::spawn(serve(listener, limits, handler));
    addr
}

fn limits(max_connections: usize) -> Limits {
    Limits { max_connections, header_timeout: Duration::from_millis(300), idle_timeout: Duration::from_millis(600) }
}

/// Blocks until the server closes `s` (EOF or reset); panics if it stays open for a minute.
fn closed_by_server(mut s: StdStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}

fn get(addr: SocketAddr, keep_alive: bool) -> (StdStream, String) {
    let mut s = StdStream::connect(addr).unwrap();
    let conn = if keep_alive { "keep-alive" } else { "close" };
    write!(s, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: {conn}\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    (s, String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_cut_at_the_header_deadline() {
    let addr = start(limits(8)).await;
    let closed = tokio::task::spawn_blocking(move || {
        let mut s = StdStream::connect(addr).unwrap();
        s.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        closed_by_server(s)
    });
    assert!(closed.await.unwrap());
    let silent = tokio::task::spawn_blocking(move || closed_by_server(StdStream::connect(addr).unwrap()));
    assert!(silent.await.unwrap(), "a connection that never sends a request is closed too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_request_is_cut_however_slowly_it_comes() {
    let addr = start(limits(8)).await;
    let closed = tokio::task::spawn_blocking(move || {
        let mut s = StdStream::connect(addr).unwrap();
        // One byte every 100 ms: each resets nothing.
        for b in b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if s.write_all(&[*b]).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        closed_by_server(s)
    });
    assert!(closed.await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let addr = start(limits(8)).await;
    let idle = tokio::task::spawn_blocking(move || {
        let (s, answer) = get(addr, true);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        closed_by_server(s)
    });
    assert!(idle.await.unwrap());
}

/// Idle connections hold every slot: a new client (a kubelet probe) still gets an answer, and
/// the number of open connections never passes the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_gets_in_when_idle_connections_hold_every_slot() {
    let long_idle = Limits { idle_timeout: Duration::from_secs(600), ..limits(4) };
    let addr = start(long_idle).await;
    let evicted = metrics::get().http_connections_closed.with(&["evicted"]);
    let before = evicted.get();
    let probe = tokio::task::spawn_blocking(move || {
        let mut held: Vec<StdStream> = (0..4).map(|_| get(addr, true).0).collect();
        let answers: Vec<String> = (0..3).map(|_| get(addr, false).1).collect();
        // The first held connection was the quietest: it made room for the first probe.
        (answers, closed_by_server(held.remove(0)))
    });
    let (answers, oldest_closed) = probe.await.unwrap();
    for answer in answers {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    assert!(oldest_closed);
    assert!(evicted.get() > before);
}

#[test]
fn accept_errors_back_off_from_5ms_to_1s() {
    let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
    let counter = metrics::get().http_accept_errors.with(&["file_descriptors"]);
    let before = counter.get();
    let mut wait = Duration::ZERO;
    let mut waits = Vec::new();
    for _ in 0..10 {
        wait = accept_failed(&emfile, wait);
        waits.push(wait.as_millis());
    }
    assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert_eq!(counter.get() - before, 10);
}

#[test]
fn the_connection_limit_leaves_room_for_the_agents_own_files() {
    let l = Limits::default().within_file_limit();
    let nofile = open_file_limit().expect("/proc/self/limits");
    assert!(l.max_connections <= 512 && l.max_connections <= (nofile / 4).max(1));
}
