//! Secrets planted in every configuration field that holds one (basic-auth passwords inline and in
//! files, bearer tokens old and new, an inline TLS key, the Kubernetes API token, remote-write
//! credentials, headers and a `user:pass@` in URLs and target addresses), with targets that echo
//! what they were sent back into their answers, and every output of the agent searched for them:
//! its debug log, `/targets`, `/api/v1/targets`, `/metrics`, `/-/ready`, and `scrapelet check
//! config` on the file and on a broken copy of it. The servers do receive the credentials (the
//! test would prove nothing otherwise); a redirect to another host does not.

use std::process::Command;
use std::time::Duration;

use scrapelet_tests::recorder::{Answer, Recorder, Seen};
use scrapelet_tests::{Scrapelet, http, scrapelet_bin, wait_for};

const TIMEOUT: Duration = Duration::from_secs(60);

/// One distinct secret per field; each must never come out.
const SECRETS: [(&str, &str); 13] = [
    ("basic_auth.password", "pw-inline-7f3a91"),
    ("basic_auth.password_file", "pw-file-2c8d44"),
    ("authorization.credentials", "tok-authz-5e1b07"),
    ("bearer_token", "tok-legacy-9a6c33"),
    ("bearer_token_file", "tok-legfile-4d2e88"),
    ("tls_config.key", "S3CR3TKEYMATERIALx1"),
    ("kubernetes_sd_configs.bearer_token", "tok-kube-8b7f12"),
    ("target user:pass@", "pw-target-3e9d50"),
    ("remote_write url user:pass@", "pw-rwurl-6a1c29"),
    ("remote_write.authorization", "tok-rw-0f4b63"),
    ("remote_write.basic_auth.password", "pw-rw-basic-5d8e71"),
    ("remote_write.headers", "hdr-rw-2b9a47"),
    ("http_headers.secrets", "hdr-http-7c3e15"),
];

fn secret(field: &str) -> &'static str {
    SECRETS.iter().find(|(f, _)| *f == field).map(|(_, s)| *s).unwrap()
}

/// Answers with what it was sent (credentials, cookies) where a parse error or a label limit
/// error would quote it.
fn echo(seen: &Seen) -> Answer {
    let sent: Vec<&str> =
        seen.headers.iter().filter(|(k, _)| k == "authorization" || k == "cookie").map(|(_, v)| v.as_str()).collect();
    let sent = sent.join(" ");
    let body = if seen.path.ends_with("/label") {
        format!("echo_auth{{sent=\"{sent}\"}} 1\n")
    } else {
        format!("up_echo 1\n{sent} is what you sent\n")
    };
    Answer::text(body)
}

fn config(dir: &std::path::Path, echo: &str, redirector: &str, sink: &str) -> String {
    let pw_file = dir.join("password");
    std::fs::write(&pw_file, secret("basic_auth.password_file")).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, secret("bearer_token_file")).unwrap();
    let cert = std::fs::read_to_string(scrapelet_tests::kubelet::testdata("server.pem")).unwrap();
    let key = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", secret("tls_config.key"));
    let indent = |s: &str| s.lines().map(|l| format!("        {l}\n")).collect::<String>();
    format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: basic-inline
    metrics_path: /label
    label_value_length_limit: 8
    basic_auth: {{username: scraper, password: {p1}}}
    static_configs: [{{targets: ["{echo}"]}}]
  - job_name: basic-file
    basic_auth: {{username: scraper, password_file: {pw_file}}}
    static_configs: [{{targets: ["{echo}"]}}]
  - job_name: authorization
    authorization: {{credentials: {t1}}}
    static_configs: [{{targets: ["{echo}"]}}]
  - job_name: legacy-bearer
    bearer_token: {t2}
    http_headers: {{X-Scope-OrgID: {{values: [tenant-a], secrets: [{h2}]}}}}
    static_configs: [{{targets: ["{redirector}"]}}]
  - job_name: legacy-bearer-file
    bearer_token_file: {token_file}
    metrics_path: /label
    label_value_length_limit: 8
    static_configs: [{{targets: ["{echo}"]}}]
  - job_name: tls-key
    scheme: https
    tls_config:
      cert: |
{cert}      key: |
{key}    static_configs: [{{targets: ["{echo}"]}}]
  - job_name: kube
    kubernetes_sd_configs:
      - role: pod
        api_server: http://127.0.0.1:1
        bearer_token: {t3}
  - job_name: userinfo
    static_configs: [{{targets: ["admin:{p2}@{echo}"]}}]
remote_write:
  - url: http://rw:{p3}@{sink}/api/v1/write
    name: userinfo
  - url: http://{sink}/api/v1/write
    name: token
    authorization: {{credentials: {t4}}}
    headers: {{X-Api-Key: {h1}}}
  - url: http://{sink}/api/v1/write
    name: basic
    basic_auth: {{username: rw, password: {p4}}}
