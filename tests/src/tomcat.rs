//! A real embedded Tomcat 9 with a real Jolokia agent (`tests/java/EmbeddedTomcat.java`, Debian's
//! `libtomcat9-java` and `libjolokia-core-java`): compiled with `javac` once per source version,
//! run on a port reserved for it ([`free_port`](crate::free_port)), killed on drop. Its web
//! applications are listed in the Java file's header; Jolokia answers at [`Tomcat::JOLOKIA`].
//! [`Options`] add the JMX exporter's own test MBeans (`tests/java/io/prometheus/jmx`, copied
//! from its test suite) and basic auth in front of Jolokia. [`plugin_run`] runs `scrapelet plugin
//! run` with the `jmx` plugin against such a JVM.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::procs::{Proc, require, scratch};
use crate::{free_port, http, wait_for};

/// The jars an embedded Tomcat 9 with Jolokia needs (Debian's `libtomcat9-java`,
/// `libjolokia-core-java`, `libjson-simple-java`), one per line; `tests/demo.sh` reads it too.
const CLASSPATH: &str = include_str!("../java/classpath.txt");

/// What else the JVM serves besides Tomcat's own MBeans.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Registers the JMX exporter's test MBeans (`TestMBeanRegistry.registerTestMBeans`).
    pub test_mbeans: bool,
    /// `(user, password)`: Jolokia answers 401 without HTTP basic auth as that user.
    pub basic_auth: Option<(String, String)>,
}

/// A running Tomcat.
pub struct Tomcat {
    addr: String,
    port: u16,
    proc: Proc,
}

impl Tomcat {
    /// Where Jolokia's agent servlet answers (mapped at `/jolokia/*` in the ROOT context).
    pub const JOLOKIA: &str = "/jolokia";

    /// Starts Tomcat with engine `engine` on a free port: `"Catalina"` registers its MBeans under
    /// the `Catalina` domain as a standalone Tomcat does, `"Tomcat"` under `Tomcat` as embedded
    /// ones (Spring Boot) do. Returns once Jolokia answers.
    pub fn start(engine: &str) -> Tomcat {
        Tomcat::start_on(engine, free_port())
    }

    /// [`Tomcat::start`] on a given port (the MBean names carry it: `http-nio-PORT`, which is why
    /// Tomcat is told a port rather than handed a bound socket: on an inherited channel it names
    /// them `http-nio-JVMInheritedChannel`).
    pub fn start_on(engine: &str, port: u16) -> Tomcat {
        Tomcat::start_with(engine, port, &Options::default())
    }

    /// [`Tomcat::start_on`] with the extras of `options`.
    pub fn start_with(engine: &str, port: u16, options: &Options) -> Tomcat {
        let (classes, classpath) = compiled();
        let dir = scratch("tomcat");
        let log = dir.join("log");
        let mut extra = Vec::new();
        if options.test_mbeans {
            extra.push("--test-mbeans".to_string());
        }
        if let Some((user, password)) = &options.basic_auth {
            extra.extend(["--basic-auth".to_string(), format!("{user}:{password}")]);
        }
        let child = Command::new(require("/usr/bin/java"))
            .args(["-Xmx256m", "-XX:+UseG1GC", "-cp"])
            .arg(format!("{classpath}:{}", classes.display()))
            .args(["EmbeddedTomcat", &port.to_string(), engine])
            .arg(dir.join("base"))
            .args(&extra)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
            .spawn()
            .expect("start java");
        let mut tomcat = Tomcat { addr: format!("127.0.0.1:{port}"), port, proc: Proc { child, dir } };
        wait_for("tomcat's jolokia to answer", Duration::from_secs(60), || {
            if let Ok(Some(status)) = tomcat.proc.child.try_wait() {
                panic!("tomcat exited with {status}: {}", tomcat.log());
            }
            // Any answer: with basic auth on, Jolokia's is 401.
            http::get(&tomcat.addr, &format!("{}/version", Tomcat::JOLOKIA))
                .ok()
                .filter(|(s, _)| *s == 200 || *s == 401)
        });
        tomcat
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// GETs `path` (e.g. `/demo/ok?ms=20`), panicking if Tomcat does not answer.
    pub fn get(&self, path: &str) -> (u16, String) {
        http::get(&self.addr, path).unwrap_or_else(|e| panic!("GET {path} from tomcat: {e}"))
    }

    /// POSTs `body` to Jolokia and returns the raw reply body (Jolokia answers HTTP 200 even for
    /// errors: they are in the body).
    pub fn jolokia_raw(&self, body: &Value) -> String {
        let (status, reply) = http::post_json(&self.addr, Tomcat::JOLOKIA, &body.to_string()).expect("POST to jolokia");
        assert_eq!(status, 200, "jolokia: {reply}");
        reply
    }

    /// [`Tomcat::jolokia_raw`], parsed.
    pub fn jolokia(&self, body: &Value) -> Value {
        serde_json::from_str(&self.jolokia_raw(body)).expect("jolokia's reply is JSON")
    }

    /// Deploys one more web application at `path` (servlet `ok` at `PATH/ok`), as a newly deployed
    /// webapp: its MBeans appear at once.
    pub fn deploy(&self, path: &str) {
        let (status, body) = self.get(&format!("/admin/deploy?path={path}"));
        assert_eq!(status, 200, "deploying {path}: {body}");
    }

    /// The JVM's process id (for its CPU time in `/proc`).
    pub fn pid(&self) -> u32 {
        self.proc.child.id()
    }

    /// Tomcat's stdout and stderr so far.
    pub fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.proc.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("log"), read("stderr"))
    }
}

