//! Ports for the processes a test starts, without the race of probing for a free port and
//! binding it later (between the two, any parallel test may take it).
//!
//! A process that reports the address it bound is started on port 0 and its log read back
//! ([`logged_address`]: Prometheus, the node exporter, the agent). A process that must be told
//! its port (Tomcat, whose MBean names carry it) gets one [`free_port`] reserved for it.

use std::net::TcpListener;
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::wait_for;

/// A port on 127.0.0.1 that no other socket holds, for a process that binds it itself (with
/// `SO_REUSEADDR`, as Go, Java, tokio and std listeners do). It is left in `TIME_WAIT` (a
/// connection to it is accepted and closed from its side), so for a minute the kernel hands it to
/// no other `bind` to port 0 or outgoing connection: a parallel test cannot take it meanwhile.
/// Prefer [`logged_address`] where the process can report its port.
pub fn free_port() -> u16 {
    close_reserved(TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
}

/// Closes `listener` (connections to its port are refused from here on) but keeps the port from
/// other tests for a minute, as [`free_port`] does, so that the same test can listen there
/// again (a server it takes down and brings back). Returns the port.
pub fn close_reserved(listener: TcpListener) -> u16 {
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(false).unwrap();
    let client = std::net::TcpStream::connect(addr).expect("connect to the reserved port");
    let (server, _) = listener.accept().expect("accept on the reserved port");
    drop(server); // closed first: the TIME_WAIT is on the reserved port's side
    drop(client);
    addr.port()
}

/// Waits for `child` to log the address it listens on: on the first line of `log` that contains
/// `marker`, the value of `key=` (quotes and terminal colour codes dropped). Panics with the log
/// if the child exits first.
pub fn logged_address(child: &mut Child, log: &Path, marker: &str, key: &str) -> String {
    wait_for(&format!("{marker:?} with {key}= in {}", log.display()), Duration::from_secs(60), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{} exited with {status}: {}", log.display(), std::fs::read_to_string(log).unwrap_or_default());
        }
        let text = strip_colours(&std::fs::read_to_string(log).unwrap_or_default());
        let line = text.lines().find(|l| l.contains(marker))?;
        value_of(line, key)
    })
}

/// `key=value` or `key="value"` on a log line (logfmt, or `tracing`'s text format).
fn value_of(line: &str, key: &str) -> Option<String> {
    let at = line.match_indices(&format!("{key}=")).find(|(i, _)| *i == 0 || line.as_bytes()[i - 1] == b' ')?.0;
    let value = &line[at + key.len() + 1..];
    let value = value.split_whitespace().next()?.trim_matches('"');
    Some(value.to_string()).filter(|v| !v.is_empty())
}

/// Drops ANSI escape sequences (`ESC [ ... letter`).
fn strip_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

/// A name no other test (in this process or another) uses: for scratch directories and files.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_values_are_read_from_logfmt_and_coloured_tracing_lines() {
        let go = r#"ts=2026-12-07T16:28:04.641Z caller=tls_config.go:232 level=info msg="Listening on" address=127.0.0.1:39061"#;
        assert_eq!(value_of(go, "address").as_deref(), Some("127.0.0.1:39061"));
        let tracing = "\x1b[2m2026\x1b[0m \x1b[32m INFO\x1b[0m scrapelet started \x1b[3maddr\x1b[0m\x1b[2m=\x1b[0m127.0.0.1:4000 \x1b[3mjobs\x1b[0m\x1b[2m=\x1b[0m1";
        assert_eq!(value_of(&strip_colours(tracing), "addr").as_deref(), Some("127.0.0.1:4000"));
        assert_eq!(value_of("xaddr=1 addr=2", "addr").as_deref(), Some("2"));
    }

    #[test]
    fn a_reserved_port_is_refused_to_others_and_bound_by_the_process_it_is_for() {
        let port = free_port();
        // What the kernel's port-0 choice also honours: the port is in use for a plain bind...
        let plain = std::process::Command::new("python3")
            .args(["-c", &format!("import socket; socket.socket().bind(('127.0.0.1', {port}))")])
            .output()
            .expect("python3");
        assert!(!plain.status.success(), "a bind without SO_REUSEADDR took the reserved port");
        // ...and free for a listener with SO_REUSEADDR (std's, Go's, Java's).
        TcpListener::bind(("127.0.0.1", port)).expect("the reserved port binds");
    }
}
