//! The shipped Grafana dashboards (`deploy/dashboards/`): importable as they are, and every PromQL
//! expression in them (panels, rows, template variables; variables substituted as Grafana does)
//! returns data from a real Prometheus that scrapelet filled, end to end: the whole embedded
//! default config, pod discovery from the test API server (the agent's own pod, so its
//! self-metrics arrive as in a cluster, and a pod whose exporter plugin fails), the kubelet job on
//! the test kubelet (real cAdvisor capture), and a real Tomcat + Jolokia through the jmx plugin
//! ([`tomcat_source`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use scrapelet_tests::apiserver::{ApiServer, pod};
use scrapelet_tests::defaults::whole_default;
use scrapelet_tests::grafana::{Dashboard, Variable, all_of, dashboards, dashboards_dir, substitute};
use scrapelet_tests::kubelet::{TestKubelet, testdata};
use scrapelet_tests::plugins::plugin;
use scrapelet_tests::procs::scratch;
use scrapelet_tests::tomcat::rules_for;
use scrapelet_tests::{Prometheus, Scrapelet, Tomcat, http};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(90);
const TOKEN: &str = "dashboards-token";

// --- The sources, running.

/// What feeds the dashboards; everything stops on drop.
struct Sources {
    prom: Prometheus,
    _agent: Scrapelet,
    _api: ApiServer,
    _kubelet: TestKubelet,
    /// Holds the port the broken pod declares, so that no other test's server answers there.
    _broken_port: std::net::TcpListener,
    /// `Some` once the JVM/Tomcat source is enabled.
    jmx: Option<JmxSource>,
}

/// The JVM/Tomcat source: its `plugins:` entry and whatever must stay alive (the Tomcat).
struct JmxSource {
    plugin: String,
    _keep: Box<dyn std::any::Any>,
}

/// The JVM/Tomcat source for `jvm-tomcat.json`: a real embedded Tomcat (engine `Tomcat`, as in
/// Spring Boot) with Jolokia, after some traffic, announced as a pod with the Jolokia annotations
/// the embedded default reads, mapped by the jmx plugin with the embedded-Tomcat rules.
fn tomcat_source(api: &ApiServer) -> Option<JmxSource> {
    let tomcat = Tomcat::start("Tomcat");
    for path in ["/demo/ok?ms=5", "/demo/ok?ms=5", "/demo/fail", "/demo/session"] {
        tomcat.get(path);
    }
    let port = tomcat.port();
    let jolokia = port.to_string();
    let annotations = [
        ("prometheus.io/scrape", "true"),
        ("scrapelet.io/jolokia-port", jolokia.as_str()),
        ("scrapelet.io/jmx-rules", "tomcat-embedded"),
    ];
    let ports = [("jolokia", port, "TCP")];
    api.add_pod(pod("shop", "tomcat-7d9f-aaaaa", "node-a", "127.0.0.1", &[], &annotations, &[("tomcat", &ports)]));
    let rules = scratch("dashboards-jmx-rules");
    std::fs::write(rules.join("tomcat-embedded.yml"), rules_for("Tomcat")).unwrap();
    let plugin = format!(
        "  - name: jmx\n    path: {}\n    data_dir: {}\n    config:\n      rules_sets: {{tomcat-embedded: tomcat-embedded.yml}}\n",
        plugin("jmx").display(),
        rules.display()
    );
    Some(JmxSource { plugin, _keep: Box::new(tomcat) })
}

/// A declared exporter plugin whose file does not exist, and a pod that asks for it: real plugin
/// failures (`load`, `unavailable`) for the "plugin errors" panel and the failed-scrape panel.
const BROKEN_PLUGIN: &str = "  - name: broken\n    path: /nonexistent/broken.wasm\n";

fn token_file() -> PathBuf {
    let path = scratch("dashboards-token").join("token");
    std::fs::write(&path, TOKEN).unwrap();
    path
}

