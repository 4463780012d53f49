#!/usr/bin/env python3
"""Dense-node sizing: what the agent uses on a node with many pods, for the DaemonSet's requests
and limits (deploy/README.md, "Resources"). The peer benchmark's workload (nginx serving a
generated body on N ports, rw-sink receiving) at a node's scale, in three phases:

  steady   the backend keeps up;
  outage   the backend is down (connection refused): the backlog grows in the WAL;
  recovery the backend is back: the agent sends the backlog while it keeps scraping.

Prints, per phase, the agent's resident memory (the highest sample and at the end), its CPU (one
core = 100%), the WAL on disk and how far the backend lags. Needs the release build (peers.sh
builds it). Usage:
  tests/bench/dense_node.py [--targets 110] [--series 9100] [--interval 30]
                            [--steady 180] [--outage 300] [--recovery 420]"""
import argparse, os, shutil, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import RECEIVER, cpu_seconds, nginx_conf, scrape_config  # noqa: E402

AGENT = "127.0.0.1:9272"


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metric(name):
    try:
        text = urllib.request.urlopen(f"http://{AGENT}/metrics", timeout=5).read().decode()
    except OSError:
        return 0.0
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name + " ") or l.startswith(name + "{"))


def phase(name, seconds, pid):
    start, c0 = time.time(), cpu_seconds(pid)
    peak = 0.0
    while time.time() - start < seconds:
        peak = max(peak, rss_mb(pid))
        time.sleep(2)
    cpu = (cpu_seconds(pid) - c0) / (time.time() - start) * 100
    row = (name, seconds, peak, rss_mb(pid), cpu, metric("scrapelet_wal_bytes") / 1048576,
           metric("scrapelet_remote_write_highest_sent_lag_seconds"))
    print(f"| {row[0]} | {row[1]} s | {row[2]:.1f} | {row[3]:.1f} | {row[4]:.1f}% | {row[5]:.0f} | {row[6]:.0f} s |", flush=True)
    return row


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--targets", type=int, default=110)
    p.add_argument("--series", type=int, default=9100)
    p.add_argument("--interval", type=int, default=30)
    p.add_argument("--steady", type=int, default=180)
    p.add_argument("--outage", type=int, default=300)
    p.add_argument("--recovery", type=int, default=420)
    a = p.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    d = tempfile.mkdtemp(prefix="scrapelet-dense-")
    os.chmod(d, 0o755)
    os.makedirs(f"{d}/www")
    here = os.path.dirname(os.path.abspath(__file__))
    body = subprocess.run([sys.executable, f"{here}/workload.py", str(a.series)], capture_output=True, text=True, check=True).stdout
    open(f"{d}/www/metrics", "w").write(body)
    per_body = sum(1 for l in body.splitlines() if l and not l.startswith("#"))
    open(f"{d}/nginx.conf", "w").write(nginx_conf(d, a.targets, 20000))
    open(f"{d}/scrape.yml", "w").write(scrape_config(a.targets, 20000, a.interval))
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-p", d], stderr=subprocess.DEVNULL)
    sink_argv = [f"{repo}/target/release/rw-sink", f"127.0.0.1:{RECEIVER}"]
    sink = subprocess.Popen(sink_argv)
    log = open(f"{d}/scrapelet.log", "w")
    agent = subprocess.Popen([f"{repo}/target/release/scrapelet", "run", "--config", f"{d}/scrape.yml",
                              "--data-dir", f"{d}/data", f"--web.listen-address={AGENT}"], stdout=log, stderr=log)
    print(f"{a.targets} targets × {per_body} samples every {a.interval} s = {a.targets * per_body:,} active series, "
          f"{len(body) / 1e6:.2f} MB a body\n")
    print("| phase | length | peak RSS MB | RSS at end MB | CPU | WAL MB at end | backend lag at end |")
    print("|---|---|---|---|---|---|---|")
    try:
        time.sleep(2)
        phase("steady", a.steady, agent.pid)
        sink.terminate()
        sink.wait()
        phase("outage", a.outage, agent.pid)
        sink = subprocess.Popen(sink_argv)
        phase("recovery", a.recovery, agent.pid)
        for line in open(f"/proc/{agent.pid}/status"):
            if line.startswith("VmHWM:"):
                print(f"\npeak RSS over the run (VmHWM): {int(line.split()[1]) / 1024:.1f} MB")
    finally:
        agent.terminate()
        agent.wait()
        nginx.terminate()
        sink.terminate()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
