//! Issue 20, tried as an attacker with a pod would: hostile annotations and answers against the
//! shipped pod job (test API server, fixture pods on loopback addresses, a fake cloud metadata
//! endpoint on another one), and secrets planted in every configuration field, looked for in
//! every output of the agent. Bombs and floods are in `hostile_limits.rs`.

use std::time::Duration;

use scrapelet_tests::apiserver::{ApiServer, pod};
use scrapelet_tests::recorder::{Answer, Recorder, Seen};
use scrapelet_tests::{Scrapelet, http, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

/// What a cloud metadata endpoint would hand out; none of it may come back through the agent.
const FAKE_KEY_ID: &str = "ASIAFAKEKEYID7QX2";
const FAKE_SECRET: &str = "fAkEsEcReTaCcEsSkEy9Zq";

fn metadata_answer() -> Answer {
    let body = format!(
        "{{\"Code\": \"Success\", \"AccessKeyId\": \"{FAKE_KEY_ID}\", \"SecretAccessKey\": \"{FAKE_SECRET}\", \"Token\": \"x\"}}\n"
    );
    Answer { status: 200, headers: vec![("Content-Type".into(), "text/plain".into())], body: body.into_bytes() }
}

/// The shipped cluster default (pod job only), through the test API server, every second.
fn pod_job_config(api: &ApiServer, write_url: &str) -> String {
    let kubeconfig = scrapelet_tests::procs::scratch("hostile-kubeconfig").join("kubeconfig");
    api.write_kubeconfig(&kubeconfig).unwrap();
    let cfg = scrapelet_tests::defaults::without_kubelet_job()
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
        .replace("scrape_timeout: 10s", "scrape_timeout: 900ms")
        .replace(
            "      - role: pod\n",
            &format!("      - role: pod\n        kubeconfig_file: {}\n", kubeconfig.display()),
        )
        .replace("${REMOTE_WRITE_URL}", write_url);
    assert!(cfg.contains("kubeconfig_file"), "the default's shape changed");
    cfg
}

/// A pod on this node at `ip` whose only container declares `port`, with these annotations.
fn hostile_pod(name: &str, ip: &str, port: u16, annotations: &[(&str, &str)]) -> serde_json::Value {
    let mut all = vec![("prometheus.io/scrape", "true")];
    all.extend_from_slice(annotations);
    pod("tenant", name, "node-a", ip, &[], &all, &[("app", &[("http", port, "TCP")])])
}

fn paths(r: &Recorder) -> Vec<String> {
    r.seen().into_iter().map(|s: Seen| s.path).collect()
}

#[test]
fn hostile_annotations_and_answers_never_reach_or_reveal_another_host() {
    let api = ApiServer::start();
    let sink = Recorder::start("127.0.0.1:0", |_| Answer { status: 204, headers: vec![], body: vec![] });
    let metadata = Recorder::start("127.0.0.29:0", |_| metadata_answer());
    let meta = metadata.addr.clone();
    let ok = |_: &Seen| Answer::text("app_up 1\n");
    let at_path = Recorder::start("127.0.0.21:0", ok);
    let slashes = Recorder::start("127.0.0.22:0", ok);
    let redirect_to = format!("http://{meta}/latest/meta-data/iam/security-credentials/node");
    let redirector = Recorder::start("127.0.0.23:0", move |_| Answer::redirect(&redirect_to));
    let readback = Recorder::start("127.0.0.24:0", |_| metadata_answer());
    let port_at = Recorder::start("127.0.0.25:0", ok);

    let path_at = format!("@{meta}/latest/meta-data/");
    let path_slashes = format!("//{meta}/latest");
    let port_trick = format!("80@{meta}");
    api.add_pod(hostile_pod("at-path", "127.0.0.21", at_path.port(), &[("prometheus.io/path", &path_at)]));
    api.add_pod(hostile_pod("slashes", "127.0.0.22", slashes.port(), &[("prometheus.io/path", &path_slashes)]));
    api.add_pod(hostile_pod("redirector", "127.0.0.23", redirector.port(), &[]));
    api.add_pod(hostile_pod("readback", "127.0.0.24", readback.port(), &[]));
    api.add_pod(hostile_pod("port-at", "127.0.0.25", port_at.port(), &[("prometheus.io/port", &port_trick)]));
    let agent = Scrapelet::start_with_env(
        &pod_job_config(&api, &format!("http://{}/api/v1/write", sink.addr)),
        &[("NODE_NAME", "node-a"), ("RUST_LOG", "debug")],
    );

    // Every pod was asked at least twice (the second round after the first one's errors).
    for (r, what) in
        [(&at_path, "at-path"), (&slashes, "slashes"), (&redirector, "redirector"), (&readback, "readback")]
    {
        wait_for(what, TIMEOUT, || (r.seen().len() >= 2).then_some(()));
    }
    let targets = agent.targets();
    let page = http::get(&agent.addr, "/targets").unwrap().1;

    assert!(metadata.seen().is_empty(), "the metadata endpoint was reached: {:?}", metadata.seen());
    // The path is a path on the pod, whatever it holds.
    assert!(paths(&at_path).iter().all(|p| *p == format!("/{path_at}")), "{:?}", paths(&at_path));
    assert!(paths(&slashes).iter().all(|p| *p == path_slashes), "{:?}", paths(&slashes));
    // A port annotation that is no port matches no declared port: the job drops the target.
    assert!(port_at.seen().is_empty(), "{:?}", paths(&port_at));
    // The redirect is the answer (the shipped job does not follow a pod's redirects).
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    let error_of = |ip: &str| {
        let t = active.iter().find(|t| t["scrapeUrl"].as_str().unwrap().contains(ip)).expect(ip);
        t["lastError"].as_str().unwrap().to_string()
    };
    assert_eq!(error_of("127.0.0.23"), "server returned HTTP status 302");
    // Read back: the answer fails to parse, and the error names the line, not the bytes.
    let readback_error = error_of("127.0.0.24");
    assert!(readback_error.starts_with("parsing scrape body: line 1:"), "{readback_error}");
    // The unusable port annotation is listed with its reason.
    assert!(page.contains("tenant/port-at") && page.contains("invalid_port"), "{page}");

    for (what, text) in [("/targets", page), ("/api/v1/targets", targets.to_string()), ("the log", agent.log())] {
        for secret in [FAKE_KEY_ID, FAKE_SECRET] {
            assert!(!text.contains(secret), "{what} shows {secret}");
        }
    }
}
