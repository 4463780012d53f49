//! A real embedded Tomcat 9 with a real Jolokia agent (`tests/java/EmbeddedTomcat.java`, Debian's
//! `libtomcat9-java` and `libjolokia-core-java`): compiled with `javac` once per source version,
//! run on a port reserved for it ([`free_port`](crate::free_port)), killed on drop. Its web applications are listed in the Java file's header;
//! Jolokia answers at [`Tomcat::JOLOKIA`].

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
        let (classes, classpath) = compiled();
        let dir = scratch("tomcat");
        let log = dir.join("log");
        let child = Command::new(require("/usr/bin/java"))
            .args(["-Xmx256m", "-XX:+UseG1GC", "-cp"])
            .arg(format!("{classpath}:{}", classes.display()))
            .args(["EmbeddedTomcat", &port.to_string(), engine])
            .arg(dir.join("base"))
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
            .spawn()
            .expect("start java");
        let mut tomcat = Tomcat { addr: format!("127.0.0.1:{port}"), port, proc: Proc { child, dir } };
        wait_for("tomcat's jolokia to answer", Duration::from_secs(60), || {
            if let Ok(Some(status)) = tomcat.proc.child.try_wait() {
                panic!("tomcat exited with {status}: {}", tomcat.log());
            }
            http::get(&tomcat.addr, &format!("{}/version", Tomcat::JOLOKIA)).ok().filter(|(s, _)| *s == 200)
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

/// Compiles the Java source into `target/tomcat-harness/<hash of the source>`: concurrent test
/// processes each compile into their own directory and the first rename wins.
fn compile(classpath: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("java/EmbeddedTomcat.java");
    let text = std::fs::read(&source).expect("read EmbeddedTomcat.java");
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hash);
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
        .arg(&source)
        .stdout(Stdio::null())
        .output()
        .expect("run javac");
    assert!(output.status.success(), "javac EmbeddedTomcat.java: {}", String::from_utf8_lossy(&output.stderr));
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
