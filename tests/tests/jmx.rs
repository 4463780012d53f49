//! The `jmx` exporter plugin end to end against a real embedded Tomcat 9 with a real Jolokia:
//! the user's Tomcat rules (`shared/fixtures/jmx/tomcat.yml`) map known traffic to the series the
//! JMX exporter would give, for both MBean domains (`Catalina`, `Tomcat`). Also the by-hand
//! capture of the Jolokia replies in `tests/fixtures/jolokia/`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use scrapelet_tests::Tomcat;

/// Known traffic: (path, how many times, expected status).
const TRAFFIC: &[(&str, usize, u16)] = &[("/demo/ok?ms=20", 7, 200), ("/demo/fail", 3, 500), ("/demo/session", 2, 200)];

fn send_traffic(tomcat: &Tomcat) {
    for &(path, times, status) in TRAFFIC {
        for _ in 0..times {
            assert_eq!(tomcat.get(path).0, status, "GET {path}");
        }
    }
}

/// The processing parameters of every capture and of the plugin's requests.
fn config(extra: Value) -> Value {
    let mut c = json!({"ignoreErrors": true, "canonicalNaming": false, "includeStackTrace": false});
    c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c
}

fn read(mbean: &str, attribute: Option<&str>, extra: Value) -> Value {
    let mut r = json!({"type": "read", "mbean": mbean, "config": config(extra)});
    if let Some(a) = attribute {
        r["attribute"] = json!(a);
    }
    r
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/jolokia")
}

/// Writes `NAME.request.json` (pretty) and `NAME.reply.json` (Jolokia's bytes, verbatim).
fn capture(tomcat: &Tomcat, name: &str, request: Value) {
    let reply = tomcat.jolokia_raw(&request);
    let dir = fixtures();
    std::fs::write(dir.join(format!("{name}.request.json")), serde_json::to_string_pretty(&request).unwrap() + "\n")
        .unwrap();
    std::fs::write(dir.join(format!("{name}.reply.json")), reply).unwrap();
}

/// The port of the captures, so the `http-nio-PORT` names in them do not change on a re-capture.
const CAPTURE_PORT: u16 = 18080;

/// Rewrites `tests/fixtures/jolokia/` (see its README):
/// `cargo test -p scrapelet-tests --test jmx -- --ignored capture_jolokia_replies`.
#[test]
#[ignore = "rewrites tests/fixtures/jolokia/: run by hand"]
fn capture_jolokia_replies() {
    std::fs::create_dir_all(fixtures()).unwrap();
    for engine in ["Catalina", "Tomcat"] {
        let tomcat = Tomcat::start_on(engine, CAPTURE_PORT);
        send_traffic(&tomcat);
        // A collection now, so both collectors have a LastGcInfo (tabular data) to show.
        let gc = tomcat.jolokia(&json!({"type": "exec", "mbean": "java.lang:type=Memory", "operation": "gc"}));
        assert_eq!(gc["status"], 200, "{gc}");
        let name = engine.to_lowercase();
        // Deeper than 4, Jolokia 1.7.1 on Java 17 fails the whole reply on some Catalina beans
        // (captured below as read-unbounded); 4 keeps every value the rules can use.
        let bulk =
            json!([read(&format!("{engine}:*"), None, json!({"maxDepth": 4})), read("java.lang:*", None, json!({}))]);
        capture(&tomcat, &format!("read-{name}"), bulk);
        if engine != "Catalina" {
            continue;
        }
        capture(
            &tomcat,
            "read-unbounded",
            json!([read("Catalina:*", None, json!({})), read("java.lang:*", None, json!({}))]),
        );
        let list = |path| json!({"type": "list", "path": path, "config": config(json!({}))});
        capture(&tomcat, "list", json!([list("Catalina"), list("java.lang")]));
        let values = json!([
            read("java.lang:type=Memory", Some("HeapMemoryUsage"), json!({})),
            read("java.lang:type=Runtime", Some("SystemProperties"), json!({})),
            read("java.lang:type=GarbageCollector,name=G1 Young Generation", Some("LastGcInfo"), json!({})),
            read("Catalina:type=Manager,host=localhost,context=/demo", None, json!({})),
            read("Catalina:type=NoSuchBean", None, json!({})),
            read("java.lang:type=Memory", Some("NoSuchAttribute"), json!({})),
        ]);
        capture(&tomcat, "values", values);
    }
}
