//! Writes the seed inputs of the committed corpus (`corpus/<target>/seed-*`) from the project's
//! own fixtures and encoders: `cargo test -p scrapelet-fuzz --test seeds -- --ignored`. Inputs
//! `cargo fuzz` found are added next to them (`cargo fuzz cmin` keeps the set small).

use std::path::Path;

use jmx_core::jolokia::{Jolokia, Options, State, scrape};
use scrapelet::labels::Labels;
use scrapelet::wal::record::{RefSample, encode_samples, encode_series};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = scrapelet_fuzz::corpus_dir(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn with_mode(mode: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(body);
    v
}

/// The jmx plugin's test Jolokia (MBeans in memory, here the real Tomcat 9 capture).
#[path = "../../../plugins/jmx-core/tests/jolokia_support/mod.rs"]
mod jolokia_support;

/// Passes requests on and keeps the replies, NUL-separated as the `jolokia_reply` target reads them.
struct Recorder<J>(J, Vec<u8>);

impl<J: Jolokia> Jolokia for Recorder<J> {
    fn post(&mut self, body: &str) -> Result<Vec<u8>, String> {
        let reply = self.0.post(body)?;
        if !self.1.is_empty() {
            self.1.push(0);
        }
        self.1.extend_from_slice(&reply);
        Ok(reply)
    }
}

/// Two scrapes of the Tomcat capture (discovery, then the planned reads) with the Tomcat rules.
fn jolokia_exchange(jvm_metrics: bool) -> Vec<u8> {
    let dir = "plugins/jmx-core/tests/fixtures/jolokia/tomcat9";
    let json = |n: &str| serde_json::from_slice(&fixture(&format!("{dir}/{n}.reply.json"))).unwrap();
    let fake = jolokia_support::Fake::from_captures(&json("read-catalina"), &json("list"));
    let config = jmx_core::JmxConfig::from_yaml(&String::from_utf8(fixture("tests/fixtures/jmx/tomcat.yml")).unwrap());
    let (config, mut recorder) = (config.unwrap(), Recorder(fake, Vec::new()));
    let first = scrape(&config, Options { jvm_metrics }, State::new(1), &mut recorder).unwrap();
    scrape(&config, Options { jvm_metrics }, first.state, &mut recorder).unwrap();
    recorder.1
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).unwrap()
}

#[test]
#[ignore = "writes the seed corpus"]
fn write_seed_corpus() {
    // Exposition: the parser's golden bodies and the kubelet's, text (0) and OpenMetrics (1).
    write("exposition", "node-exporter", &with_mode(0, &fixture("agent/tests/fixtures/parse/node_exporter.prom")));
    write("exposition", "app-om", &with_mode(1, &fixture("agent/tests/fixtures/parse/app.om")));
    write("exposition", "kubelet-metrics", &with_mode(0, &fixture("tests/fixtures/kubelet/metrics.txt")));
    let small = b"# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n\
        http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
        http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n\
        metric_without_timestamp_and_labels 12.47\nsomething_weird{problem=\"division by zero\"} +Inf -3982045\n\
        # TYPE hist histogram\nhist_bucket{le=\"0.5\"} 1\nhist_bucket{le=\"+Inf\"} 2\nhist_sum 3\nhist_count 2\n\
        msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n";
    write("exposition", "text-format-example", &with_mode(0, small));
    let om = b"# TYPE acme_http_router_request_seconds summary\n# UNIT acme_http_router_request_seconds seconds\n\
        acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n\
        acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0\n\
        # TYPE foo counter\nfoo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n# EOF\n";
    write("exposition", "openmetrics-example", &with_mode(1, om));

    // Remote-write answers, as raw HTTP.
    let answers: [(&str, &str); 7] = [
        ("204", "HTTP/1.1 204 No Content\r\n\r\n"),
        ("200-v2", "HTTP/1.1 200 OK\r\nX-Prometheus-Remote-Write-Samples-Written: 2000\r\nContent-Length: 0\r\n\r\n"),
        ("429-seconds", "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nslow"),
        (
            "503-date",
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "400-body",
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 37\r\n\r\nout of order sample for series up{} 1",
        ),
        ("chunked", "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nerror\r\n0\r\n\r\n"),
        ("415", "HTTP/1.1 415 Unsupported Media Type\r\nConnection: close\r\n\r\n"),
    ];
    for (name, raw) in answers {
        write("remote_write_response", name, raw.as_bytes());
    }

    // Jolokia: two scrapes of a real Tomcat 9's MBeans (mode 2), and with the JVM metrics (3).
    write("jolokia_reply", "tomcat-two-scrapes", &with_mode(2, &jolokia_exchange(false)));
    write("jolokia_reply", "tomcat-two-scrapes-jvm", &with_mode(3, &jolokia_exchange(true)));

    // WAL: a segment's start (series and sample records), raw (0), and one record to frame (1).
    let mut segment = Vec::new();
    let labels = Labels::from_pairs([("__name__", "up"), ("job", "node"), ("instance", "10.0.0.5:9100")]);
    encode_series(&mut segment, 1, &labels);
    encode_series(&mut segment, 2, &Labels::from_pairs([("__name__", "x"), ("a", "b")]));
    let samples = [
        RefSample { r#ref: 1, t: 1_700_000_000_000, v: 1.0 },
        RefSample { r#ref: 2, t: 1_700_000_000_500, v: f64::NAN },
    ];
    encode_samples(&mut segment, samples.into_iter());
    write("wal_records", "segment", &with_mode(0, &segment));
    write("wal_records", "torn", &with_mode(0, &segment[..segment.len() - 5]));
    // Framed (1): each record's kind and payload, which the target frames with a right checksum.
    let mut at = 0;
    while let Some((_, len)) = scrapelet::wal::record::peek(&segment[at..]) {
        write("wal_records", &format!("framed-{at}"), &with_mode(1, &segment[at + 8..at + len]));
        at += len;
    }
}