"#,
        p1 = secret("basic_auth.password"),
        pw_file = pw_file.display(),
        t1 = secret("authorization.credentials"),
        t2 = secret("bearer_token"),
        token_file = token_file.display(),
        cert = indent(&cert),
        key = indent(&key),
        t3 = secret("kubernetes_sd_configs.bearer_token"),
        p2 = secret("target user:pass@"),
        p3 = secret("remote_write url user:pass@"),
        t4 = secret("remote_write.authorization"),
        h1 = secret("remote_write.headers"),
        h2 = secret("http_headers.secrets"),
        p4 = secret("remote_write.basic_auth.password"),
    )
}

fn check_config(file: &std::path::Path) -> String {
    let out =
        Command::new(scrapelet_bin()).args(["check", "config"]).arg(file).output().expect("scrapelet check config");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn assert_no_secret(what: &str, text: &str) {
    for (field, s) in SECRETS {
        assert!(!text.contains(s), "{what} shows the secret of {field}:\n{text}");
    }
}

#[test]
fn secrets_in_every_field_never_come_out() {
    let echo_server = Recorder::start("127.0.0.1:0", echo);
    let elsewhere = Recorder::start("127.0.0.31:0", echo);
    let to = format!("http://{}/metrics", elsewhere.addr);
    let redirector = Recorder::start("127.0.0.1:0", move |_| Answer::redirect(&to));
    let sink = Recorder::start("127.0.0.1:0", |_| Answer { status: 204, headers: vec![], body: vec![] });
    let dir = scrapelet_tests::procs::scratch("secrets");
    let text = config(&dir, &echo_server.addr, &redirector.addr, &sink.addr);
    let agent = Scrapelet::start_with_env(&text, &[("RUST_LOG", "debug"), ("NODE_NAME", "node-a")]);

    // Positive controls: the credentials were sent where they belong.
    let got = |r: &Recorder, s: &str| r.seen().iter().any(|seen| seen.headers.iter().any(|(_, v)| v.contains(s)));
    let basic = |user: &str, pw: &str| {
        use base64_like::encode;
        encode(&format!("{user}:{pw}"))
    };
    wait_for("credentials at the echo target", TIMEOUT, || {
        (got(&echo_server, &basic("scraper", secret("basic_auth.password")))
            && got(&echo_server, &basic("scraper", secret("basic_auth.password_file")))
            && got(&echo_server, secret("authorization.credentials"))
            && got(&echo_server, secret("bearer_token_file")))
        .then_some(())
    });
    wait_for("remote writes with their credentials", TIMEOUT, || {
        (got(&sink, secret("remote_write.authorization"))
            && got(&sink, secret("remote_write.headers"))
            && got(&sink, &basic("rw", secret("remote_write url user:pass@")))
            && got(&sink, &basic("rw", secret("remote_write.basic_auth.password"))))
        .then_some(())
    });
    wait_for("the redirect followed", TIMEOUT, || (!elsewhere.seen().is_empty()).then_some(()));
    assert!(got(&redirector, secret("bearer_token")), "the bearer token went to its own target");
    assert!(!got(&elsewhere, secret("bearer_token")), "the bearer token followed a redirect to another host");
    assert!(got(&redirector, secret("http_headers.secrets")), "the http_headers secret went to its own target");
    assert!(!got(&elsewhere, secret("http_headers.secrets")), "an http_headers secret followed a redirect");
    std::thread::sleep(Duration::from_secs(2)); // a few more scrapes and their errors

    let targets = http::get(&agent.addr, "/api/v1/targets").unwrap().1;
    assert!(targets.contains("label_value_length_limit exceeded"), "the echo's label limit error: {targets}");
    assert!(targets.contains("parsing scrape body"), "the echo's parse error: {targets}");
    assert_no_secret("/api/v1/targets", &targets);
    for path in ["/targets", "/metrics", "/-/ready", "/-/healthy"] {
        assert_no_secret(path, &http::get(&agent.addr, path).unwrap().1);
    }
    assert_no_secret("the log", &agent.log());

    let file = dir.join("config.yml");
    std::fs::write(&file, &text).unwrap();
    let ok = check_config(&file);
    assert!(ok.contains("SUCCESS"), "{ok}");
    assert_no_secret("check config", &ok);
    // The same secrets in a file with errors around them (and a key not supported yet).
    let broken =
        text.replace(
            "    metrics_path: /label\n    label_value_length_limit: 8\n    basic_auth:",
            "    scrape_interval: often\n    basic_auth:",
        )
        .replace(
            "    authorization: {credentials:",
            "    bogus_key: 1\n    http_headers: {X-Secret: {values: [hdr-x]}}\n    authorization: {credentials:",
        ) + "  - url: ftp://no\n    basic_auth: {username: a, password: "
            + secret("remote_write.basic_auth.password")
            + ", password_file: /x}\n";
    std::fs::write(&file, broken).unwrap();
    let errors = check_config(&file);
    assert!(errors.contains("FAILED") && errors.contains("bogus_key"), "{errors}");
    assert_no_secret("check config errors", &errors);
}

/// Standard base64, enough to recognise a Basic credential on the wire.
mod base64_like {
    pub fn encode(s: &str) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
