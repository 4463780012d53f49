//! The `jmx` exporter plugin end to end against a real embedded Tomcat 9 with a real Jolokia:
//! the user's Tomcat rules (`tests/fixtures/jmx/tomcat.yml`) map known traffic to the series the
//! JMX exporter would give, for both MBean domains (`Catalina` as standalone, `Tomcat` as embedded
//! with the domain changed in the rules), plus the JVM metrics; a wrong Jolokia path is a down
//! target with its error on `/api/v1/targets`. Also the by-hand capture of the Jolokia replies in
//! `tests/fixtures/jolokia/`. Jolokia behind basic auth takes the job's own `basic_auth`, its
//! password from a file.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use scrapelet_tests::jmx::{SLEEP_MS, Stack, TIMEOUT, TRAFFIC, send_traffic, sent};
use scrapelet_tests::tomcat::Options as JvmOptions;
use scrapelet_tests::{Tomcat, wait_for};

const RULES_PARAMS: &str = "params: {rules: [tomcat]}";

#[test]
fn catalina_mbeans_map_through_the_users_tomcat_rules() {
    let stack = Stack::start("Catalina", &[("tomcat", RULES_PARAMS)]);
    assert_tomcat_series(&stack, "tomcat");
}

#[test]
fn embedded_tomcat_mbeans_map_with_the_domain_changed_in_the_rules() {
    let stack = Stack::start("Tomcat", &[("spring-boot", RULES_PARAMS)]);
    assert_tomcat_series(&stack, "spring-boot");
}

