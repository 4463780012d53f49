#!/usr/bin/env python3
"""What a JMX scrape costs (issue 19): a real Tomcat 9 with Jolokia (tests/java/EmbeddedTomcat.java,
engine Catalina, some traffic), the agent (release build) scraping it through the `jmx` plugin with
the JMX exporter's upstream tomcat.yml, once with the plugin before this work ("before": commit
650c1e8's plugin, built against today's SDK) and once with today's ("after").

Each runs against a fresh JVM (the same traffic first): its idle CPU is measured, then the agent
starts, and after a warm-up, over a window of scrapes: the JVM's CPU (utime + stime from
/proc/PID/stat) less its idle CPU over as long, the agent's CPU less what an agent with no scrape
job uses over as long, the bytes exchanged with Jolokia (a counting TCP proxy between agent and
Tomcat), and the series of one scrape (tomcat_* and all). Prints one table. Not a test: no
thresholds, numbers only.

Usage: tests/bench/jmx.sh [--interval 1] [--warmup 15] [--window 60]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BEFORE = "650c1e8"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait(what, f, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = f()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"timed out waiting for {what}")


class Proxy:
    """A TCP proxy counting the bytes each way."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.bytes = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.addr = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.sock.accept()
            host, port = self.upstream.split(":")
            server = socket.create_connection((host, int(port)))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    def pipe(self, a, b):
        try:
            while data := a.recv(65536):
                with self.lock:
                    self.bytes += len(data)
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def build_before(work):
    """The plugin of commit BEFORE (its jmx and jmx-core) against today's SDK and WIT."""
    src = os.path.join(work, "before")
    os.makedirs(os.path.join(src, "plugins"))
    archive = subprocess.run(["git", "-C", REPO, "archive", BEFORE, "plugins/jmx", "plugins/jmx-core"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    shutil.copytree(os.path.join(REPO, "plugins", "sdk"), os.path.join(src, "plugins", "sdk"))
    shutil.copytree(os.path.join(REPO, "wit"), os.path.join(src, "wit"))
    shutil.copy(os.path.join(REPO, "plugins", "Cargo.lock"), os.path.join(src, "plugins", "Cargo.lock"))
    for crate in ("sdk", "jmx-core"):
        toml = os.path.join(src, "plugins", crate, "Cargo.toml")
        text = "".join(l for l in open(toml) if not l.startswith("workspace ="))
        text = re.sub(r"\[dev-dependencies\].*?(?=\n\[|\Z)", "", text, flags=re.S)
        text = re.sub(r"\[\[bench\]\].*?(?=\n\[|\Z)", "", text, flags=re.S)
        open(toml, "w").write(text)
    open(os.path.join(src, "plugins", "Cargo.toml"), "w").write(
        '[workspace]\nresolver = "3"\nmembers = ["jmx"]\n\n[profile.release]\nopt-level = "s"\nstrip = true\n')
    subprocess.run(["cargo", "build", "--quiet", "--release", "--target", "wasm32-wasip2", "-p", "jmx"],
                   cwd=os.path.join(src, "plugins"), check=True)
    return os.path.join(src, "plugins", "target", "wasm32-wasip2", "release", "jmx.wasm")


def start_tomcat(work):
    os.makedirs(work)
    classpath = ":".join(l.strip() for l in open(os.path.join(REPO, "tests/java/classpath.txt")) if l.strip())
    classes = os.path.join(work, "classes")
    sources = [os.path.join(REPO, "tests/java/EmbeddedTomcat.java")]
    subprocess.run(["javac", "-d", classes, "-cp", classpath] + sources, check=True)
    port = free_port()
    log = open(os.path.join(work, "tomcat.log"), "w")
    tomcat = subprocess.Popen(["java", "-Xmx256m", "-XX:+UseG1GC", "-cp", f"{classes}:{classpath}", "EmbeddedTomcat",
                               str(port), "Catalina", os.path.join(work, "tomcat")], stdout=log, stderr=log)
    addr = f"127.0.0.1:{port}"
    wait("tomcat", lambda: urllib.request.urlopen(f"http://{addr}/jolokia/version").status == 200)
    for path, times in (("/demo/ok?ms=5", 7), ("/demo/session", 2)):
        for _ in range(times):
            urllib.request.urlopen(f"http://{addr}{path}").read()
    return tomcat, addr


def agent_config(plugin, data, target, sink, interval):
    if plugin is None:
        return f"scrape_configs: []\nremote_write:\n  - url: http://{sink}/api/v1/write\n"
    return f"""global:
  scrape_interval: {interval}s
  scrape_timeout: {interval}s
plugins:
  - name: jmx
    path: {plugin}
    data_dir: {data}
    config:
      rules_sets: {{tomcat: tomcat.yml}}
scrape_configs:
  - job_name: tomcat
    exporter: jmx
    params: {{rules: [tomcat]}}
    static_configs:
      - targets: ["{target}"]
remote_write:
  - url: http://{sink}/api/v1/write
"""


def metric(addr, name):
    text = urllib.request.urlopen(f"http://{addr}/metrics").read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name))


