//! Issue 20's limits, held against the agent binary: a gzip bomb and a cardinality bomb fail
//! their own scrapes with the limit named while the agent's memory stays bounded, and floods of
//! idle and trickling connections on its port neither take its memory nor keep the kubelet's
//! probe out. Conditions are waited for; the only figures asserted are memory and descriptor
//! ceilings, far above what a healthy agent uses and far below what the attacks used to cost.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use scrapelet_tests::recorder::{Answer, Recorder};
use scrapelet_tests::{Scrapelet, http, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The agent's peak resident memory so far, in bytes (`VmHWM`).
fn peak_rss(agent: &Scrapelet) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", agent.proc.child.id())).unwrap();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).expect("VmHWM");
    kb.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
}

fn open_fds(agent: &Scrapelet) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", agent.proc.child.id())).unwrap().count()
}

fn gzip(data: impl Iterator<Item = Vec<u8>> + Send + 'static) -> Vec<u8> {
    let mut out = Vec::new();
    let status = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map(|mut child| {
            let mut stdin = child.stdin.take().unwrap();
            let writer = std::thread::spawn(move || {
                for chunk in data {
                    stdin.write_all(&chunk).unwrap();
                }
            });
            child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
            writer.join().unwrap();
            child.wait().unwrap()
        })
        .expect("gzip (Debian's gzip package)");
    assert!(status.success());
    out
}

fn last_error(agent: &Scrapelet, job: &str) -> Option<String> {
    let targets = agent.targets();
    let t = targets["data"]["activeTargets"].as_array()?.iter().find(|t| t["scrapePool"] == job)?.clone();
    let e = t["lastError"].as_str()?.to_string();
    (!e.is_empty()).then_some(e)
}

#[test]
fn bombs_fail_their_own_scrape_and_memory_stays_bounded() {
    // 256 MiB of exposition in about a quarter of a megabyte: a gzip bomb; and a body of 400,000
    // new series.
    let line = b"bomb_series{pad=\"0000000000000000000000000000000000000000\"} 1\n".to_vec();
    let bomb = gzip((0..256).map(move |_| line.repeat(16 * 1024)));
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    let gzip_bomb = Recorder::start("127.0.0.1:0", move |_| Answer {
        status: 200,
        headers: vec![("Content-Type".into(), "text/plain".into()), ("Content-Encoding".into(), "gzip".into())],
        body: bomb.clone(),
    });
    let series: String = (0..400_000).map(|i| format!("card_bomb{{id=\"{i}\"}} 1\n")).collect();
    let cardinality = Recorder::start("127.0.0.1:0", move |_| Answer::text(series.clone()));
    let witness = Recorder::start("127.0.0.1:0", |_| Answer::text("witness_up 1\n"));
    let sink = Recorder::start("127.0.0.1:0", |_| Answer { status: 204, headers: vec![], body: vec![] });
    let config = format!(
        "global: {{scrape_interval: 1s, scrape_timeout: 900ms}}\nscrape_configs:\n\
         - {{job_name: gzip, body_size_limit: 16MiB, static_configs: [{{targets: ['{}']}}]}}\n\
         - {{job_name: cardinality, sample_limit: 50000, static_configs: [{{targets: ['{}']}}]}}\n\
         - {{job_name: witness, static_configs: [{{targets: ['{}']}}]}}\n\
         remote_write: [{{url: 'http://{}/api/v1/write'}}]\n",
        gzip_bomb.addr, cardinality.addr, witness.addr, sink.addr
    );
    let agent = Scrapelet::start(&config);
    let gzip_error = wait_for("the gzip bomb's scrape to fail", TIMEOUT, || last_error(&agent, "gzip"));
    assert_eq!(gzip_error, format!("body size limit exceeded: body larger than {} bytes", 16 << 20));
    let card_error = wait_for("the cardinality bomb's scrape to fail", TIMEOUT, || last_error(&agent, "cardinality"));
    assert!(card_error.starts_with("sample limit exceeded"), "{card_error}");
    wait_for("five rounds of bombs", TIMEOUT, || {
        (gzip_bomb.seen().len() >= 5 && cardinality.seen().len() >= 5).then_some(())
    });
    let metrics = agent.metrics();
    assert!(metrics.contains(r#"scrapelet_scrape_failures_total{job="gzip",reason="body_size_limit"}"#), "{metrics}");
    assert!(metrics.contains(r#"scrapelet_scrape_failures_total{job="cardinality",reason="sample_limit"}"#));
    assert!(last_error(&agent, "witness").is_none(), "the other target is unaffected");
    // The bomb inflates to 256 MiB; the agent never held more than its 16 MiB and a parse of it.
    let peak = peak_rss(&agent);
    assert!(peak < 200 << 20, "peak RSS {} MB", peak >> 20);
}

#[test]
fn connection_floods_neither_exhaust_the_agent_nor_lock_out_its_probe() {
    let agent = Scrapelet::start("global: {scrape_interval: 1m}\nscrape_configs: []\n");
    let before = peak_rss(&agent);
    // 3,000 idle connections, more than the agent keeps (512).
    let idle: Vec<TcpStream> = (0..3000).filter_map(|_| TcpStream::connect(&agent.addr).ok()).collect();
    // 100 trickling requests: a byte every 200 ms.
    let trickling: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(&agent.addr).ok())
        .inspect(|s| {
            let _ = (&*s).write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: ");
        })
        .collect();
    // The trickler writes until the agent has cut every one of them (or gives up after a minute).
    let trickler = std::thread::spawn(move || {
        let mut trickling = trickling;
        let start = std::time::Instant::now();
        while !trickling.is_empty() && start.elapsed() < TIMEOUT {
            trickling.retain_mut(|s| s.write_all(b"a").is_ok());
            std::thread::sleep(Duration::from_millis(200));
        }
        trickling.len()
    });
    // The probe answers while the flood holds on.
    for _ in 0..5 {
        let (status, body) = http::get(&agent.addr, "/-/healthy").expect("/-/healthy during the flood");
        assert_eq!((status, body.trim()), (200, "scrapelet is Healthy."));
    }
    let fds = open_fds(&agent);
    assert!(fds < 700, "{fds} descriptors open: the connection limit did not hold");
    // Trickled headers are cut at the header deadline (10 s), however slowly they come.
    assert_eq!(trickler.join().unwrap(), 0, "trickling connections the agent never cut");
    let m = agent.metrics();
    assert!(
        m.lines().any(|l| l.starts_with(r#"scrapelet_http_connections_closed_total{reason="header_timeout"}"#)),
        "{m}"
    );
    let m = agent.metrics();
    assert!(m.lines().any(|l| l.starts_with(r#"scrapelet_http_connections_closed_total{reason="evicted"}"#)), "{m}");
    drop(idle);
    let grown = peak_rss(&agent).saturating_sub(before);
    assert!(grown < 64 << 20, "the flood cost {} MB", grown >> 20);
}