/// Starts every source and the agent running the whole embedded default over them.
fn sources() -> Sources {
    let (prom, kubelet, api) = (Prometheus::start(), TestKubelet::start(TOKEN), ApiServer::start());
    let broken_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let broken = broken_port.local_addr().unwrap().port();
    let annotations = [
        ("prometheus.io/scrape", "true"),
        ("prometheus.io/port", &broken.to_string()),
        ("scrapelet.io/exporter", "broken"),
    ];
    let ports = [("http", broken, "TCP")];
    api.add_pod(pod("shop", "legacy-7d9f-bbbbb", "node-a", "127.0.0.1", &[], &annotations, &[("app", &ports)]));
    let jmx = tomcat_source(&api);

    let kubeconfig = scratch("dashboards-kubeconfig").join("kubeconfig");
    api.write_kubeconfig(&kubeconfig).unwrap();
    let plugins = format!("plugins:\n{BROKEN_PLUGIN}{}", jmx.as_ref().map_or("", |j| j.plugin.as_str()));
    let kubelet_port: u16 = kubelet.url.rsplit(':').next().unwrap().parse().unwrap();
    let (token, ca) = (token_file(), testdata("ca.pem"));
    let config = whole_default(&kubeconfig, (kubelet_port, &token, &ca), &plugins, &prom.write_url());
    let env = [("NODE_NAME", "node-a"), ("NODE_IP", "127.0.0.1")];
    let agent = Scrapelet::start_with_env(&config, &env);
    // The agent's own pod, annotated as deploy/daemonset.yaml annotates it, on the port the agent
    // took (discovery watches: the pod is found once added).
    let agent_port: u16 = agent.addr.rsplit(':').next().unwrap().parse().unwrap();
    let port = agent_port.to_string();
    let annotations =
        [("prometheus.io/scrape", "true"), ("prometheus.io/port", &port), ("prometheus.io/path", "/metrics")];
    let ports = [("http-metrics", agent_port, "TCP")];
    api.add_pod(pod(
        "scrapelet",
        "scrapelet-x2x4p",
        "node-a",
        "127.0.0.1",
        &[],
        &annotations,
        &[("scrapelet", &ports)],
    ));
    Sources { prom, _agent: agent, _api: api, _kubelet: kubelet, _broken_port: broken_port, jmx }
}

// --- Prometheus' HTTP API, answering errors instead of panicking.

fn api_get(prom: &Prometheus, path: &str) -> Result<Value, String> {
    let (status, body) = http::get(&prom.addr, path).map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&body).map_err(|_| format!("HTTP {status}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("{}: {}", v["errorType"], v["error"]));
    }
    Ok(v["data"].clone())
}

/// The number of results of an instant query, or Prometheus' error (a parse error, ...).
fn eval(prom: &Prometheus, expr: &str) -> Result<usize, String> {
    let data = api_get(prom, &format!("/api/v1/query?query={}", http::encode(expr)))?;
    Ok(data["result"].as_array().map_or(0, Vec::len))
}

/// What `label_values(selector, label)` offers, as Grafana asks Prometheus for it.
fn values(prom: &Prometheus, v: &Variable, before: &[(String, String)]) -> Result<Vec<String>, String> {
    let matcher = v.selector.as_ref().map(|s| format!("?match[]={}", http::encode(&substitute(s, before))));
    let data = api_get(prom, &format!("/api/v1/label/{}/values{}", v.label, matcher.unwrap_or_default()))?;
    Ok(data.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect())
}

// --- The checks.

/// How a variable is set: "All", or its first value (what a user sees first).
#[derive(Clone, Copy, Debug)]
enum Pick {
    All,
    First,
}

/// The variables' values for `pick`, each resolved with the ones before it, or why one is empty.
fn resolve(prom: &Prometheus, d: &Dashboard, pick: Pick) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in &d.variables {
        let found = values(prom, v, &out).map_err(|e| format!("variable ${}: {e}", v.name))?;
        if found.is_empty() {
            return Err(format!("variable ${}: label_values({:?}, {}) returned nothing", v.name, v.selector, v.label));
        }
        let value = match pick {
            Pick::All => v.all_value.clone().unwrap_or_else(|| all_of(&found)),
            Pick::First => all_of(&found[..1]),
        };
        out.push((v.name.clone(), value));
    }
    Ok(out)
}

