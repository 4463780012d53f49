//! The shutdown the DaemonSet's grace period is sized for: on SIGTERM the agent reports not ready
//! and keeps trying to send its queue until `--storage.remote.flush-deadline`, then exits (the
//! rest stays in the WAL); a second SIGTERM ends the wait at once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use scrapelet_tests::{free_port, http, scrapelet_bin, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The agent scraping itself into a backend that is down, so its queue never empties.
fn start(dir: &std::path::Path, flush_deadline: &str) -> (Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let config = format!(
        "global: {{scrape_interval: 1s, scrape_timeout: 900ms}}\nscrape_configs:\n  - {{job_name: self, static_configs: [{{targets: ['{addr}']}}]}}\nremote_write:\n  - url: http://127.0.0.1:{}/api/v1/write\n",
        free_port()
    );
    std::fs::write(dir.join("config.yml"), config).unwrap();
    let child = Command::new(scrapelet_bin())
        .args(["run", "--config"])
        .arg(dir.join("config.yml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg(format!("--web.listen-address={addr}"))
        .args(["--storage.remote.flush-deadline", flush_deadline])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("start scrapelet");
    wait_for("ready", TIMEOUT, || http::get(&addr, "/-/ready").ok().filter(|(c, _)| *c == 200));
    // A few scrapes queued that cannot be sent.
    wait_for("samples queued", TIMEOUT, || {
        let m = http::get(&addr, "/metrics").ok()?.1;
        m.lines().any(|l| l.starts_with("scrapelet_wal_samples_written_total ") && !l.ends_with(" 0")).then_some(())
    });
    (child, addr)
}

fn term(child: &Child) {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
}

#[test]
fn sigterm_drains_not_ready_until_the_flush_deadline() {
    let dir = scrapelet_tests::procs::scratch("drain");
    let (mut child, addr) = start(&dir, "30s");
    term(&child);
    // Draining: the endpoints still answer, and say not ready.
    let (status, body) =
        wait_for("not ready while draining", TIMEOUT, || http::get(&addr, "/-/ready").ok().filter(|(c, _)| *c == 503));
    assert_eq!((status, body.trim()), (503, "scrapelet is not ready."));
    assert!(child.try_wait().unwrap().is_none(), "it waits for the queue, within its deadline");
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(log.contains("shutting down: flushing remote write"), "{log}");
    // A second SIGTERM: exit now, the WAL keeps the rest.
    term(&child);
    let status = wait_for("exit after the second signal", TIMEOUT, || child.try_wait().unwrap());
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(log.contains("second SIGTERM"), "{log}");
}

#[test]
fn the_flush_deadline_ends_the_drain() {
    let dir = scrapelet_tests::procs::scratch("drain-deadline");
    let (mut child, _) = start(&dir, "2s");
    term(&child);
    let status = wait_for("exit at the flush deadline", TIMEOUT, || child.try_wait().unwrap());
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(log.contains("shutting down: flushing remote write") && !log.contains("second SIGTERM"), "{log}");
}