/// The directory of the compiled `EmbeddedTomcat` classes and the classpath to run them with,
/// compiled on first use.
fn compiled() -> &'static (PathBuf, String) {
    static COMPILED: OnceLock<(PathBuf, String)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let jars: Vec<&str> = CLASSPATH.lines().filter(|l| !l.trim().is_empty()).collect();
        for jar in &jars {
            require(jar);
        }
        let classpath = jars.join(":");
        (compile(&classpath), classpath)
    })
}

/// Compiles the Java sources (`tests/java`, the test MBeans' package included) into
/// `target/tomcat-harness/<hash of the sources>`: concurrent test processes each compile into
/// their own directory and the first rename wins.
fn compile(classpath: &str) -> PathBuf {
    let java = Path::new(env!("CARGO_MANIFEST_DIR")).join("java");
    let mut sources = vec![java.join("EmbeddedTomcat.java")];
    let package = java.join("io/prometheus/jmx");
    let mut beans: Vec<PathBuf> = std::fs::read_dir(&package)
        .expect("tests/java/io/prometheus/jmx")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "java"))
        .collect();
    beans.sort();
    sources.extend(beans);
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    for source in &sources {
        std::fs::read(source).expect("read a Java source").hash(&mut hash);
    }
    let root = crate::procs::target_dir().join("tomcat-harness");
    let out = root.join(format!("{:016x}", hash.finish()));
    if out.join("EmbeddedTomcat.class").exists() {
        return out;
    }
    let tmp = root.join(format!("tmp-{}", std::process::id()));
    let output = Command::new(require("/usr/bin/javac"))
        .arg("-d")
        .arg(&tmp)
        .args(["-cp", classpath])
        .args(&sources)
        .stdout(Stdio::null())
        .output()
        .expect("run javac");
    assert!(output.status.success(), "javac tests/java: {}", String::from_utf8_lossy(&output.stderr));
    if std::fs::rename(&tmp, &out).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    out
}

/// The JMX exporter's example Tomcat rules (`tests/fixtures/jmx/tomcat.yml`), for a Tomcat whose
/// engine (MBean domain) is `engine`: verbatim for `Catalina`; for `Tomcat`, what users of
/// embedded Tomcat do: the domain changed in each pattern.
pub fn rules_for(engine: &str) -> String {
    const RULES: &str = include_str!("../fixtures/jmx/tomcat.yml");
    let from = "- pattern: 'Catalina<";
    assert_eq!(RULES.matches(from).count(), 4, "the fixture's four patterns");
    RULES.replace(from, &format!("- pattern: '{engine}<"))
}

/// `scrapelet plugin run` of the `jmx` plugin against the JVM at `target` with the plugin config
/// `config` (YAML: the JMX exporter's keys plus the plugin's own): `(success, stdout, stderr)`.
pub fn plugin_run(target: &str, config: &str) -> (bool, String, String) {
    let dir = scratch("jmx-plugin-run");
    let file = dir.join("config.yml");
    std::fs::write(&file, config).unwrap();
    let out = Command::new(crate::scrapelet_bin())
        .args(["plugin", "run"])
        .arg(crate::plugins::plugin("jmx"))
        .arg("--config")
        .arg(&file)
        .args(["--target", target, "--timeout", "30s"])
        .output()
        .expect("run scrapelet plugin run");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
