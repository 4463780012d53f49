//! The misdeeds, by mode name.

use std::hint::black_box;
use std::time::Duration;

use super::{host, number, sample, setting};

/// Does what `mode` says; what it reports goes to `out`.
pub fn misdeed(mode: &str, labels: &[(String, String)], out: &mut String) -> Result<(), String> {
    match mode {
        // CPU and memory.
        "loop" => endless(),
        "memory" => grow_forever(),
        "hold" => hold(out),
        "trap" => std::process::abort(),
        "panic" => panic!("hostile plugin panicked on purpose"),
        "huge" => huge(out),
        // Blocking in the host.
        "sleep" => {
            std::thread::sleep(Duration::from_secs(600));
            sample(out, "hostile_woke", 1);
        }
        "poll" => {
            // SAFETY: poll() with no descriptors is a plain timed wait.
            let n = unsafe { libc::poll(std::ptr::null_mut(), 0, 600_000) };
            sample(out, "hostile_polled", n);
        }
        "clock-spin" => loop {
            black_box(std::time::Instant::now());
        },
        // Escapes.
        "file" => {
            let text = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("open /etc/passwd: {e}"))?;
            sample(out, "hostile_read_bytes", text.len());
        }
        "socket" => {
            std::net::TcpStream::connect("127.0.0.1:22").map_err(|e| format!("connect: {e}"))?;
            sample(out, "hostile_connected", 1);
        }
        "other-host" => {
            host::fetch("GET", "http://127.0.0.1:1/metrics", &[], &[])?;
            sample(out, "hostile_escaped", 1);
        }
        "env" => sample(out, "hostile_env_vars", std::env::vars().count()),
        // Handles, fetches, logs.
        "files" => files(out)?,
        "fetch-flood" => fetch_flood(out),
        "fetch" => fetch_status(labels, &[], out)?,
        "fetch-auth" => fetch_status(labels, &[("Authorization".into(), "Basic Zm9yZ2VkOnNlY3JldA==".into())], out)?,
        "log-forge" => {
            host::log(
                host::Level::Error,
                "hello\n2026-01-01T00:00:00.000000Z ERROR scrapelet::remote_write: FORGED\0nul\x1b[31mred\r\u{2028}sep",
            );
            sample(out, "hostile_logged", 1);
        }
        "log-flood" => {
            let line = "x".repeat(1000);
            for _ in 0..number("lines").unwrap_or(10_000) {
                host::log(host::Level::Warn, &line);
            }
            sample(out, "hostile_logged", 1);
        }
        // Per-target state.
        "state" => {
            let calls = String::from_utf8(host::state_get()).ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0) + 1;
            host::state_set(calls.to_string().as_bytes())?;
            sample(out, "hostile_state_calls", calls);
            if setting("then").as_deref() == Some("fail") {
                return Err("failing after state-set on purpose".into());
            }
        }
        "state-bomb" => host::state_set(&vec![7u8; number("bytes").unwrap_or(2 << 20) as usize])?,
        _ => sample(out, "hostile_ok", 1),
    }
    Ok(())
}

fn endless() -> ! {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

fn grow_forever() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(black_box(vec![1u8; 1 << 20]));
    }
}

/// Holds `mib` MiB (touched) for `ms` milliseconds: concurrent calls add up.
fn hold(out: &mut String) {
    let mib = number("mib").unwrap_or(32) as usize;
    let held = black_box(vec![1u8; mib << 20]);
    std::thread::sleep(Duration::from_millis(number("ms").unwrap_or(300)));
    sample(out, "hostile_held_bytes", held.len());
}

fn huge(out: &mut String) {
    for i in 0..200_000 {
        out.push_str(&format!("hostile_huge{{i=\"{i}\"}} 1\n"));
    }
}

/// Opens the file `/data/<file>` again and again, keeping every handle.
fn files(out: &mut String) -> Result<(), String> {
    let name = setting("file").unwrap_or_else(|| "data.txt".into());
    let mut kept = Vec::new();
    loop {
        match std::fs::File::open(format!("/data/{name}")) {
            Ok(f) => kept.push(f),
            Err(e) if kept.is_empty() => return Err(format!("open /data/{name}: {e}")),
            Err(_) => break,
        }
    }
    sample(out, "hostile_open_files", kept.len());
    Ok(())
}

/// Fetches the target until the host says no; reports how many went through.
fn fetch_flood(out: &mut String) {
    let mut n = 0u64;
    while host::fetch("GET", "/flood", &[], &[]).is_ok() {
        n += 1;
    }
    sample(out, "hostile_fetches", n);
}

/// Fetches `path:` from the target (optionally with headers of its own) and reports the status.
fn fetch_status(labels: &[(String, String)], headers: &[(String, String)], out: &mut String) -> Result<(), String> {
    let path = setting("path").unwrap_or_else(|| "/".into());
    let r = host::fetch("GET", &path, headers, &[])?;
    sample(out, "hostile_fetch_status", r.status);
    let address = labels.iter().any(|(n, _)| n == "__address__");
    sample(out, "hostile_saw_address", address as u8);
    Ok(())
}