def series(plugin, data, target):
    """Samples of one stateless scrape (`plugin run`): tomcat_* and all."""
    cfg = os.path.join(data, "plugin.yml")
    open(cfg, "w").write("rules_sets: {tomcat: tomcat.yml}\n")
    out = subprocess.run([os.path.join(REPO, "target/release/scrapelet"), "plugin", "run", plugin, "--config", cfg,
                          "--data-dir", data, "--target", target, "--label", "__param_rules=tomcat",
                          "--timeout", "60s"], capture_output=True, text=True, check=True).stdout
    lines = [l for l in out.splitlines() if l and not l.startswith("#")]
    return sum(l.startswith("tomcat_") for l in lines), len(lines)


def start_agent(d, config):
    os.makedirs(d)
    open(os.path.join(d, "config.yml"), "w").write(config)
    addr = f"127.0.0.1:{free_port()}"
    agent = subprocess.Popen([os.path.join(REPO, "target/release/scrapelet"), "run", "--config",
                              os.path.join(d, "config.yml"), "--data-dir", os.path.join(d, "data"),
                              f"--web.listen-address={addr}"], stderr=open(os.path.join(d, "log"), "w"))
    wait("agent", lambda: urllib.request.urlopen(f"http://{addr}/-/ready").status == 200)
    return agent, addr


def idle_agent(work, sink, a):
    """CPU seconds per second of an agent with no scrape job."""
    agent, _ = start_agent(os.path.join(work, "agent-idle"), agent_config(None, None, None, sink, a.interval))
    time.sleep(a.warmup)
    c0 = cpu_seconds(agent.pid)
    time.sleep(a.window)
    idle = (cpu_seconds(agent.pid) - c0) / a.window
    agent.send_signal(signal.SIGTERM)
    agent.wait()
    return idle


def measure(name, plugin, work, sink, a):
    tomcat, tomcat_addr = start_tomcat(os.path.join(work, f"tomcat-{name}"))
    try:
        time.sleep(10)
        idle0 = cpu_seconds(tomcat.pid)
        time.sleep(a.window / 2)
        jvm_idle = (cpu_seconds(tomcat.pid) - idle0) / (a.window / 2)
        data = os.path.join(work, f"data-{name}")
        os.makedirs(data)
        shutil.copy(os.path.join(REPO, "tests/fixtures/jmx/tomcat.yml"), os.path.join(data, "tomcat.yml"))
        proxy = Proxy(tomcat_addr)
        config = agent_config(plugin, data, proxy.addr, sink, a.interval)
        agent, addr = start_agent(os.path.join(work, f"agent-{name}"), config)
        time.sleep(a.warmup)
        scrapes0, bytes0 = metric(addr, 'scrapelet_scrapes_total{job="tomcat"}'), proxy.bytes
        jvm0, agent0 = cpu_seconds(tomcat.pid), cpu_seconds(agent.pid)
        time.sleep(a.window)
        scrapes = metric(addr, 'scrapelet_scrapes_total{job="tomcat"}') - scrapes0
        jvm, agent_cpu, traffic = cpu_seconds(tomcat.pid) - jvm0, cpu_seconds(agent.pid) - agent0, proxy.bytes - bytes0
        failures = metric(addr, 'scrapelet_scrape_failures_total{job="tomcat"')
        agent.send_signal(signal.SIGTERM)
        agent.wait()
        return {"scrapes": scrapes, "jvm": jvm - jvm_idle * a.window, "jvm_idle": jvm_idle, "agent": agent_cpu,
                "bytes": traffic, "failures": failures, "series": series(plugin, data, tomcat_addr)}
    finally:
        tomcat.terminate()
        tomcat.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--interval", type=int, default=1, help="scrape interval, seconds")
    p.add_argument("--warmup", type=int, default=15, help="seconds before measuring (first scrapes discover)")
    p.add_argument("--window", type=int, default=60, help="seconds measured")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="scrapelet-jmx-bench-")
    plugins = {"before": build_before(work),
               "after": os.path.join(REPO, "plugins/target/wasm32-wasip2/release/jmx.wasm")}
    sink_port = free_port()
    sink = subprocess.Popen([os.path.join(REPO, "target/release/rw-sink"), f"127.0.0.1:{sink_port}"])
    try:
        agent_idle = idle_agent(work, f"127.0.0.1:{sink_port}", a)
        results = {name: measure(name, plugin, work, f"127.0.0.1:{sink_port}", a) for name, plugin in plugins.items()}
    finally:
        sink.terminate()
    print(f"Tomcat 9 + Jolokia 1.7.1 (Catalina), upstream tomcat.yml, scrape every {a.interval}s, "
          f"{a.window}s window after {a.warmup}s; a fresh JVM each, its idle CPU subtracted; "
          f"an agent with no job uses {agent_idle * 1000:.1f} ms CPU/s, subtracted")
    print("| plugin | scrapes | JVM CPU / scrape | agent CPU / scrape | bytes / scrape | tomcat_* series | all series |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        n = max(r["scrapes"], 1)
        agent = (r["agent"] - agent_idle * a.window) / n * 1000
        print(f"| {name} | {r['scrapes']:.0f} | {r['jvm'] / n * 1000:.1f} ms | {agent:.1f} ms | "
              f"{r['bytes'] / n / 1000:.1f} KB | {r['series'][0]} | {r['series'][1]} |")
        if r["failures"]:
            print(f"  ({name}: {r['failures']:.0f} failed scrapes)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