#[test]
fn wrong_jolokia_path_is_down_with_the_error_on_targets() {
    let stack = Stack::start(
        "Catalina",
        &[("tomcat", RULES_PARAMS), ("wrong-path", "params: {rules: [tomcat], jolokia_path: [/nope]}")],
    );
    assert_eq!(stack.value(r#"up{job="wrong-path"}"#), 0.0);
    stack.wait_up("tomcat");
    let target = wait_for("the wrong path's error on /api/v1/targets", TIMEOUT, || {
        Some(stack.target("wrong-path")).filter(|t| t["health"] == "down")
    });
    let error = target["lastError"].as_str().unwrap_or_default();
    assert!(error.contains("404"), "Tomcat answers 404 on /nope, and the error says so: {target}");
    assert_eq!(stack.target("tomcat")["lastError"], "", "{}", stack.agent.log());
}

/// Jolokia behind basic auth (as a container's security constraint puts it): the job's own
/// `basic_auth`, its password in a file, reaches it through the plugin (PLUGIN-STATE point 3);
/// a job without it is down, and its error says where credentials go.
#[test]
fn jolokia_behind_basic_auth_takes_the_jobs_basic_auth() {
    let dir = scrapelet_tests::procs::scratch("jmx-credentials");
    let password = dir.join("password");
    std::fs::write(&password, "s3cret").unwrap();
    let options = JvmOptions { basic_auth: Some(("monitor".into(), "s3cret".into())), ..Default::default() };
    let with = format!("{RULES_PARAMS}\n    basic_auth: {{username: monitor, password_file: {}}}", password.display());
    let stack = Stack::start_with("Catalina", &options, &[("secured", &with), ("anonymous", RULES_PARAMS)]);
    stack.wait_up("secured");
    let ok = r#"tomcat_servlet_requestcount_total{job="secured",module="localhost/demo",servlet="ok"}"#;
    assert_eq!(stack.value(ok), sent("/demo/ok?ms=20"));
    let target = wait_for("the anonymous job's 401 on /api/v1/targets", TIMEOUT, || {
        Some(stack.target("anonymous")).filter(|t| t["health"] == "down")
    });
    let error = target["lastError"].as_str().unwrap_or_default();
    assert!(error.contains("401") && error.contains("basic_auth"), "{target}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The harness on its own, without the plugin: the MBeans the rules read are registered under the
/// names they expect, in that key order, and count the traffic.
#[test]
fn tomcat_harness_registers_the_mbeans_the_rules_read() {
    for engine in ["Catalina", "Tomcat"] {
        let tomcat = Tomcat::start(engine);
        send_traffic(&tomcat);
        let port = tomcat.port();
        let search =
            tomcat.jolokia(&json!({"type": "search", "mbean": format!("{engine}:*"), "config": config(json!({}))}));
        let names: Vec<&str> =
            search["value"].as_array().expect("search result").iter().filter_map(Value::as_str).collect();
        let servlet = |name: &str| {
            format!(
                "{engine}:j2eeType=Servlet,WebModule=//localhost/demo,name={name},J2EEApplication=none,J2EEServer=none"
            )
        };
        let manager = format!("{engine}:type=Manager,host=localhost,context=/demo");
        for expected in [
            format!("{engine}:type=GlobalRequestProcessor,name=\"http-nio-{port}\""),
            format!("{engine}:type=ThreadPool,name=\"http-nio-{port}\""),
            servlet("ok"),
            servlet("fail"),
            servlet("session"),
            manager.clone(),
        ] {
            assert!(names.contains(&expected.as_str()), "{expected} in {names:?}");
        }
        let value = |mbean: &str, attribute: &str| {
            let reply = tomcat.jolokia(&read(mbean, Some(attribute), json!({})));
            reply["value"].as_f64().unwrap_or_else(|| panic!("{mbean} {attribute}: {reply}"))
        };
        assert_eq!(value(&servlet("ok"), "requestCount"), sent("/demo/ok?ms=20"));
        assert!(value(&servlet("ok"), "processingTime") >= sent("/demo/ok?ms=20") * SLEEP_MS);
        assert_eq!(value(&servlet("fail"), "errorCount"), sent("/demo/fail"));
        assert_eq!(value(&manager, "sessionCounter"), sent("/demo/session"));
    }
}

/// Every rule of the fixture and the JVM metrics, against what [`TRAFFIC`] did.
fn assert_tomcat_series(stack: &Stack, job: &str) {
    stack.wait_up(job);
    assert_servlets(stack, job);
    assert_connector(stack, job);
    assert_sessions(stack, job);
    assert_thread_pool(stack, job);
    assert_jvm(stack, job);
}

fn assert_servlets(stack: &Stack, job: &str) {
    let servlet = |name: &str, attr: &str| {
        stack.value(&format!(r#"tomcat_servlet_{attr}_total{{job="{job}",module="localhost/demo",servlet="{name}"}}"#))
    };
    // The servlets' own counters see the traffic only (Jolokia answers in another web module).
    assert_eq!(servlet("ok", "requestcount"), sent("/demo/ok?ms=20"));
    assert_eq!(servlet("fail", "requestcount"), sent("/demo/fail"));
    assert_eq!(servlet("session", "requestcount"), sent("/demo/session"));
    assert_eq!(servlet("fail", "errorcount"), sent("/demo/fail"));
    assert_eq!(servlet("ok", "errorcount"), 0.0);
    // Milliseconds, as Tomcat counts them: at least the sleeps, and not wildly more.
    let ok = sent("/demo/ok?ms=20");
    let processing = servlet("ok", "processingtime");
    assert!((ok * SLEEP_MS..ok * (SLEEP_MS + 500.0)).contains(&processing), "processing time {processing} ms");
    let max = servlet("ok", "maxtime");
    assert!(max >= SLEEP_MS && max <= processing, "max time {max} ms of {processing} ms");
}

fn assert_connector(stack: &Stack, job: &str) {
    let port = stack.tomcat.port();
    let global = |attr: &str| format!(r#"tomcat_{attr}_total{{job="{job}",port="{port}",protocol="http-nio"}}"#);
    // Every status >= 400 on the connector: the three failures (Jolokia answers 200 even for errors).
    assert_eq!(stack.value(&global("errorcount")), sent("/demo/fail"));
    assert!(stack.value(&global("bytessent")) > 0.0);
    assert!(stack.value(&global("processingtime")) >= sent("/demo/ok?ms=20") * SLEEP_MS);
    // The connector also counts Jolokia's requests, each once it has completed, while the
    // Jolokia servlet counts each from its start: in one reading, the connector's count is the
    // traffic plus the Jolokia servlet's count less the request doing the reading.
    let traffic: f64 = TRAFFIC.iter().map(|t| t.1 as f64).sum();
    let jolokia =
        format!(r#"tomcat_servlet_requestcount_total{{job="{job}",module="localhost/",servlet="jolokia-agent"}}"#);
    let counts = format!("{} - on(job, instance) {jolokia}", global("requestcount"));
    let same_scrape = format!("timestamp({}) - on(job, instance) timestamp({jolokia})", global("requestcount"));
    wait_for("the connector's request count to be the traffic plus Jolokia's", TIMEOUT, || {
        let diff = stack.value(&counts);
        (stack.value(&same_scrape) == 0.0 && diff == traffic - 1.0).then_some(())
    });
}

fn assert_sessions(stack: &Stack, job: &str) {
    let manager = |attr: &str| {
        stack.value(&format!(r#"tomcat_session_{attr}_total{{job="{job}",context="/demo",host="localhost"}}"#))
    };
    assert_eq!(manager("sessioncounter"), sent("/demo/session"));
    assert_eq!(manager("rejectedsessions"), 0.0);
    assert_eq!(manager("expiredsessions"), 0.0);
    assert!(manager("processingtime") >= 0.0);
}

fn assert_thread_pool(stack: &Stack, job: &str) {
    let port = stack.tomcat.port();
    let pool = |attr: &str| {
        stack.value(&format!(r#"tomcat_threadpool_{attr}{{job="{job}",port="{port}",protocol="http-nio"}}"#))
    };
    let threads = pool("currentthreadcount");
    // The thread answering Jolokia is busy while it reads the pool, on an open connection.
    let busy = pool("currentthreadsbusy");
    assert!(busy >= 1.0 && busy <= threads, "{busy} busy of {threads}");
    assert!(pool("connectioncount") >= 1.0);
    assert_eq!(pool("pollerthreadcount"), 1.0, "Tomcat 9.0.70's NIO connector has one poller");
    assert!(pool("keepalivecount") >= 0.0);
}

fn assert_jvm(stack: &Stack, job: &str) {
    let heap = |m: &str| stack.value(&format!(r#"{m}{{job="{job}",area="heap"}}"#));
    assert_eq!(heap("jvm_memory_max_bytes"), 256.0 * 1024.0 * 1024.0, "the harness runs java -Xmx256m");
    let used = heap("jvm_memory_used_bytes");
    assert!(used > 0.0 && used <= heap("jvm_memory_committed_bytes"), "heap used {used}");
    assert!(stack.value(&format!(r#"jvm_threads_current{{job="{job}"}}"#)) >= 1.0);
    // A full collection now: G1's "Old Generation" collector counts only those, so its count and
    // time stay as read here. The time is in seconds (Jolokia gives milliseconds).
    let gc = "java.lang:type=GarbageCollector,name=G1 Old Generation";
    assert_eq!(
        stack.tomcat.jolokia(&json!({"type": "exec", "mbean": "java.lang:type=Memory", "operation": "gc"}))["status"],
        200
    );
    let bean = stack.tomcat.jolokia(&json!({"type": "read", "mbean": gc}));
    let (count, ms) =
        (bean["value"]["CollectionCount"].as_f64().unwrap(), bean["value"]["CollectionTime"].as_f64().unwrap());
    assert!(count >= 1.0, "{bean}");
    let series = |suffix: &str| format!(r#"jvm_gc_collection_seconds_{suffix}{{job="{job}",gc="G1 Old Generation"}}"#);
    wait_for("the forced collection in jvm_gc_collection_seconds", TIMEOUT, || {
        (stack.value(&series("count")) == count).then_some(())
    });
    let seconds = stack.value(&series("sum"));
    assert!((seconds - ms / 1000.0).abs() < 1e-9, "{seconds} s for {ms} ms");
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