/// Every problem of `d` now: empty or failing expressions, each with its panel.
fn problems(prom: &Prometheus, d: &Dashboard) -> Vec<String> {
    let mut out = Vec::new();
    for pick in [Pick::All, Pick::First] {
        let vars = match resolve(prom, d, pick) {
            Ok(v) => v,
            Err(e) => {
                out.push(format!("{} ({pick:?}): {e}", d.file));
                continue;
            }
        };
        for q in &d.queries {
            let expr = substitute(&q.expr, &vars);
            match eval(prom, &expr) {
                Ok(0) => out.push(format!("{} panel {:?} ({pick:?}) returned nothing: {expr}", d.file, q.panel)),
                Ok(_) => {}
                Err(e) => out.push(format!("{} panel {:?} ({pick:?}): {e}: {expr}", d.file, q.panel)),
            }
        }
    }
    out
}

/// Syntax only (the dashboard's source is not running): Prometheus parses every expression and
/// every variable's selector.
fn syntax_problems(prom: &Prometheus, d: &Dashboard) -> Vec<String> {
    let vars: Vec<(String, String)> = d.variables.iter().map(|v| (v.name.clone(), ".+".to_string())).collect();
    let selectors = d.variables.iter().filter_map(|v| v.selector.clone()).map(|s| (format!("variable {s}"), s));
    let exprs = d.queries.iter().map(|q| (format!("panel {:?}", q.panel), q.expr.clone()));
    selectors
        .chain(exprs)
        .filter_map(|(place, e)| {
            eval(prom, &substitute(&e, &vars)).err().map(|err| format!("{} {place}: {err}", d.file))
        })
        .collect()
}

#[test]
fn every_dashboard_query_returns_data_from_a_prometheus_scrapelet_filled() {
    let s = sources();
    let all = dashboards();
    assert_eq!(all.len(), 3, "{:?}", all.iter().map(|d| &d.file).collect::<Vec<_>>());
    let (with_data, syntax_only): (Vec<&Dashboard>, Vec<&Dashboard>) =
        all.iter().partition(|d| d.file != "jvm-tomcat.json" || s.jmx.is_some());
    for d in &syntax_only {
        let p = syntax_problems(&s.prom, d);
        assert!(p.is_empty(), "{}", p.join("\n"));
    }
    // Poll until every expression has data: rates need two scrapes, remote write a moment.
    let start = Instant::now();
    loop {
        let p: Vec<String> = with_data.iter().flat_map(|d| problems(&s.prom, d)).collect();
        if p.is_empty() {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "after {TIMEOUT:?}:\n{}", p.join("\n"));
        std::thread::sleep(Duration::from_millis(500));
    }
    let checked: usize = with_data.iter().map(|d| d.queries.len()).sum();
    assert!(checked >= 20, "only {checked} expressions checked for data");
}

/// Importable as they are: Grafana's JSON model, a Prometheus datasource chosen through the
/// `datasource` variable everywhere (no `${DS_...}` import placeholders, so the Grafana sidecar
/// can load them too), unique uids and panel ids, and each listed in the README.
#[test]
fn every_dashboard_is_importable_as_is() {
    let readme = std::fs::read_to_string(dashboards_dir().join("README.md")).expect("deploy/dashboards/README.md");
    let mut uids = Vec::new();
    for d in dashboards() {
        let (f, j) = (&d.file, &d.json);
        assert!(readme.contains(f.as_str()), "README.md does not mention {f}");
        assert_eq!(j["schemaVersion"], 39, "{f}");
        assert!(j["title"].as_str().is_some_and(|t| !t.is_empty()) && j["id"].is_null(), "{f}");
        uids.push(j["uid"].as_str().expect("uid").to_string());
        assert!(!j.to_string().contains("${DS_"), "{f}: import placeholders break provisioning");
        let vars = j["templating"]["list"].as_array().expect("templating.list");
        let ds =
            vars.iter().find(|v| v["name"] == "datasource").unwrap_or_else(|| panic!("{f}: no datasource variable"));
        assert_eq!((ds["type"].as_str(), ds["query"].as_str()), (Some("datasource"), Some("prometheus")), "{f}");
        let mut ids = Vec::new();
        check_panels(f, &j["panels"], &mut ids);
        let before = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(before, ids.len(), "{f}: duplicate panel ids");
        assert!(d.queries.len() >= 5, "{f}: {} expressions", d.queries.len());
    }
    let before = uids.len();
    uids.sort();
    uids.dedup();
    assert_eq!(before, uids.len(), "duplicate dashboard uids");
}

