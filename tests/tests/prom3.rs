//! Prometheus 3 behaviour through the binary, with expectations from Prometheus' own tests:
//! its relabel and text-parse tables (ported into the agent's test data, source commit named
//! there) run through `scrapelet relabel` and `scrapelet scrape`, scrape-loop cases of
//! `scrape/scrape_test.go` (v3.14.0, commit d7598b7141418fa35be2b5ec5d0fefb634199610) through
//! `scrapelet scrape`, and reload and targets-page behaviour of a running agent.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use scrapelet_tests::FixtureServer;
use scrapelet_tests::fixture::Reply;
use scrapelet_tests::procs::{run_scrapelet, scratch_file};
use serde_json::Value;

const RELABEL: &str = include_str!("../../agent/src/relabel/testdata/prometheus-3.14-relabel.json");
const TEXTPARSE: &str = include_str!("../../agent/src/scrape/parse/testdata/prometheus-3.14-textparse.json");

fn legacy_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn legacy_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The agent's `{a="1","b.c"="2"}` notation of a label set.
fn notation(labels: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = labels
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let name = if legacy_label_name(k) { k.clone() } else { format!("\"{}\"", escape(k)) };
            format!("{name}=\"{}\"", escape(v))
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn map(v: &Value) -> BTreeMap<String, String> {
    v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

#[test]
fn relabel_command_matches_prometheus_3_relabel_table() {
    let table: Value = serde_json::from_str(RELABEL).unwrap();
    let cases = table["relabel"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for (i, case) in cases.iter().enumerate() {
        let rules = scratch_file(&format!("rules-{i}.yml"), case["rules"].as_str().unwrap());
        let input = notation(&map(&case["input"]));
        let out = run_scrapelet(&["relabel", "--rules", rules.to_str().unwrap()], &format!("{input}\n"));
        assert_eq!(out.status.code(), Some(0), "case {i}: {}", String::from_utf8_lossy(&out.stderr));
        let want = match case["output"].is_null() {
            true => "DROPPED".to_string(),
            false => notation(&map(&case["output"])),
        };
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), want, "case {i}: rules\n{}", case["rules"]);
    }
}

/// One sample line as `scrapelet scrape` prints it (target labels added).
fn sample_line(labels: &BTreeMap<String, String>, value: &Value, t: Option<i64>) -> String {
    let mut rest = labels.clone();
    let name = rest.remove("__name__").unwrap_or_default();
    let body = notation(&rest);
    let series = if legacy_metric_name(&name) {
        if rest.is_empty() { name } else { format!("{name}{body}") }
    } else {
        let sep = if rest.is_empty() { "" } else { "," };
        format!("{{\"{}\"{sep}{}", escape(&name), &body[1..])
    };
    let v = match value {
        Value::String(s) => s.clone(),
        v => format!("{}", v.as_f64().unwrap()),
    };
    match t {
        Some(t) => format!("{series} {v} {t}"),
        None => format!("{series} {v}"),
    }
}

#[test]
fn scrape_command_matches_prometheus_3_text_parse_tables() {
    let table: Value = serde_json::from_str(TEXTPARSE).unwrap();
    for case in table["parse"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let body = case["body"].as_str().unwrap().as_bytes().to_vec();
        let om = case["format"] == "openmetrics";
        let app = FixtureServer::start(
            move |_, _| if om { Reply::openmetrics(body.clone()) } else { Reply::text(body.clone()) },
        );
        let out = run_scrapelet(&["scrape", &format!("http://{}/metrics", app.addr)], "");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let target = BTreeMap::from([("instance".to_string(), app.addr.clone()), ("job".to_string(), "scrape".into())]);
        let mut seen = std::collections::HashSet::new();
        let want: Vec<String> = case["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("series").is_some() && seen.insert(e["series"].as_str().unwrap().to_string()))
            .map(|e| {
                let mut labels = map(&e["labels"]);
                labels.extend(target.clone());
                sample_line(&labels, &e["value"], e["t"].as_i64())
            })
            .collect();
        let got: Vec<&str> = stdout
            .lines()
            .filter(|l| !l.starts_with("up{") && !l.starts_with("scrape_"))
            // Prometheus' parser test skips OpenMetrics `_created` series; its scrape loop keeps them.
            .filter(|l| {
                !(case["skip_created"] == true && metric_name(l).ends_with("_created")) || want.iter().any(|w| w == l)
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

/// The metric name of a printed sample line (plain, or quoted inside the braces).
fn metric_name(line: &str) -> &str {
    match line.strip_prefix("{\"") {
        Some(rest) => rest.split('"').next().unwrap_or(""),
        None => line.split(['{', ' ']).next().unwrap_or(""),
    }
}

/// Scrapes `body` (with `content_type`) once with `scrapelet scrape`, under the job in `job_yaml`.
fn scrape(content_type: &'static str, body: &str, job_yaml: &str) -> (Option<i32>, String, String) {
    let body = body.as_bytes().to_vec();
    let app = FixtureServer::start(move |_, _| Reply::Body { content_type, body: body.clone() });
    let cfg = scratch_file("job.yml", &format!("scrape_configs:\n  - job_name: j\n{job_yaml}"));
    let url = format!("http://{}/metrics", app.addr);
    let out = run_scrapelet(&["scrape", &url, "--config", cfg.to_str().unwrap(), "--job", "j"], "");
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&format!("instance=\"{}\",", app.addr), "");
    (out.status.code(), stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

const TEXT: &str = "text/plain; version=0.0.4";

/// `TestScrapeLoopSeriesAddedDuplicates`: a repeated series keeps its first sample, the scrape
/// stays up, and every sample is counted as scraped and post-relabelling.
#[test]
fn repeated_series_keep_the_first_sample_and_the_target_up() {
    let (code, out, err) = scrape(TEXT, "test_metric 1\ntest_metric 2\ntest_metric 3\n", "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("test_metric{job=\"j\"} 1\nup{job=\"j\"} 1\n"), "{out}");
    for (name, v) in
        [("scrape_samples_scraped", 3), ("scrape_samples_post_metric_relabeling", 3), ("scrape_series_added", 1)]
    {
        assert!(out.contains(&format!("{name}{{job=\"j\"}} {v}\n")), "{name}: {out}");
    }
    // "When different timestamps are supplied, multiple samples are accepted."
    let (code, out, _) = scrape(TEXT, "test_metric 1 1001\ntest_metric 1 1002\ntest_metric 1 1003\n", "");
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with(
            "test_metric{job=\"j\"} 1 1001\ntest_metric{job=\"j\"} 1 1002\ntest_metric{job=\"j\"} 1 1003\n"
        ),
        "{out}"
    );
}

/// Prometheus' lexers take any `\x` in a label value and undo only `\\`, `\"` and `\n`.
#[test]
fn unknown_escapes_are_kept_literally() {
    let (code, out, err) = scrape(TEXT, "m{path=\"C:\\q\\\\x\"} 1\n", "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("m{job=\"j\",path=\"C:\\\\q\\\\x\"} 1\n"), "{out}");
}

/// `TestScrapeLoopDiscardUnnamedMetrics`: a series left without a name fails the scrape.
#[test]
fn a_series_without_name_after_metric_relabelling_fails_the_scrape() {
    let job = "    metric_relabel_configs:\n      - action: labeldrop\n        regex: __name__\n";
    let (code, out, err) = scrape(TEXT, "nok 1\n", job);
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("missing metric name (__name__ label)"), "{err}");
    assert!(out.starts_with("up{job=\"j\"} 0\n"), "{out}");
}

/// `TestScrapeLoopFailLegacyUnderUTF8` and `TestScrapeUTF8`: quoted names pass under utf8 (the
/// default) and fail the scrape under legacy.
#[test]
fn utf8_names_follow_the_validation_scheme() {
    let body = "{\"test.metric\",\"with.dots\"=\"x\"} 1\n";
    let (code, out, err) = scrape(TEXT, body, "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("{\"test.metric\",job=\"j\",\"with.dots\"=\"x\"} 1\n"), "{out}");
    let (code, _, err) = scrape(TEXT, body, "    metric_name_validation_scheme: legacy\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("invalid metric name or label names"), "{err}");
}

/// `TestScrapeLoopAppendFailsWithNoContentType`, `TestScrapeLoopAppendEmptyWithNoContentType`
/// and `TestNewParser`'s fallbacks.
#[test]
fn content_type_rules_follow_prometheus_3() {
    let (code, _, err) = scrape("", "metric_a 1\n", "");
    assert_eq!(code, Some(1));
    assert!(err.contains("non-compliant scrape target sending blank Content-Type"), "{err}");
    let (code, out, err) = scrape("", "metric_a 1\n", "    fallback_scrape_protocol: PrometheusText0.0.4\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("metric_a{job=\"j\"} 1\n"), "{out}");
    let (code, _, err) = scrape("", "", "");
    assert_eq!(code, Some(0), "an empty body needs no Content-Type: {err}");
    let (code, _, err) = scrape("text/html", "metric_a 1\n", "");
    assert_eq!(code, Some(1));
    assert!(err.contains("received unsupported Content-Type \"text/html\""), "{err}");
    let (code, _, _) = scrape("text/html", "# EOF\n", "    fallback_scrape_protocol: OpenMetricsText1.0.0\n");
    assert_eq!(code, Some(0));
}

/// `TestLeQuantileReLabel`: `le` and `quantile` are stored as OpenMetrics floats.
#[test]
fn le_and_quantile_values_are_normalised() {
    let body =
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n# TYPE s summary\ns{quantile=\"0\"} 1\n";
    let (code, out, err) = scrape(TEXT, body, "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("h_bucket{job=\"j\",le=\"1.0\"} 1\n"), "{out}");
    assert!(out.contains("h_bucket{job=\"j\",le=\"+Inf\"} 1\n"), "{out}");
    assert!(out.contains("s{job=\"j\",quantile=\"0.0\"} 1\n"), "{out}");
}

/// A server that answers every request with a text body and records the request's headers.
fn header_recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                record.lock().unwrap().push(line.trim_end().to_string());
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nm 1\n"
            );
        }
    });
    (addr, seen)
}

/// `TestAcceptHeader`: the header Prometheus 3 sends for the job's protocols and escaping, never
/// offering protobuf (not parsed yet).
#[test]
fn accept_header_follows_scrape_protocols_and_escaping() {
    let cases = [
        (
            "",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        ),
        (
            "    metric_name_validation_scheme: legacy\n",
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        ),
        ("    scrape_protocols: [PrometheusProto, PrometheusText0.0.4]\n", "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"),
    ];
    for (job, want) in cases {
        let (addr, seen) = header_recorder();
        let cfg = scratch_file("accept.yml", &format!("scrape_configs:\n  - job_name: j\n{job}"));
        let out = run_scrapelet(
            &["scrape", &format!("http://{addr}/metrics"), "--config", cfg.to_str().unwrap(), "--job", "j"],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let headers = seen.lock().unwrap().clone();
        let accept = headers.iter().find_map(|h| h.strip_prefix("accept: ").or(h.strip_prefix("Accept: ")));
        assert_eq!(accept, Some(want), "{job}: {headers:?}");
    }
}

/// `extra_scrape_metrics`: Prometheus 3 also reports the timeout, the sample limit and the body
/// size.
#[test]
fn extra_scrape_metrics_report_timeout_limit_and_body_size() {
    let (code, out, err) =
        scrape(TEXT, "m 1\n", "    extra_scrape_metrics: true\n    sample_limit: 10\n    scrape_timeout: 3s\n");
    assert_eq!(code, Some(0), "{err}");
    for line in [
        "scrape_timeout_seconds{job=\"j\"} 3\n",
        "scrape_sample_limit{job=\"j\"} 10\n",
        "scrape_body_size_bytes{job=\"j\"} 4\n",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let (_, out, _) = scrape(TEXT, "m 1\n", "");
    assert!(!out.contains("scrape_timeout_seconds"), "{out}");
}
