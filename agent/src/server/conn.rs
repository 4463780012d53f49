//! The agent's listener, made to hold against anyone in the cluster who can reach port 9271: a
//! bounded number of connections, a deadline for a request's headers (and for the first request
//! of a connection), idle connections closed, and accept errors (out of file descriptors) backed
//! off as Go's `http.Server` does (5 ms doubling to 1 s) instead of spinning.
//!
//! Entry point: [`serve`]. When every slot is taken, a new connection takes the slot of the
//! connection that has been quiet the longest and has no request in progress, so a kubelet probe
//! still gets in while idle connections hold the rest; if every connection is busy, accepting
//! waits for one to end (each is bounded by the header and idle deadlines).

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::metrics;

/// The listener's limits (`--web.max-connections`, `--web.read-timeout`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open connections at most (lowered to a quarter of the file descriptor limit).
    pub max_connections: usize,
    /// A connection's first request, and every request's headers, must arrive within this.
    pub header_timeout: Duration,
    /// A connection with no request in progress and nothing read for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_connections: 512, header_timeout: Duration::from_secs(10), idle_timeout: Duration::from_secs(60) }
    }
}

impl Limits {
    /// `max_connections` never above a quarter of the process's open-file limit, so the agent's
    /// own files (WAL segments, target connections) keep room.
    pub fn within_file_limit(mut self) -> Limits {
        if let Some(n) = open_file_limit() {
            self.max_connections = self.max_connections.min((n / 4).max(1));
        }
        self
    }
}

/// The soft `RLIMIT_NOFILE`, from `/proc/self/limits`.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// What the accept loop knows of one connection.
struct Conn {
    /// Milliseconds since the server started, at the accept.
    connected: u64,
    /// Milliseconds since the server started, at the last byte read.
    last_read: AtomicU64,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    close: Notify,
}

/// The open connections, and a signal when one ends.
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    ended: Notify,
    started: Instant,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn len(&self) -> usize {
        self.conns.lock().unwrap().len()
    }

    /// Closes the connection quiet the longest with no request in progress; false if none.
    fn evict_one(&self) -> bool {
        let conns = self.conns.lock().unwrap();
        let idle = conns.values().filter(|c| c.in_flight.load(Ordering::Acquire) == 0);
        match idle.min_by_key(|c| c.last_read.load(Ordering::Relaxed)) {
            Some(victim) => {
                victim.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// The request handler the connections share.
pub type Handler = Arc<dyn Fn(&Request<Incoming>) -> Response<Full<Bytes>> + Send + Sync>;

/// Accepts connections on `listener` and serves `handler` on each, within `limits`, until dropped.
pub async fn serve(listener: TcpListener, limits: Limits, handler: Handler) {
    let registry =
        Arc::new(Registry { conns: Mutex::new(HashMap::new()), ended: Notify::new(), started: Instant::now() });
    let mut next_id = 0u64;
    let mut backoff = Duration::ZERO;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                backoff = Duration::ZERO;
                stream
            }
            Err(e) => {
                backoff = accept_failed(&e, backoff);
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        make_room(&registry, limits.max_connections).await;
        next_id += 1;
        let now = registry.now_ms();
        let conn = Arc::new(Conn {
            connected: now,
            last_read: AtomicU64::new(now),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            close: Notify::new(),
        });
        registry.conns.lock().unwrap().insert(next_id, conn.clone());
        metrics::get().http_connections.with(&[]).add(1.0);
        let (registry, handler, id) = (registry.clone(), handler.clone(), next_id);
        tokio::spawn(async move {
            let reason = serve_one(stream, &conn, &registry, limits, handler).await;
            if let Some(reason) = reason {
                metrics::get().http_connections_closed.with(&[reason]).inc();
            }
            registry.conns.lock().unwrap().remove(&id);
            metrics::get().http_connections.with(&[]).add(-1.0);
            registry.ended.notify_waiters();
        });
    }
}

/// Counts and logs a failed accept; the wait before the next one.
fn accept_failed(e: &std::io::Error, backoff: Duration) -> Duration {
    let kind = match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => "file_descriptors",
        _ => "other",
    };
    metrics::get().http_accept_errors.with(&[kind]).inc();
    if backoff.is_zero() {
        warn!(error = %e, kind, "accepting a connection failed; backing off");
    }
    (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1))
}

/// Waits until a connection may be added: evicts the quietest idle one when full.
async fn make_room(registry: &Registry, max: usize) {
    while registry.len() >= max {
        let ended = registry.ended.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        if registry.evict_one() {
            metrics::get().http_connections_closed.with(&["evicted"]).inc();
        }
        // Evicted or not, a slot frees when a connection ends (an evicted one ends at once).
        ended.await;
    }
}

/// Serves one connection; the reason it was closed by us, if it was.
async fn serve_one(
    stream: TcpStream,
    conn: &Arc<Conn>,
    registry: &Arc<Registry>,
    limits: Limits,
    handler: Handler,
) -> Option<&'static str> {
    let io = TokioIo::new(Tracked { inner: stream, conn: conn.clone(), registry: registry.clone() });
    let svc_conn = conn.clone();
    let svc = service_fn(move |req: Request<Incoming>| {
        let (conn, handler) = (svc_conn.clone(), handler.clone());
        conn.requests.fetch_add(1, Ordering::Relaxed);
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        let resp = handler(&req);
        conn.in_flight.fetch_sub(1, Ordering::AcqRel);
        async move { Ok::<_, Infallible>(resp) }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new()).max_concurrent_streams(16);
    let serving = builder.serve_connection(io, svc);
    tokio::pin!(serving);
    loop {
        let deadline = deadline(conn, registry, limits);
        tokio::select! {
            result = &mut serving => {
                let Err(e) = result else { return None };
                debug!(error = %e, "http connection ended");
                let timeout = e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_timeout);
                return timeout.then_some("header_timeout");
            }
            _ = conn.close.notified() => return None, // counted as evicted by the accept loop
            _ = tokio::time::sleep_until(deadline) => {
                if conn.in_flight.load(Ordering::Acquire) > 0 || Instant::now() < self::deadline(conn, registry, limits) {
                    continue;
                }
                let first = conn.requests.load(Ordering::Relaxed) == 0;
                return Some(if first { "header_timeout" } else { "idle" });
            }
        }
    }
}

/// When the connection is due to be closed if nothing happens: its first request within the
/// header deadline of connecting (however slowly its bytes trickle in), later the idle deadline
/// after the last byte read.
fn deadline(conn: &Conn, registry: &Registry, limits: Limits) -> Instant {
    let (from, wait) = match conn.requests.load(Ordering::Relaxed) {
        0 => (conn.connected, limits.header_timeout),
        _ => (conn.last_read.load(Ordering::Relaxed), limits.idle_timeout),
    };
    registry.started + Duration::from_millis(from) + wait
}

/// A connection's socket that notes when it last read something.
struct Tracked {
    inner: TcpStream,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.last_read.store(self.registry.now_ms(), Ordering::Relaxed);
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests;