fn check_panels(file: &str, panels: &Value, ids: &mut Vec<i64>) {
    for p in panels.as_array().into_iter().flatten() {
        ids.push(p["id"].as_i64().unwrap_or_else(|| panic!("{file}: a panel without id")));
        check_panels(file, &p["panels"], ids);
        if p["type"] == "row" {
            continue;
        }
        let title = p["title"].as_str().unwrap_or_default();
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{file} {title:?}");
        let targets = p["targets"].as_array().unwrap_or_else(|| panic!("{file} {title:?}: no targets"));
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{file} {title:?}");
            assert!(t["expr"].as_str().is_some_and(|e| !e.is_empty()), "{file} {title:?}");
        }
    }
}

/// `deploy/dashboards` as a kustomize component: one ConfigMap per dashboard, labelled for the
/// Grafana sidecar, each holding its file unchanged; the rendered overlay validates strictly.
/// Needs `kubectl` (as the manifests' rendering tests do): without it the test fails.
#[test]
fn the_sidecar_component_renders_one_labelled_configmap_per_dashboard() {
    let dir = std::env::temp_dir().join(format!("scrapelet-dashboards-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let up = "../".repeat(dir.components().count() - 1);
    let deploy = dashboards_dir().join("..").canonicalize().unwrap();
    let rel = format!("{up}{}", deploy.strip_prefix("/").unwrap().display());
    let k = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - {rel}\ncomponents:\n  - {rel}/dashboards\n"
    );
    std::fs::write(dir.join("kustomization.yaml"), k).unwrap();
    let out = std::process::Command::new("kubectl").arg("kustomize").arg(&dir).output().unwrap_or_else(|e| {
        panic!("kubectl kustomize: {e} (kubectl is missing: run the README's test command, which installs it)")
    });
    assert!(out.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = text.split("\n---\n").map(yaml_to_json).collect();
    for d in dashboards() {
        let cm = docs
            .iter()
            .find(|c| c["kind"] == "ConfigMap" && c["data"][&d.file].is_string())
            .unwrap_or_else(|| panic!("no ConfigMap holds {}", d.file));
        assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1", "{}", d.file);
        assert_eq!(cm["metadata"]["namespace"], "scrapelet");
        let shipped: Value = serde_json::from_str(cm["data"][&d.file].as_str().unwrap()).unwrap();
        assert_eq!(shipped, d.json, "{}", d.file);
    }
    let path = dir.join("rendered.yaml");
    std::fs::write(&path, &text).unwrap();
    let v = std::process::Command::new("kubernetes-validate")
        .args(["--strict"])
        .arg(&path)
        .output()
        .expect("kubernetes-validate");
    assert!(v.status.success(), "{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// A rendered manifest as JSON (through the YAML loader the tests already use).
fn yaml_to_json(doc: &str) -> Value {
    fn conv(y: &yaml_rust2::Yaml) -> Value {
        use yaml_rust2::Yaml;
        match y {
            Yaml::String(s) | Yaml::Real(s) => Value::from(s.as_str()),
            Yaml::Integer(i) => Value::from(*i),
            Yaml::Boolean(b) => Value::from(*b),
            Yaml::Array(a) => Value::Array(a.iter().map(conv).collect()),
            Yaml::Hash(h) => {
                Value::Object(h.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), conv(v))).collect())
            }
            _ => Value::Null,
        }
    }
    yaml_rust2::YamlLoader::load_from_str(doc).unwrap().first().map(conv).unwrap_or(Value::Null)
}
